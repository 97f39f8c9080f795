"""Explore views are one object each in one registry: a new view is one module (tests/unit/example_view.py),
registered here for a test only, and it appears on the page, round-trips through the URL, is wired into
the callback and builds its card with no change to any other module. Card cache keys cover the whole state."""
from __future__ import annotations

import json
from dataclasses import fields, replace
from urllib.parse import parse_qs

import pytest
from dash._utils import to_json

from layouts import explore_views as views
from layouts import ids
from layouts.explore import cached_results, card_key, card_rows, explore_page, explore_results, results_announcement
from layouts.explore_state import ExploreState, normalise, parse_query, to_query
from layouts.explore_views.base import ExploreView, ViewControls, ViewField
from tests.unit import example_view

IND = "year6-overweight"
YORK, ENGLAND = "E06000014", "E92000001"
LATEST_LOWEST = f"?set=Aged+5-11&indicator={IND}&area={YORK}&area={ENGLAND}&mode=latest&order=lowest+first"


@pytest.fixture
def latest_view():
    """The example view, registered for one test and removed after it (whatever the test did)."""
    views.register(example_view.VIEW)
    try:
        yield example_view.VIEW
    finally:
        views.unregister(example_view.KEY)


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)


def _by_id(component, wanted):
    found = [c for c in _walk(component) if getattr(c, "id", None) == wanted]
    assert len(found) == 1, f"{wanted}: {len(found)} components"
    return found[0]


def _of_type(component, name: str) -> list:
    return [c for c in _walk(component) if type(c).__name__ == name]


def test_view001_a_registered_view_is_among_the_views_and_on_the_page(bundled, latest_view):
    assert views.keys() == ("trend", "compare", "england", "areas", "breakdown", "latest")
    assert views.view("latest") is latest_view
    state = normalise(bundled, parse_query(LATEST_LOWEST))
    page = explore_page(bundled, state)
    radio = _by_id(page, ids.EX_MODE)
    assert radio.options[-1] == {"label": "Latest value", "value": "latest"} and radio.value == "latest"
    group = _by_id(page, example_view.GROUP_ID)
    assert group.hidden is False and _by_id(page, ids.EX_COMPARE_FIELDS).hidden is True
    select = _by_id(group, example_view.ORDER_ID)
    assert [o["value"] for o in select.options] == example_view.ORDERS and select.value == "lowest first"
    # Another view chosen: the group is on the page, hidden.
    trend_page = explore_page(bundled, normalise(bundled, parse_query(f"?indicator={IND}")))
    assert _by_id(trend_page, example_view.GROUP_ID).hidden is True


def test_view002_it_round_trips_through_the_url_query(bundled, latest_view):
    state = normalise(bundled, parse_query(LATEST_LOWEST))
    assert (state.mode, state.choice("order"), state.indicators) == ("latest", "lowest first", (IND,))
    assert to_query(state) == LATEST_LOWEST  # its own field is in the link; compare's periods are not
    assert normalise(bundled, parse_query(to_query(state))) == state
    assert ExploreState.from_dict(json.loads(json.dumps(state.to_dict()))) == state  # through the page's dcc.Store
    # A value the view does not offer falls back to its pick; another view's link leaves its field out.
    assert normalise(bundled, parse_query(LATEST_LOWEST.replace("lowest+first", "sideways"))).choice("order") == "highest first"
    assert "order=" not in to_query(replace(state, mode="trend"))


def test_view003_it_builds_its_card_rows_figure_table_and_summary(bundled, latest_view):
    state = normalise(bundled, parse_query(LATEST_LOWEST))
    obs = bundled.observations
    totals = obs[(obs["indicator_id"] == IND) & (obs["category_type"] == "") & obs["value"].notna() & obs["period_end"].notna()]
    latest = {code: float(group.sort_values("period_end")["value"].iloc[-1]) for code, group in totals.groupby("area_code")}
    lowest_first = sorted([YORK, ENGLAND], key=lambda code: latest[code])

    rows = card_rows(bundled, IND, state)
    assert set(rows["area_code"]) == {YORK, ENGLAND} and len(rows) == int((obs["indicator_id"] == IND).sum())
    [card] = explore_results(bundled, state)
    [graph] = _of_type(card, "Graph")
    [trace] = graph.figure["data"]
    assert trace["type"] == "bar" and trace["x"] == [bundled.areas[c] for c in lowest_first]
    assert [float(v) for v in trace["y"]] == [latest[c] for c in lowest_first]
    [caption] = _of_type(card, "Figcaption")
    assert caption.children.startswith(f"{bundled.areas[lowest_first[0]]} is first: ")
    [table] = _of_type(card, "Table")
    assert _of_type(table, "Caption")[0].children.endswith(": latest value in each area")
    assert [tr.children[0].children for tr in _of_type(table, "Tbody")[0].children] == [bundled.areas[c] for c in lowest_first]
    assert results_announcement(state) == "Showing 1 indicator: latest value."
    assert to_json(cached_results(bundled, state)) == to_json(explore_results(bundled, state))


def test_view004_the_callback_wires_its_field_and_answers_for_it(bundled, latest_view):
    from app import create_app
    from data.domain.source import FixedSource

    app = create_app(source=FixedSource(bundled))
    [output] = [k for k in app.callback_map if f"{ids.EX_STATE}.data" in k and f"{ids.EX_URL}.search@" in k]
    for prop in (f"{example_view.ORDER_ID}.value", f"{example_view.ORDER_ID}.options", f"{example_view.GROUP_ID}.hidden"):
        assert f"..{prop}.." in output or f"...{prop}..." in output, prop
    wiring = app.callback_map[output]
    body = {
        "output": output,
        "outputs": [{"id": o.component_id, "property": o.component_property} for o in wiring["output"]],
        "inputs": [{**i, "value": LATEST_LOWEST if i["id"] == ids.EX_URL else None} for i in wiring["inputs"]],
        "state": [{**s, "value": None} for s in wiring["state"]],
        "changedPropIds": [f"{ids.EX_URL}.search"],
    }
    response = app.server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:500]
    sent = response.get_json()["response"]
    assert sent[ids.EX_STATE]["data"]["mode"] == "latest" and sent[ids.EX_STATE]["data"]["order"] == "lowest first"
    assert sent[example_view.ORDER_ID]["value"] == "lowest first" and sent[ids.EX_MODE]["value"] == "latest"
    assert sent[example_view.GROUP_ID]["hidden"] is False and sent[ids.EX_COMPARE_FIELDS]["hidden"] is True


def test_view005_unregistered_it_is_gone(bundled):
    assert "latest" not in views.keys()
    state = normalise(bundled, parse_query(LATEST_LOWEST))
    assert state.mode == "trend" and state.choice("order") == "" and set(dict(state.choices)) == {f.name for f in views.fields()}
    assert "order" not in {f.name for f in views.fields()}
    assert "order" not in to_query(state) and "mode=trend" in to_query(state)


def test_view006_a_view_may_not_take_a_used_key_or_name():
    def plain(key, *names):
        controls = ViewControls("g", tuple(ViewField(n, n, f"c-{n}", pick=lambda o: "") for n in names), lambda d, s: []) if names else None
        return ExploreView(key, key, lambda r, s: r, lambda *a: {}, lambda *a: None, lambda *a: "", controls=controls)

    state = ExploreState("s", "g", ("i",), ("r",), "2001", "2002", "compare", (("a", "p"),))
    used = {f.name for f in fields(ExploreState)} | set(parse_qs(to_query(state).lstrip("?")))
    assert used - {"a"} <= views.TAKEN_NAMES  # "a" is compare's own field

    before = views.keys()
    same_ids = replace(example_view.VIEW, key="x", controls=replace(example_view.VIEW.controls, fields=(ViewField("q", "Q", ids.EX_PERIOD_A, pick=min),)))
    for view in (plain("trend"), plain("x", "a"), plain("x", "area"), plain("x", "mode"), plain("x", "q", "q"), same_ids):
        with pytest.raises(ValueError):
            views.register(view)
    with pytest.raises(ValueError):
        views.unregister(views.DEFAULT)
    assert views.keys() == before


def test_view007_a_card_key_is_the_whole_state_less_what_only_picks_the_cards(bundled):
    state = normalise(bundled, ExploreState(indicators=(IND, "reception-overweight"), mode="compare"))
    key = card_key(state, IND, "2023/24")
    # What only picks which cards are shown: the card is shared.
    for same in (replace(state, set="Training"), replace(state, age="5-11"), replace(state, indicators=(IND,))):
        assert card_key(same, IND, "2023/24") == key
    # Everything else, any field added later included, gives another card.
    changed = {"set", "age", "indicators"}
    for f in fields(ExploreState):
        if f.name in changed:
            continue
        value = getattr(state, f.name)
        other = (("a", "x"),) if f.name == "choices" else (value + ("x",) if isinstance(value, tuple) else value + "x")
        assert card_key(replace(state, **{f.name: other}), IND, "2023/24") != key, f.name
    assert card_key(state, IND, "2022/23") != key


def test_view008_a_changed_period_is_not_served_a_stale_card(bundled):
    first = normalise(bundled, parse_query(f"?indicator={IND}&mode=compare&a=2010/11&b=2019/20"))
    second = normalise(bundled, parse_query(f"?indicator={IND}&mode=compare&a=2012/13&b=2019/20"))
    assert (first.choice("a"), second.choice("a")) == ("2010/11", "2012/13")
    assert to_json(cached_results(bundled, first)) == to_json(explore_results(bundled, first))
    assert to_json(cached_results(bundled, second)) == to_json(explore_results(bundled, second))
    assert to_json(cached_results(bundled, first)) != to_json(cached_results(bundled, second))


def test_view009_nothing_outside_its_module_and_this_test_names_the_example_view():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    markers = ("example_view", example_view.ORDER_ID, example_view.GROUP_ID)
    sources = [p for d in ("data", "layouts", "callbacks") for p in (root / d).rglob("*.py")] + [root / "app.py"]
    named = [f"{p.relative_to(root)}: {m}" for p in sources for m in markers if m in p.read_text(encoding="utf-8")]
    assert sources and named == []
