"""Issue 14's explore fixes, on the components (no browser): compare says when there is one period,
the period pickers sit above the charts, the last indicator's hint, the trend table's shape."""
from __future__ import annotations

import pytest

from data.domain.views import area_totals
from layouts import ids
from layouts.explore import FILTERS_FOLD, INDICATORS_HINT, card_rows, explore_page, indicator_card
from layouts.explore_filters import periods_for
from layouts.explore_state import normalise, parse_query
from layouts.explore_views import trend

YORK, ENGLAND = "E06000014", "E92000001"
IND = "year6-overweight"
ONE_PERIOD = "smoking-at-delivery"  # the bundled data has one dated period for it (22/23)


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)


def _text(component) -> str:
    return " ".join(c if isinstance(c, str) else _text(c) for c in _children(component))


def _children(component):
    kids = getattr(component, "children", None)
    kids = kids if isinstance(kids, (list, tuple)) else [kids]
    return [k for k in kids if isinstance(k, str) or hasattr(k, "to_plotly_json")]


def _ancestors_of(root, wanted_id):
    """The chain of components from root down to the one with that id."""
    def path(node, chain):
        if getattr(node, "id", None) == wanted_id:
            return [*chain, node]
        for child in _children(node):
            if not isinstance(child, str) and (found := path(child, [*chain, node])):
                return found
        return None
    return path(root, []) or []


def _card(dataset, ind, query):
    from data.domain.status import indicator_status
    state = normalise(dataset, parse_query(query))
    return state, indicator_card(dataset, ind, state, indicator_status(dataset, "2023/24").loc[ind], "2023/24")


def test_exp101_compare_defaults_to_two_different_periods(bundled):
    state = normalise(bundled, parse_query(f"?indicator={IND}&area={YORK}&area={ENGLAND}&mode=compare"))
    offered = periods_for(bundled, state)
    assert len(offered) >= 2
    assert state.choice("a") != state.choice("b")
    assert [state.choice("a"), state.choice("b")] == offered[-2:]


def test_exp102_one_period_says_so_instead_of_two_identical_bars(bundled):
    assert len(periods_for(bundled, normalise(bundled, parse_query(f"?indicator={ONE_PERIOD}&mode=compare")))) == 1
    state, card = _card(bundled, ONE_PERIOD, f"?indicator={ONE_PERIOD}&mode=compare")
    kinds = [type(c).__name__ for c in _walk(card)]
    assert "Graph" not in kinds, "no chart of one period against itself"
    text = _text(card)
    assert "0.0%" not in text
    note = [c for c in _walk(card) if "view-unavailable" in (getattr(c, "className", "") or "")]
    assert len(note) == 1 and "two different periods" in _text(note[0]) and state.choice("a") in _text(note[0])


def test_exp103_two_periods_still_draw_their_bars(bundled):
    _, card = _card(bundled, IND, f"?indicator={IND}&area={YORK}&area={ENGLAND}&mode=compare")
    assert [type(c).__name__ for c in _walk(card)].count("Graph") == 1
    assert not [c for c in _walk(card) if "view-unavailable" in (getattr(c, "className", "") or "")]


def test_exp104_period_pickers_sit_beside_the_charts_not_in_the_filter_column(bundled):
    page = explore_page(bundled, normalise(bundled, parse_query(f"?indicator={IND}&mode=compare")))
    for control in (ids.EX_MODE, ids.EX_PERIOD_A, ids.EX_PERIOD_B):
        chain = _ancestors_of(page, control)
        assert chain, control
        assert not any(getattr(c, "id", None) == FILTERS_FOLD for c in chain), f"{control} is in the filter column"
        column = next(c for c in chain if "col-lg-8" in (getattr(c, "className", "") or ""))
        assert any(getattr(c, "id", None) == ids.EX_RESULTS for c in _walk(column)), "not in the results' column"


def test_exp105_filters_fold_in_a_native_details_and_the_last_indicator_says_why_it_stays(bundled):
    page = explore_page(bundled, normalise(bundled, parse_query("")))
    fold = [c for c in _walk(page) if getattr(c, "id", None) == FILTERS_FOLD]
    assert len(fold) == 1 and type(fold[0]).__name__ == "Details"
    assert any(getattr(c, "id", None) == ids.EX_INDICATORS for c in _walk(fold[0]))
    chain = _ancestors_of(page, ids.EX_INDICATORS)
    group = next(c for c in reversed(chain) if type(c).__name__ == "Fieldset")
    assert group.to_plotly_json()["props"].get("aria-describedby") == INDICATORS_HINT
    hint = next(c for c in _walk(group) if getattr(c, "id", None) == INDICATORS_HINT)
    assert "last one ticked stays ticked" in _text(hint)


def test_exp106_trend_table_has_a_row_per_period_a_column_per_area_and_the_source_once(bundled):
    state = normalise(bundled, parse_query(f"?indicator={IND}&area={YORK}&area={ENGLAND}"))
    rows = card_rows(bundled, IND, state)
    totals = area_totals(rows)
    shown = totals[totals["value"].notna()]
    table, footnote = trend._table(totals, bundled.indicator(IND), state)
    head = [th.children for th in table.children[1].children.children]
    names = [bundled.areas[YORK], bundled.areas[ENGLAND]]
    assert head == ["Period", *names]
    body = table.children[2].children
    in_time = shown.sort_values(["period_end", "period_start"], kind="stable")
    assert [tr.children[0].children for tr in body] == list(dict.fromkeys(in_time["period"])), "periods oldest first"
    assert len(body) == shown["period"].nunique() < len(shown)
    text = " ".join(str(td.children) for tr in body for td in tr.children)
    sources = set(shown["source"])
    assert not any(s in text for s in sources), "the source is not repeated in the rows"
    assert all(_text(footnote).count(s) == 1 for s in sources)
    # every plotted value is in its period's row and its area's column
    york = shown[shown["area_code"] == YORK]
    col = head.index(names[0])
    by_period = {tr.children[0].children: tr.children[col].children for tr in body}
    from data.domain.formatting import format_value
    for period, value in zip(york["period"], york["value"], strict=True):
        assert by_period[period].startswith(format_value(value, bundled.indicator(IND)["unit"]))


@pytest.mark.parametrize("query", ["", "?mode=england", "?mode=compare"])
def test_exp107_every_view_still_builds_a_card(bundled, query):
    _, card = _card(bundled, IND, f"?indicator={IND}{query.replace('?', '&')}")
    assert card.id == f"card-{IND}"
