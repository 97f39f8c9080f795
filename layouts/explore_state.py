"""The explore view's state: read from and written to the URL's query string, made valid.

Pure functions, so a deep link, the back button and a filter change all go
through the same `normalise` and can be tested without a browser.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from urllib.parse import parse_qs, urlencode

from data.domain.dataset import ENGLAND, HOME_AREA, Dataset
from data.domain.views import periods_of

MODES = {"trend": "Trend over time", "compare": "Compare two periods", "england": "Compare with England"}
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
    set: str = ""
    age: str = ""
    indicators: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    start: str = ""  # first year shown ("" = all)
    end: str = ""
    mode: str = "trend"
    a: str = ""
    b: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["indicators"], d["areas"] = list(self.indicators), list(self.areas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ExploreState":
        return cls(**{**d, "indicators": tuple(d.get("indicators") or ()), "areas": tuple(d.get("areas") or ())})


def parse_query(search: str | None) -> ExploreState:
    q = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    one = lambda k: (q.get(k) or [""])[0]  # noqa: E731 - tiny accessor
    return ExploreState(
        set=one("set"), age=one("age"), indicators=tuple(q.get("indicator", [])), areas=tuple(q.get("area", [])),
        start=one("from"), end=one("to"), mode=one("mode") or "trend", a=one("a"), b=one("b"),
    )


def to_query(state: ExploreState) -> str:
    pairs = [("set", state.set), ("age", state.age)]
    pairs += [("indicator", i) for i in state.indicators] + [("area", a) for a in state.areas]
    pairs += [("from", state.start), ("to", state.end), ("mode", state.mode)]
    if state.mode == "compare":
        pairs += [("a", state.a), ("b", state.b)]
    return "?" + urlencode([(k, v) for k, v in pairs if v])


def candidates(dataset: Dataset, set_name: str, age: str) -> list[str]:
    cat = dataset.indicators
    mask = (cat["set"] == set_name) if set_name else cat["set"].notna()
    if age:
        mask &= cat["age_band"] == age
    return list(cat.index[mask])


def age_bands(dataset: Dataset, set_name: str) -> list[str]:
    cat = dataset.indicators
    if set_name:
        cat = cat[cat["set"] == set_name]
    return sorted(b for b in cat["age_band"].unique() if b)


def year_range(dataset: Dataset) -> list[str]:
    """Every calendar year the data spans; the same for every request on this data version."""
    return list(dataset.cache.remember("year_range", None, lambda: _year_range(dataset)))


def _year_range(dataset: Dataset) -> list[str]:
    years = dataset.observations["period_start"].dropna().dt.year
    ends = dataset.observations["period_end"].dropna().dt.year
    return [] if years.empty else [str(y) for y in range(int(years.min()), int(ends.max()) + 1)]


def periods_for(dataset: Dataset, state: ExploreState) -> list[str]:
    rows = dataset.observations_for(list(state.indicators), None, list(state.areas))
    rows = rows[rows["category_type"] == ""]
    return periods_of(rows[rows["period_end"].notna()])


def normalise(dataset: Dataset, state: ExploreState) -> ExploreState:
    """Any state (a pasted URL, a half-changed form) -> a valid one, filling sensible defaults.
    Worked out once per data version and state (states are frozen, so they are their own key)."""
    return dataset.cache.remember("normalised_state", state, lambda: _normalise(dataset, state), maxsize=512)


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
    mode = state.mode if state.mode in MODES else "trend"
    out = replace(state, set=set_name, age=age, indicators=chosen, areas=areas, start=start, end=end, mode=mode)
    periods = periods_for(dataset, out)
    a = state.a if state.a in periods else (periods[-2] if len(periods) >= 2 else (periods[0] if periods else ""))
    b = state.b if state.b in periods else (periods[-1] if periods else "")
    return replace(out, a=a, b=b)
