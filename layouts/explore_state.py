"""The explore view's state: read from and written to the URL's query string and the controls, made valid.

Pure functions, so a deep link, the back button and a filter change all go
through the same `normalise` and can be tested without a browser. Which views
exist, and the fields each owns (compare's two periods), come from the registry
in layouts/explore_views.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from urllib.parse import parse_qs, urlencode

from data.domain.dataset import ENGLAND, HOME_AREA, Dataset
from layouts import explore_views as views
from layouts.explore_filters import age_bands, candidates, year_range

DEFAULT_SET = "Aged 5-11"
DEFAULT_INDICATOR = "year6-overweight"
MAX_AREAS = 4
ALL = "all"  # a select's "no filter" choice (an empty value would render as a blank select)


def control_value(value: str) -> str:
    """State value -> what the select shows."""
    return value or ALL


def state_value(value) -> str:
    """What a select sent -> state value."""
    return "" if value in (None, ALL) else str(value)


@dataclass(frozen=True)
class ExploreState:
    """Frozen and hashable: a normalised state is its own cache key."""

    set: str = ""
    age: str = ""
    indicators: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    start: str = ""  # first year shown ("" = all)
    end: str = ""
    mode: str = views.DEFAULT
    choices: tuple[tuple[str, str], ...] = ()  # the views' own fields by name (compare's "a" and "b")

    def __post_init__(self) -> None:
        # One spelling per state, whatever order the fields came in, so equal states hash equal.
        object.__setattr__(self, "choices", tuple(sorted(dict(self.choices).items())))

    def choice(self, name: str) -> str:
        return dict(self.choices).get(name, "")

    def to_dict(self) -> dict:
        """Flat JSON for the page's dcc.Store: the views' fields sit beside the common ones."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "choices"}
        d["indicators"], d["areas"] = list(self.indicators), list(self.areas)
        return {**d, **dict(self.choices)}

    @classmethod
    def from_dict(cls, d: dict) -> ExploreState:
        common = {f.name for f in fields(cls)} - {"choices"}
        values = {k: v for k, v in d.items() if k in common}
        values["indicators"], values["areas"] = tuple(d.get("indicators") or ()), tuple(d.get("areas") or ())
        return cls(**values, choices=tuple((k, v) for k, v in d.items() if k not in common))


def parse_query(search: str | None) -> ExploreState:
    q = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    one = lambda k: (q.get(k) or [""])[0]  # noqa: E731 - tiny accessor
    return ExploreState(
        set=one("set"), age=one("age"), indicators=tuple(q.get("indicator", [])), areas=tuple(q.get("area", [])),
        start=one("from"), end=one("to"), mode=one("mode") or views.DEFAULT,
        choices=tuple((f.name, one(f.name)) for f in views.fields()),
    )


def to_query(state: ExploreState) -> str:
    pairs = [("set", state.set), ("age", state.age)]
    pairs += [("indicator", i) for i in state.indicators] + [("area", a) for a in state.areas]
    pairs += [("from", state.start), ("to", state.end), ("mode", state.mode)]
    if views.is_view(state.mode):  # only the shown view's own fields: a link carries what it shows
        pairs += [(f.name, state.choice(f.name)) for f in views.view(state.mode).fields]
    return "?" + urlencode([(k, v) for k, v in pairs if v])


def from_controls(values: Mapping) -> ExploreState:
    """What the controls sent (keyed by state field) -> a state (not yet normalised)."""
    return ExploreState(
        state_value(values["set"]), state_value(values["age"]), tuple(values["indicators"] or ()), tuple(values["areas"] or ()),
        state_value(values["start"]), state_value(values["end"]), values["mode"] or views.DEFAULT,
        choices=tuple((f.name, values.get(f.name) or "") for f in views.fields()),
    )


def control_values(state: ExploreState) -> dict:
    """A state -> what each control shows, keyed as from_controls reads them."""
    return {
        "set": control_value(state.set), "age": control_value(state.age), "indicators": list(state.indicators),
        "areas": list(state.areas), "start": control_value(state.start), "end": control_value(state.end), "mode": state.mode,
        **{f.name: state.choice(f.name) for f in views.fields()},
    }


def normalise(dataset: Dataset, state: ExploreState) -> ExploreState:
    """Any state (a pasted URL, a half-changed form) -> a valid one, filling sensible defaults.
    Worked out once per data version, state and set of views (states are frozen, so hashable)."""
    return dataset.cache.remember("normalised_state", (state, views.keys(), views.outside_key(state)), lambda: _normalise(dataset, state), maxsize=512)


def _normalise(dataset: Dataset, state: ExploreState) -> ExploreState:
    sets = dataset.sets
    set_name = state.set if state.set in sets else ""
    if not state.set and not state.indicators and DEFAULT_SET in sets:
        set_name = DEFAULT_SET
    age = state.age if state.age in age_bands(dataset, set_name) else ""
    allowed = candidates(dataset, set_name, age)
    wanted = set(state.indicators)
    chosen = tuple(i for i in allowed if i in wanted)  # catalogue order, whatever order the URL gave
    if not chosen and allowed:
        chosen = (DEFAULT_INDICATOR,) if DEFAULT_INDICATOR in allowed else (allowed[0],)
    areas_known = dataset.areas
    areas = tuple(dict.fromkeys(a for a in state.areas if a in areas_known))[:MAX_AREAS]
    if not areas:
        areas = tuple(a for a in (HOME_AREA, ENGLAND) if a in areas_known)
    years = year_range(dataset)
    start = state.start if state.start in years else ""
    end = state.end if state.end in years else ""
    if start and end and start > end:
        start, end = end, start
    mode = state.mode if views.is_view(state.mode) else views.DEFAULT
    out = replace(state, set=set_name, age=age, indicators=chosen, areas=areas, start=start, end=end, mode=mode)
    # Every view's fields, not just the shown one's: their selects are on the page (hidden) either way.
    # Only registered views' fields survive; each keeps the asked-for value when the data offers it.
    valid: dict[str, str] = {}
    for _, controls in views.control_groups():
        valid.update(controls.choose(dataset, out))
    return replace(out, choices=tuple(valid.items()))
