"""The explore page's fast paths (issue 15, round 4) give exactly what the row-by-row code gave.

The controls' options now come from per-indicator facts kept per data version (data/domain/views.option_facts)
and the trend card reads its few rows as lists; the oracles here are the code they replaced, kept verbatim
(frames filtered and sorted per request). The data: the bundled report and Fingertips rows (undated periods,
one period, financial, academic and calendar years side by side, report categories, rows without a value)
plus the real Fingertips download in tests/data/fingertips/ (County & UA, Region and England rows, two kinds
of deprivation decile), as an upload would publish it.
"""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pandas as pd
import pytest

from data.domain.dataset import ENGLAND, HOME_AREA, Dataset, build_from_typed, expanded, load_bundled
from data.domain.formatting import display_name, format_period, format_value, movement
from data.domain.series import break_caption, breaks, latest_change, with_series
from data.domain.significance import NOT_COMPARED
from data.domain.significance import compare_with_england as compare
from data.domain.status import change_direction
from data.domain.views import (
    NOT_PUBLISHED,
    UPPER_TIER,
    _period_phrase,
    area_totals,
    area_type,
    breakdown_rows,
    compare_areas_periods,
    headline,
    is_breakdown,
    periods_of,
    trend_summary,
    values_unpublished,
)
from data.ingest.importer import catalogue_with, read_upload, typed_rows
from layouts.explore import control_options
from layouts.explore_filters import periods_for
from layouts.explore_state import ExploreState, normalise
from layouts.explore_views import breakdown, compare_areas
from layouts.explore_views.trend import _oldest_first

RAW = Path(__file__).resolve().parents[1] / "data" / "fingertips" / "raw-download-example.csv"
FT = "fingertips-93356"


@pytest.fixture(scope="module")
def data() -> Dataset:
    """The bundled data plus the raw Fingertips download, as an upload would publish it."""
    base = load_bundled()
    result = read_upload(RAW.read_bytes(), RAW.name, base.indicators)
    assert result.valid, result.problems[:3]
    rows = typed_rows(result)
    observations = pd.concat([base.observations.reindex(columns=rows.columns), rows], ignore_index=True)
    return build_from_typed(catalogue_with(base.indicators, result.new_indicators).reset_index(drop=True), observations)


# -- the replaced code, verbatim: the oracles --------------------------------------------------------

def old_periods_for(dataset: Dataset, state: ExploreState) -> list[str]:
    rows = dataset.observations_for(list(state.indicators))
    if state.areas:
        rows = rows[rows["area_code"].isin(list(state.areas))]
    rows = rows[rows["category_type"] == ""]
    return periods_of(rows[rows["period_end"].notna()])


def old_kind_options(dataset: Dataset, state: ExploreState) -> list[str]:
    kinds = set(area_totals(dataset.observations_for(list(state.indicators)))["area_code"].map(area_type)) - {"England"}
    return sorted(kinds, key=lambda k: (k != UPPER_TIER, k))


def old_areas_period_options(dataset: Dataset, state: ExploreState) -> list[str]:
    kinds = old_kind_options(dataset, state)
    kind = state.choice("areas_type") if state.choice("areas_type") in kinds else (kinds[0] if kinds else UPPER_TIER)
    return compare_areas_periods(area_totals(dataset.observations_for(list(state.indicators))), kind)


def _cats(dataset: Dataset, state: ExploreState) -> pd.DataFrame:
    return breakdown_rows(dataset.observations_for(list(state.indicators)))


def old_breakdown_areas(dataset: Dataset, state: ExploreState) -> list[str]:
    codes = set(_cats(dataset, state)["area_code"])
    return [c for c in dataset.areas if c in codes]


def old_breakdown_periods(dataset: Dataset, state: ExploreState) -> list[str]:
    cats = _cats(dataset, state)
    mine = cats[cats["area_code"] == state.choice("breakdown_area")]
    return periods_of(mine if not mine.empty else cats)


def old_breakdown_kinds(dataset: Dataset, state: ExploreState) -> list[str]:
    cats = _cats(dataset, state)
    mine = cats[cats["area_code"] == state.choice("breakdown_area")]
    return list(dict.fromkeys((mine if not mine.empty else cats)["category_type"]))


def old_breaks(rows: pd.DataFrame) -> list[dict]:
    shaped = with_series(rows)
    out = []
    for code, group in shaped.groupby("area_code", sort=False):
        before = group.iloc[:-1]
        after = group.iloc[1:]
        for (_, a), (_, b) in zip(before.iterrows(), after.iterrows(), strict=True):
            if a["basis"] != b["basis"]:
                out.append({"area_code": code, "area_name": b["area_name"], "before": a["period"], "after": b["period"],
                            "basis_before": a["basis"], "basis_after": b["basis"]})
    return out


def old_headline(rows: pd.DataFrame, indicator: pd.Series) -> dict | None:
    totals = area_totals(rows)
    shown = totals[totals["value"].notna()]
    if shown.empty or shown["period"].nunique() > 1:
        return None
    home = shown[shown["area_code"] == HOME_AREA]
    row = (home if not home.empty else shown).iloc[0]
    unit = indicator["unit"]
    when = format_period(row["period"]) if not pd.isna(row["period_end"]) else "period not stated"
    lines = [f"Source: {row['source']}."]
    england = shown[(shown["area_code"] == ENGLAND) & (shown["period"] == row["period"])]
    if row["area_code"] != ENGLAND:
        if not england.empty:
            eng = float(england["value"].iloc[0])
            lines.append(f"England {format_value(eng, unit)} in {format_period(row['period'])}.")
            comparison = compare(row["note"], row["lower_ci"], row["upper_ci"], eng, indicator["polarity"], row["period"])
            if comparison.result != NOT_COMPARED:
                lines.append(comparison.sentence(row["area_name"]))
        else:
            lines.append(f"England: no value for {format_period(row['period'])} in the data.")
    others = shown[~shown["area_code"].isin([row["area_code"], ENGLAND])]
    lines += [f"{o['area_name']} {format_value(o['value'], unit)} in {format_period(o['period'])}." for o in others.to_dict("records")]
    return {"value": format_value(row["value"], unit), "caption": f"{row['area_name']}, {when}", "lines": lines}


def old_trend_summary(rows: pd.DataFrame, indicator: pd.Series) -> str:
    unit, polarity = indicator["unit"], indicator["polarity"]
    totals = area_totals(rows)
    home = totals[(totals["area_code"] == HOME_AREA) & totals["value"].notna()]
    if values_unpublished(rows):
        return f"{display_name(indicator)}: values {NOT_PUBLISHED}."
    if home.empty:
        return f"No York value for {display_name(indicator)} in the chosen years."
    dated = home[home["period_end"].notna()]
    latest = (dated if not dated.empty else home).iloc[-1]
    when = _period_phrase(latest)
    sentence = f"York {format_value(latest['value'], unit)} {when}"
    if not dated.empty:
        change = latest_change(home)
        prev = change.previous
        if change.comparable and prev is not None:
            delta = latest["value"] - prev["value"]
            verb = {"up": "up from", "down": "down from", "same": "unchanged from"}[movement(delta)]
            judgement = change_direction(delta, polarity)
            judged = f" ({judgement})" if judgement in ("better", "worse") else ""
            back = change.phrase.removeprefix(f"since {format_period(prev['period'])}")
            sentence += f", {verb} {format_value(prev['value'], unit)} in {format_period(prev['period'])}{back}{judged}"
        elif change.prior is not None:
            sentence += f"; {change.phrase}"
    sentence += "."
    england = totals[(totals["area_code"] == ENGLAND) & totals["value"].notna()]
    if not england.empty:
        same = england[england["period"] == latest["period"]]
        if not same.empty:
            sentence += f" England {format_value(same.iloc[-1]['value'], unit)} in {format_period(latest['period'])}."
        else:
            eng = england.iloc[-1]
            sentence += (f" England has no value for {format_period(latest['period'])} in the data"
                         f" (latest {format_value(eng['value'], unit)} in {format_period(eng['period'])}).")
    return sentence


# -- the states: single indicators, pairs that mix period kinds, areas of several types -------------

def _states(dataset: Dataset) -> list[ExploreState]:
    ids = list(dict.fromkeys(dataset.observations["indicator_id"].astype(str)))
    some_areas = [(), (HOME_AREA,), (HOME_AREA, ENGLAND), (ENGLAND, "E12000003", "E06000010"), ("E06000010",), ("E92000001", "E10000024")]
    pairs = [(FT, "year6-overweight"), ("area-hectares", "population"), ("training-sessions", "fingertips-active-children"),
             ("webinar-helpfulness-rating", "reception-overweight"), (FT, "training-attendees", "fingertips-neet-16-17")]
    pairs += list(combinations(ids[-12:], 2))[:30]
    states = []
    for k, inds in enumerate([(i,) for i in ids] + pairs):
        areas = some_areas[k % len(some_areas)]
        for choices in ((), (("breakdown_area", ENGLAND), ("areas_type", "Region")), (("breakdown_area", "E06000010"),),
                        (("breakdown_area", "nowhere"), ("areas_type", "District & UA"))):
            states.append(ExploreState(indicators=tuple(inds), areas=areas, choices=choices))
    return states


def test_opt001_each_views_options_equal_the_row_by_row_ones(data):
    checked = {"periods": 0, "kinds": 0, "areas_periods": 0, "cat_areas": 0, "cat_periods": 0, "cat_kinds": 0}
    for state in _states(data):
        got = periods_for(data, state)
        assert got == old_periods_for(data, state), state
        checked["periods"] += len(got) > 1
        kinds = compare_areas.kind_options(data, state)
        assert kinds == old_kind_options(data, state), state
        checked["kinds"] += len(kinds) > 1
        assert compare_areas.period_options(data, state) == old_areas_period_options(data, state), state
        checked["areas_periods"] += len(old_areas_period_options(data, state)) > 1
        areas = breakdown.area_options(data, state)
        assert areas == old_breakdown_areas(data, state), state
        checked["cat_areas"] += len(areas) > 1
        cat_periods = breakdown.period_options(data, state)
        assert cat_periods == old_breakdown_periods(data, state), state
        checked["cat_periods"] += len(cat_periods) > 0
        cat_kinds = breakdown.kind_options(data, state)
        assert cat_kinds == old_breakdown_kinds(data, state), state
        checked["cat_kinds"] += len(cat_kinds) > 1
    assert all(n > 3 for n in checked.values()), checked  # every option list was met with more than one entry


def test_opt002_mixed_period_kinds_sort_as_the_rows_did(data):
    """A financial-year indicator beside a calendar-year one: one list, oldest first, as periods_of sorts rows."""
    state = ExploreState(indicators=(FT, "fingertips-active-children"), areas=(HOME_AREA, ENGLAND))
    periods = periods_for(data, state)
    assert periods == old_periods_for(data, state)
    assert any("/" in p for p in periods) and any("/" not in p for p in periods), periods


def test_opt003_an_indicator_without_dated_values_offers_no_periods(data):
    for ind in ("area-hectares", "webinar-helpfulness-rating"):  # "not stated"; a breakdown with no values
        state = normalise(data, ExploreState(indicators=(ind,), mode="compare"))
        assert periods_for(data, state) == old_periods_for(data, state) == []
        options = control_options(data, state)
        assert options["choices"]["a"] == options["choices"]["b"] == []


def test_opt004_the_normalised_state_and_options_match_the_old_choice(data):
    """normalise picks from the same lists, so the chosen values are the old ones."""
    for state in _states(data)[::7]:
        for mode in ("compare", "areas", "breakdown"):
            out = normalise(data, ExploreState(indicators=state.indicators, areas=state.areas, mode=mode, choices=state.choices))
            expected_b = old_periods_for(data, out)
            assert out.choice("b") == (state.choice("b") if state.choice("b") in expected_b else (expected_b[-1] if expected_b else ""))
            kinds = old_kind_options(data, out)
            assert out.choice("areas_type") == (state.choice("areas_type") if state.choice("areas_type") in kinds else (kinds[0] if kinds else ""))
            opts = control_options(data, out)["choices"]
            assert [o["value"] for o in opts["areas_period"]] == old_areas_period_options(data, out)
            assert [o["value"] for o in opts["breakdown_kind"]] == old_breakdown_kinds(data, out)


def test_opt005_card_parts_equal_the_frame_code(data):
    met = {"breaks": 0, "headline": 0, "england": 0, "others": 0, "change": 0}
    every_area = [ExploreState(indicators=(FT, "year6-overweight"))]  # all areas' rows: a headline with other areas
    for state in _states(data)[::4] + every_area:
        for ind in state.indicators:
            rows = data.observations_for([ind], None, list(state.areas) or None)
            totals = area_totals(rows)
            assert breaks(rows) == old_breaks(rows)
            met["breaks"] += bool(breaks(rows))
            assert break_caption(totals).startswith("Break") == bool(old_breaks(totals))
            for one in [totals] + [totals[totals["period"] == p] for p in list(dict.fromkeys(totals["period"]))[:2]]:
                single = headline(one, data.indicator(ind))
                assert single == old_headline(one, data.indicator(ind)), (ind, state.areas)
                met["headline"] += single is not None
                met["others"] += single is not None and len(single["lines"]) > 3
            sentence = trend_summary(totals, data.indicator(ind))
            assert sentence == old_trend_summary(totals, data.indicator(ind)), (ind, state.areas)
            met["england"] += " England " in sentence
            met["change"] += " from " in sentence
            shown = totals[totals["value"].notna()]
            assert _oldest_first(shown) == list(dict.fromkeys(shown.sort_values(["period_end", "period_start"], kind="stable")["period"]))
    assert all(n >= 2 for n in met.values()), met


def test_opt006_observations_for_areas_from_the_kept_frame_equal_the_filtered_read(data):
    for ind in (FT, "year6-overweight", "training-sessions", "area-hectares"):
        for areas in ([HOME_AREA], [ENGLAND, "E12000003"], ["nowhere"]):
            rows = data.observations_for([ind], None, areas)
            plain = data.observations[data.observations["indicator_id"] == ind]
            pd.testing.assert_frame_equal(rows, expanded(plain[plain["area_code"].isin(areas)]))
    assert data.cache.sizes()["observations_for"] >= 4  # kept per indicator, whatever areas were asked


def old_is_breakdown(rows: pd.DataFrame) -> bool:
    cats = rows["category_type"] != ""
    if not cats.any():
        return False
    totals = rows.loc[~cats, ["area_code", "period"]].drop_duplicates()
    if totals.empty:
        return True
    with_cats = rows.loc[cats, ["area_code", "period"]].drop_duplicates()
    return len(totals.merge(with_cats, on=["area_code", "period"])) == len(totals)


def test_opt007_is_breakdown_equals_the_merge(data):
    seen = set()
    for state in _states(data)[::4]:
        for ind in state.indicators:
            for areas in (list(state.areas) or None, None, [ENGLAND]):
                rows = data.observations_for([ind], None, areas)
                assert is_breakdown(rows) == old_is_breakdown(rows), (ind, areas)
                seen.add((is_breakdown(rows), bool((rows["category_type"] != "").any())))
    assert seen == {(True, True), (False, True), (False, False)}  # categories only; beside totals (FT's deciles); none
