"""The column-at-a-time paths (issue 6, benchmarks) give exactly the row-by-row answers.

validate_observations checks every rule as a mask over the whole frame; these tests compare it
with checking every row one by one (validation_legacy._check_rows over all rows: the row-by-row
checks as they were, kept as the oracle), on frames built from awkward cells.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.domain.dataset import _numbers
from data.domain.schema import OBSERVATION_COLUMNS, to_number, validate_observations

_spec = importlib.util.spec_from_file_location("validation_legacy", Path(__file__).resolve().parent / "validation_legacy.py")
legacy = importlib.util.module_from_spec(_spec)
sys.modules["validation_legacy"] = legacy
_spec.loader.exec_module(legacy)

CATALOGUE = pd.DataFrame({
    "id": ["pct", "rate", "cnt", "free"],
    "unit": ["%", "rate per 100,000", "count", "£"],
})

CELLS = {
    "indicator_id": ["pct", "rate", "cnt", "free", "nope", "", " ", None, np.nan, "pct "],
    "area_code": ["E06000014", "E92000001", "", "  ", None],
    "area_name": ["York", "England", "", None],
    "period": ["2023/24", "2022/23", "2015", "2013 - 15", "23/24", "2021/2023", "Q1 2023/24", "next year", "", None, " 2019 "],
    "period_type": ["", "financial year", "academic year", "census", "calendar year", "weird", None, " "],
    "category_type": ["", "Sex", None, " "],
    "category": ["", "Male", None],
    "value": ["", "5", "-3", "101", "99.5", "1,150", "8.1%", "£(49,520)", "nan", "inf", "abc", " 7 ", "1e3", None, np.nan, "1_000",
              "100", "0", "-0", "100.0001"],  # the edges of 0-100 and of never negative
    "lower_ci": ["", "4", "200", "x", None, "50", "120.5"],  # equal to a clean row's value: inside
    "upper_ci": ["", "6", "-1", "1,000", None, "50", "120.5"],
    "count": ["", "10", "-2", "(5)", None],
    "denominator": ["", "100", "-1", "NaN"],
    "source": ["report", "", None],
    "note": ["", "n"],
}


def _frame(rows: list[dict], columns=OBSERVATION_COLUMNS, dtype=object) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns), dtype=dtype)


def _row_by_row(frame: pd.DataFrame, row_numbers=None) -> list:
    units = dict(zip(CATALOGUE["id"], CATALOGUE["unit"], strict=True))
    numbers = range(1, len(frame) + 1) if row_numbers is None else list(row_numbers)
    return legacy._check_rows(frame, units, numbers, range(len(frame)), None, None, max(1, len(frame) // 50))


CLEAN = [
    {"indicator_id": "pct", "area_code": "E06000014", "area_name": "York", "period": "2023/24", "period_type": "",
     "category_type": "", "category": "", "value": "50", "lower_ci": "40", "upper_ci": "60", "count": "5",
     "denominator": "10", "source": "report", "note": ""},
    {"indicator_id": "rate", "area_code": "E92000001", "area_name": "England", "period": "2015", "period_type": "census",
     "category_type": "Sex", "category": "Male", "value": "120.5", "lower_ci": "", "upper_ci": "", "count": "",
     "denominator": "", "source": "report", "note": "n"},
]
# A clean row with none, one or two cells swapped for awkward ones: most rows are clean or have a
# single problem, so both the screen and the row checks are exercised.
row_strategy = st.builds(
    lambda base, changes: {**base, **dict(changes)},
    st.sampled_from(CLEAN),
    st.lists(st.sampled_from([(c, v) for c, vs in CELLS.items() for v in vs]), max_size=2),
)
rows_strategy = st.lists(row_strategy, min_size=0, max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, repeat=st.integers(0, 3), numbered=st.booleans())
def test_fast001_screened_validation_equals_row_by_row(rows, repeat, numbered):
    rows = rows + rows[:repeat]  # duplicates of earlier rows
    frame = _frame(rows)
    numbers = [10 + 3 * k for k in range(len(frame))] if numbered else None
    assert validate_observations(frame, CATALOGUE, row_numbers=numbers) == _row_by_row(frame, numbers)


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy)
def test_fast002_pandas_str_dtype_frames_too(rows):
    frame = _frame(rows).astype("str")  # pandas' text dtype (missing cells stay missing)
    assert validate_observations(frame, CATALOGUE) == _row_by_row(frame)


def test_fast003_optional_columns_may_be_absent():
    frame = pd.DataFrame({"indicator_id": ["pct", "pct", "cnt"], "area_code": ["A", "A", "B"], "area_name": ["a", "a", "b"],
                          "period": ["2020", "2020", "2021"], "source": ["s", "s", ""]}, dtype=object)
    found = validate_observations(frame, CATALOGUE)
    assert found == _row_by_row(frame)
    assert [(p.row, p.column) for p in found] == [(2, "period"), (3, "source")]


def test_fast004_non_text_cells_take_the_row_by_row_path():
    frame = _frame([{**{c: "" for c in OBSERVATION_COLUMNS}, "indicator_id": "pct", "area_code": "A", "area_name": "a",
                     "period": "2020", "source": "s", "value": 150.0}])
    assert validate_observations(frame, CATALOGUE) == _row_by_row(frame)
    assert [p.column for p in validate_observations(frame, CATALOGUE)] == ["value"]
    frame.loc[0, "value"] = pd.NA
    assert validate_observations(frame, CATALOGUE) == _row_by_row(frame)


def test_fast005_progress_is_reported_at_most_about_fifty_times():
    frame = _frame([{**{c: "" for c in OBSERVATION_COLUMNS}, "indicator_id": "pct", "area_code": f"A{k}", "area_name": "a",
                     "period": "2020", "source": "s", "value": "5"} for k in range(500)])
    seen = []
    assert validate_observations(frame, CATALOGUE, progress=seen.append) == []
    assert 1 <= len(seen) <= 51 and seen == sorted(seen) and all(0 <= f < 1 for f in seen)


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(st.sampled_from(["", " ", "5", "-3.25", " 7 ", "1e3", "1,150", "8.1%", "£(49,520)", "(5)", "1_000", None, np.nan, "0"]), max_size=30))
def test_fast006_numbers_column_equals_to_number_cell_by_cell(cells):
    column = pd.Series(cells, dtype=object)
    expected = [to_number(v) for v in cells]
    got = _numbers(column)
    assert got.dtype == "float64" and list(got.index) == list(column.index)
    assert [None if pd.isna(x) else x for x in got] == expected


def test_fast007_numbers_column_still_refuses_what_to_number_refuses():
    for bad in (["1", "abc"], ["nan"], ["inf", "2"]):
        with pytest.raises(ValueError):
            _numbers(pd.Series(bad, dtype=object))


# -- prepare_observations: numbers and periods read column by column ----------------------

def _prepare_row_by_row(raw: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """prepare_observations as it was before the fast paths (every cell and period one at a time)."""
    from data.domain.periods import parse_period
    from data.domain.schema import NUMERIC_OBSERVATION_COLUMNS

    obs = raw.reindex(columns=list(OBSERVATION_COLUMNS)).copy()
    for col in NUMERIC_OBSERVATION_COLUMNS:
        c = obs[col]
        obs[col] = c.astype("float64") if pd.api.types.is_numeric_dtype(c) else pd.Series([to_number(v) for v in c], index=c.index, dtype="float64")
    text_cols = [c for c in OBSERVATION_COLUMNS if c not in NUMERIC_OBSERVATION_COLUMNS]
    obs[text_cols] = obs[text_cols].fillna("").astype(str)
    periods = [parse_period(label, ptype or None) for label, ptype in zip(obs["period"], obs["period_type"], strict=True)]
    obs["period_type"] = [p.type for p in periods]
    obs["period_start"] = pd.to_datetime([p.start for p in periods])
    obs["period_end"] = pd.to_datetime([p.end for p in periods])
    obs["unit"] = obs["indicator_id"].map(catalogue["unit"])
    obs["indicator_name"] = obs["indicator_id"].map(catalogue["name"])
    obs["set"] = obs["indicator_id"].map(catalogue["set"])
    obs = obs.sort_values(["indicator_id", "area_code", "period_end", "period_start", "category_type", "category"], na_position="first", kind="stable")
    return obs.reset_index(drop=True)


def _bundled_raw():
    from data.domain.dataset import BUNDLED, load_bundled, read_csv_text

    catalogue = load_bundled().indicators
    raw = pd.concat([read_csv_text(p) for p in sorted(BUNDLED.glob("*_observations.csv"))], ignore_index=True)
    return raw, catalogue


def test_fast008_prepare_observations_equals_row_by_row_on_the_bundled_data():
    from data.domain.dataset import prepare_observations

    raw, catalogue = _bundled_raw()
    pd.testing.assert_frame_equal(prepare_observations(raw, catalogue), _prepare_row_by_row(raw, catalogue))


@settings(max_examples=60, deadline=None)
@given(picks=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["2023/24", "22/23", "2015", "2013 - 15", "Q1 2023/24", "not stated", "March 2024"]),
                                st.sampled_from(["", "academic year", "financial year"]),
                                st.sampled_from(["", "5", " 7 ", "1,150", "8.1%", "£(49,520)", "(5)", "1e3"])), min_size=0, max_size=30),
       as_str=st.booleans())
def test_fast009_prepare_observations_equals_row_by_row_on_awkward_rows(picks, as_str):
    from data.domain.dataset import prepare_observations
    from data.domain.periods import PeriodError, parse_period

    raw, catalogue = _bundled_raw()
    rows = []
    for k, period, ptype, number in picks:
        try:
            parse_period(period, ptype or None)
        except PeriodError:
            ptype = ""
        row = raw.iloc[k % len(raw)].to_dict()
        rows.append({**row, "period": period, "period_type": ptype, "value": number, "count": number})
    frame = pd.DataFrame(rows, columns=raw.columns, dtype=object)
    if as_str:
        frame = frame.astype("str")
    pd.testing.assert_frame_equal(prepare_observations(frame, catalogue), _prepare_row_by_row(frame, catalogue))


def test_fast010_prepare_observations_raises_for_the_first_bad_period_as_before():
    from data.domain.dataset import prepare_observations
    from data.domain.periods import PeriodError

    raw, catalogue = _bundled_raw()
    frame = raw.head(6).copy()
    frame.loc[2, "period"], frame.loc[4, "period"] = "first bad", "second bad"
    with pytest.raises(PeriodError) as new:
        prepare_observations(frame, catalogue)
    with pytest.raises(PeriodError) as old:
        _prepare_row_by_row(frame, catalogue)
    assert str(new.value) == str(old.value) and "first bad" in str(new.value)


# -- per-version caches on the Dataset -----------------------------------------------------

@pytest.fixture(scope="module")
def bundled():
    from data.domain.dataset import load_bundled

    return load_bundled()


def _filtered(dataset, indicator_ids=None, sets=None, areas=None):
    """observations_for as plain boolean filters (what the positions index must reproduce)."""
    obs = dataset.observations
    if sets:
        obs = obs[obs["indicator_id"].isin(dataset.indicators.index[dataset.indicators["set"].isin(sets)])]
    if indicator_ids:
        obs = obs[obs["indicator_id"].isin(indicator_ids)]
    if areas:
        obs = obs[obs["area_code"].isin(areas)]
    return obs


@pytest.mark.parametrize("indicator_ids, sets, areas", [
    (["year6-overweight"], None, None),
    (["year6-overweight", "reception-overweight"], None, ["E06000014"]),
    (["reception-overweight", "year6-overweight", "reception-overweight"], ["Aged 5-11"], None),
    (["no-such-indicator"], None, None),
    (["no-such-indicator", "year6-overweight"], None, ["E92000001", "nowhere"]),
    (None, ["Aged 2-5"], ["E06000014"]),
    ([], None, None),
    ({"year6-overweight", "primary-fsm"}, None, None),
])
def test_fast011_observations_for_equals_boolean_filters(bundled, indicator_ids, sets, areas):
    got = bundled.observations_for(indicator_ids, sets, areas)
    pd.testing.assert_frame_equal(got, _filtered(bundled, indicator_ids, sets, areas))


def test_fast012_observations_for_on_an_unsorted_frame(bundled):
    from data.domain.dataset import Dataset

    shuffled = Dataset(bundled.indicators, bundled.observations.sample(frac=1, random_state=3))
    ids = ["year6-overweight", "primary-fsm", "reception-overweight"]
    pd.testing.assert_frame_equal(shuffled.observations_for(ids, None, ["E06000014"]), _filtered(shuffled, ids, None, ["E06000014"]))


def test_fast013_areas_are_worked_out_once_and_handed_out_as_copies(bundled):
    first = bundled.areas
    first["X"] = "changed by a caller"
    assert "X" not in bundled.areas
    assert list(bundled.areas)[:2] == ["E06000014", "E92000001"]


def test_fast014_year_range_is_cached_per_version_and_copied(bundled):
    from layouts.explore_state import year_range

    years = year_range(bundled)
    years.append("9999")
    assert year_range(bundled) == years[:-1] and year_range(bundled)[0] <= year_range(bundled)[-1]


def test_fast015_overview_sections_built_once_per_version_and_year_as_the_json_dash_sends(bundled):
    import json

    from dash._utils import to_json  # what Dash sends

    from data.domain.status import _reporting_years, reporting_years
    from layouts.overview import cached_sections as _sections
    from layouts.overview import overview_sections

    assert reporting_years(bundled) == list(_reporting_years(bundled))  # the kept list is the computed one
    assert bundled.cache.sizes()["reporting_years"] == 1
    year = reporting_years(bundled)[1]
    first = _sections(bundled, year)
    assert _sections(bundled, year) is first
    assert to_json(first) == to_json(overview_sections(bundled, year))  # the same bytes as from fresh components
    assert to_json(first) == to_json(_sections(bundled, year))  # serialising it did not change it
    assert not list(_walk(first))  # no component objects left: plain lists and dicts
    assert json.loads(json.dumps(first)) == first


def _walk(tree):
    from dash.development.base_component import Component

    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, Component):
            yield node
            stack.append(getattr(node, "children", None))


def test_fast016_store_records_equal_to_dict_records():
    from data.storage.store import _records

    frame = pd.DataFrame({"a": ["x", None, "z"], "b": [1.5, np.nan, 3.0], "c": [1, 2, 3], "d": pd.Series(["p", "q", None], dtype="str")})
    expected = frame.reindex(columns=["c", "a", "b", "d", "e"]).astype(object)
    expected = expected.where(expected.notna(), None).to_dict("records")
    got = _records(frame, ("c", "a", "b", "d", "e"))
    assert got == expected
    assert [type(v) for r in got for v in r.values()] == [type(v) for r in expected for v in r.values()]


def test_fast017_prepared_text_columns_share_one_object_per_distinct_value():
    from data.domain.dataset import prepare_observations

    raw, catalogue = _bundled_raw()
    raw = pd.concat([raw] * 3, ignore_index=True).astype(object)
    raw["area_name"] = [str(v) + "" if k % 2 else "".join(list(str(v))) for k, v in enumerate(raw["area_name"])]  # fresh copies
    raw = raw.drop_duplicates(["indicator_id", "area_code", "period", "category_type", "category"])
    prepared = prepare_observations(raw, catalogue)
    pd.testing.assert_frame_equal(prepared, _prepare_row_by_row(raw, catalogue))
    for col in ("indicator_id", "area_code", "area_name", "period", "source"):
        values = prepared[col].to_numpy(dtype=object)
        assert len({id(v) for v in values}) == len(set(values)), col


# -- the store: chunked, pooled reads --------------------------------------------------------

def test_fast018_store_reads_in_chunks_the_same_dataset(store_url, monkeypatch):
    import data.storage.store as store_module
    from data.storage.store import Store

    store = Store(store_url)
    store.setup()
    monkeypatch.setattr(store_module, "_READ_CHUNK", 10**9)
    whole = store.load_dataset()
    monkeypatch.setattr(store_module, "_READ_CHUNK", 7)
    chunked = store.load_dataset()
    pd.testing.assert_frame_equal(chunked.observations, whole.observations)
    pd.testing.assert_frame_equal(chunked.indicators, whole.indicators)
    ids = chunked.observations["area_name"].to_numpy(dtype=object)
    assert len({id(v) for v in ids}) == len(set(ids))
    store.dispose()


def test_fast019_release_memory_is_harmless():
    from data.storage.store import release_memory

    release_memory()
    release_memory()


# -- the importer: lines read in place -------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(["a", "b", ",", '"', "\r", "\n", "\r\n", "\u2028", "\x0c", "\x1c", " ", "é", "\x85"]), max_size=60).map("".join))
def test_fast020_lines_split_as_stringio_newline_empty(text):
    import io

    from data.ingest.containers.csv_file import Lines as _Lines

    lines = _Lines(text)
    got, ends = [], []
    for line in lines:
        got.append(line)
        ends.append(lines.position)
    buffer = io.StringIO(text, newline="")
    expected, tells = [], []
    for line in buffer:
        expected.append(line)
        tells.append(buffer.tell())
    assert got == expected and ends == tells


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(["a", ",", '"', "\r", "\n", "\r\n", "\u2028", " ", "1"]), max_size=80).map("".join))
def test_fast021_csv_records_as_with_stringio(text):
    import csv
    import io

    from data.ingest.containers import csv_file

    def old(content):
        reader = csv.reader(io.StringIO(csv_file.decode(content), newline=""))
        try:
            return [(n, f) for n, f in enumerate(reader)]
        except csv.Error as exc:
            return ("error", str(exc))

    def new(content):
        try:
            return list(enumerate(csv_file.csv_records(csv_file.decode(content), lambda stage, done: None)))
        except csv_file.Refused as exc:
            return ("error", exc.problems[0].message.replace("could not read the file: ", ""))

    content = text.encode("utf-8")
    assert new(content) == old(content)


def test_fast022_explore_cards_cached_per_view_send_the_same_json(bundled):
    from dash._utils import to_json

    from layouts.explore import cached_results, explore_results
    from layouts.explore_state import ExploreState, normalise

    views = [
        ExploreState(set="Aged 5-11"),
        ExploreState(indicators=("year6-overweight", "reception-overweight"), mode="compare"),
        ExploreState(indicators=("year6-overweight",), mode="england", start="2015"),
        ExploreState(set="Training"),
    ]
    for raw in views:
        state = normalise(bundled, raw)
        cached = cached_results(bundled, state)
        assert to_json(cached) == to_json(explore_results(bundled, state)), raw
        assert not list(_walk(cached))
        again = cached_results(bundled, state)
        assert all(a is b for a, b in zip(again, cached, strict=True))  # built once per view


def test_fast023_a_changed_view_is_not_served_a_stale_card(bundled):
    from dash._utils import to_json

    from layouts.explore import cached_results, explore_results
    from layouts.explore_state import ExploreState, normalise

    trend = normalise(bundled, ExploreState(indicators=("year6-overweight",)))
    cached_results(bundled, trend)
    for changed in (
        ExploreState(indicators=("year6-overweight",), mode="compare"),
        ExploreState(indicators=("year6-overweight",), areas=("E06000014",)),
        ExploreState(indicators=("year6-overweight",), start="2019"),
    ):
        state = normalise(bundled, changed)
        assert to_json(cached_results(bundled, state)) == to_json(explore_results(bundled, state)), changed
        assert to_json(cached_results(bundled, state)) != to_json(cached_results(bundled, trend)), changed


def test_fast024_memo_is_a_bounded_lru():
    from data.domain.cache import VersionCache

    cache, built = VersionCache(), []
    for key in [1, 2, 1, 3, 4, 1]:
        cache.remember("t", key, lambda k=key: built.append(k) or k * 10, maxsize=2)
    # 1, 2 built; 1 is a hit (now newest); 3 evicts 2; 4 evicts 1; so 1 is built again and evicts 3
    assert built == [1, 2, 3, 4, 1]
    assert list(cache._tables["t"]) == [4, 1]
    assert cache.sizes() == {"t": 2}


def _apply(tree, patch: dict):
    """Apply a Patch's Assign operations (as sent: a plain dict) to a plain JSON tree, as the renderer does."""
    import copy

    out = copy.deepcopy(tree)
    for op in patch["operations"]:
        assert op["operation"] == "Assign"
        *parents, last = op["location"]
        node = out
        for key in parents:
            node = node[key]
        node[last] = op["params"]["value"]
    return out


def test_fast025_a_year_change_patches_only_what_the_year_changes_whatever_year_the_page_shows(bundled):
    import json

    from data.domain.status import reporting_years
    from layouts.overview import cached_sections, sections_update, shown

    years = reporting_years(bundled)
    assert len(years) >= 3
    for new in years:
        update = sections_update(bundled, shown(bundled, years[0]), new)
        assert update["__dash_patch_update"] == "__dash_patch_update"  # what dash.Patch sends
        assert len(json.dumps(update)) < len(json.dumps(cached_sections(bundled, new))) / 2
        for old in years:  # the page may show any year (an earlier answer still in flight)
            assert _apply(cached_sections(bundled, old), update) == cached_sections(bundled, new), (old, new)


def test_fast026_without_this_versions_sections_on_the_page_the_whole_sections_are_sent(bundled):
    from data.domain.status import reporting_years
    from layouts.overview import cached_sections, sections_update, shown

    years = reporting_years(bundled)
    full = cached_sections(bundled, years[1])
    assert sections_update(bundled, None, years[1]) is full  # no record of the page
    assert sections_update(bundled, {**shown(bundled, years[0]), "version": bundled.version + 1}, years[1]) is full



def test_fast027_observations_for_keeps_rows_per_version_and_a_caller_cannot_change_them(bundled):
    from data.domain.dataset import Dataset, expanded

    fresh = Dataset(bundled.indicators, bundled.observations, version=bundled.version)
    ids = list(dict.fromkeys(fresh.observations["indicator_id"]))[:3]
    plain = expanded(fresh.observations[fresh.observations["indicator_id"].isin(ids)])
    first = fresh.observations_for(ids)
    pd.testing.assert_frame_equal(first, plain)
    first["value"] = -1.0  # a caller changing its frame in place
    first.loc[first.index[0], "area_name"] = "changed"
    again = fresh.observations_for(list(reversed(ids)))  # the same rows whatever the order asked
    pd.testing.assert_frame_equal(again, plain)
    assert fresh.cache.sizes()["observations_for"] == 1
    # with areas too: filtered from the full frame, as before
    york = fresh.observations_for(ids, None, ["E06000014"])
    pd.testing.assert_frame_equal(york, plain[plain["area_code"] == "E06000014"])


def test_fast028_periods_for_from_kept_rows_equals_the_filtered_read(bundled):
    from data.domain.views import periods_of
    from layouts.explore_filters import periods_for
    from layouts.explore_state import ExploreState

    ids = list(dict.fromkeys(bundled.observations["indicator_id"]))
    checked = 0
    for ind in ids[:40]:
        for areas in ((), ("E06000014",), ("E06000014", "E92000001")):
            state = ExploreState(indicators=(ind,), areas=areas)
            rows = bundled.observations_for([ind], None, list(areas) or None)
            rows = rows[(rows["category_type"] == "") & rows["period_end"].notna()]
            assert periods_for(bundled, state) == periods_for(bundled, state) == periods_of(rows)
            checked += bool(periods_of(rows))
    assert checked > 20
