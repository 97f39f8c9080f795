"""Issue 15 (round 3, validation): the faster paths of validate_observations and importer._result give
exactly what the plain ones give.

- an all-str column is told in one pass and its blanks are the '' cells (stripped=True): compared with the
  row-by-row checks (validation_legacy, the oracle test_fast_paths uses) on stripped frames;
- a long column that repeats a lot is cast on its distinct cells: compared with float() cell by cell;
- the first row of each group is found without a sort: compared with np.unique(return_index=True);
- _plain_numbers skips the look at each cell when float() tells enough: compared with _plain_number cell by cell;
- _result builds each text column once: compared with the frame it built before (a frame, then _text_frame);
- the period check groups rows by the codes of (label, type), shared with the key check: compared with row by row.
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

from data.domain import schema
from data.domain.schema import NUMERIC_OBSERVATION_COLUMNS, OBSERVATION_COLUMNS, validate_observations
from data.ingest import importer

_spec = importlib.util.spec_from_file_location("validation_legacy", Path(__file__).resolve().parent / "validation_legacy.py")
legacy = importlib.util.module_from_spec(_spec)
sys.modules["validation_legacy"] = legacy
_spec.loader.exec_module(legacy)

FAST = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

CATALOGUE = pd.DataFrame({"id": ["pct", "rate", "cnt", "free"], "unit": ["%", "rate per 100,000", "count", "£"]})

# Stripped cells only (as the importer hands them over): blank is ''.
CELLS = {
    "indicator_id": ["pct", "rate", "cnt", "free", "nope", ""],
    "area_code": ["E06000014", "E92000001", ""],
    "area_name": ["York", "England", ""],
    "period": ["2023/24", "2022/23", "2015", "2013 - 15", "23/24", "Q1 2023/24", "next year", ""],
    "period_type": ["", "financial year", "academic year", "census", "weird"],
    "category_type": ["", "Sex"],
    "category": ["", "Male", "Female"],
    "value": ["", "5", "-3", "101", "99.5", "1,150", "8.1%", "£(49,520)", "nan", "inf", "abc", "1e3", "1_000", "-0", "100.0001"],
    "lower_ci": ["", "4", "200", "x", "50"],
    "upper_ci": ["", "6", "-1", "1,000", "50"],
    "count": ["", "10", "-2", "(5)"],
    "denominator": ["", "100", "-1", "NaN"],
    "source": ["report", ""],
    "note": ["", "n"],
}
CLEAN = {"indicator_id": "pct", "area_code": "E06000014", "area_name": "York", "period": "2023/24", "period_type": "",
         "category_type": "", "category": "", "value": "50", "lower_ci": "40", "upper_ci": "60", "count": "5",
         "denominator": "10", "source": "report", "note": ""}
ROWS = st.lists(st.builds(lambda changes: {**CLEAN, **dict(changes)},
                          st.lists(st.sampled_from([(c, v) for c, vs in CELLS.items() for v in vs]), max_size=3)),
                max_size=40)


def _row_by_row(frame: pd.DataFrame) -> list:
    units = dict(zip(CATALOGUE["id"], CATALOGUE["unit"], strict=True))
    return legacy._check_rows(frame, units, range(1, len(frame) + 1), range(len(frame)), None, None, max(1, len(frame) // 50))


@FAST
@given(rows=ROWS, repeat=st.integers(0, 3), as_str=st.booleans())
def test_vscr001_stripped_all_str_frames_validate_as_row_by_row(rows, repeat, as_str):
    rows = rows + rows[:repeat]  # duplicate keys
    frame = pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS), dtype=object)
    if as_str:
        frame = frame.astype("str")
    expected = _row_by_row(frame)
    assert validate_observations(frame, CATALOGUE, stripped=True) == expected
    assert validate_observations(frame, CATALOGUE) == expected


def test_vscr002_a_blank_is_only_empty_when_stripped_is_promised():
    frame = pd.DataFrame([{**CLEAN, "area_code": " "}, {**CLEAN, "area_code": ""}], dtype=object)
    assert [(p.row, p.column) for p in validate_observations(frame, CATALOGUE)] == [(1, "area_code"), (2, "area_code"), (2, "period")]
    # stripped=True is the caller's promise: ' ' is then a value, and the two rows' keys differ
    assert [(p.row, p.column) for p in validate_observations(frame, CATALOGUE, stripped=True)] == [(2, "area_code")]


NUMBER_CELLS = ["5", "-3.25", "1e3", "1,150", "8.1%", "(5)", "1_000", "nan", "inf", "-inf", "0", "007", "1.", ".5", "abc",
                "١٢", "+4", "-0", "1.10", "1.1"]


@FAST
@given(cells=st.lists(st.one_of(st.sampled_from(NUMBER_CELLS + [""]), st.text(alphabet="0123456789.-e_ ", max_size=5)),
                      max_size=60),
       repeat=st.integers(1, 4))
def test_vscr003_floats_on_distinct_cells_equal_floats_cell_by_cell(cells, repeat):
    values = np.array(cells * repeat, dtype=object)
    blank = np.array([v == "" for v in values], dtype=bool)
    idx = np.flatnonzero(~blank)
    expected_numbers = np.array([np.nan if b else _float_or_nan(v) for v, b in zip(values, blank, strict=True)])
    expected_bad = np.array([not b and not np.isfinite(_float_or_nan(v)) for v, b in zip(values, blank, strict=True)], dtype=bool)
    for numbers, bad in (schema._floats_by_distinct(values, idx), schema._floats_cell_by_cell(values, idx),
                         schema.floats(values, blank)):
        assert np.array_equal(numbers, expected_numbers, equal_nan=True)
        assert np.array_equal(bad, expected_bad)


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return np.nan


def test_vscr004_a_long_repeating_column_takes_the_distinct_path_and_reads_the_same(monkeypatch):
    taken = []
    by_distinct = schema._floats_by_distinct
    monkeypatch.setattr(schema, "_floats_by_distinct", lambda v, i: taken.append(len(i)) or by_distinct(v, i))
    monkeypatch.setattr(schema, "_BY_DISTINCT_FROM", 20)
    monkeypatch.setattr(schema, "_SAMPLE", 12)
    repeating = np.array(["1", "2", "x", "", "1e2"] * 10, dtype=object)
    numbers, bad = schema.floats(repeating, repeating == "")
    assert taken == [40]
    assert np.array_equal(numbers, np.array([1.0, 2.0, np.nan, np.nan, 100.0] * 10), equal_nan=True)
    assert bad.tolist() == [False, False, True, False, False] * 10
    distinct = np.array([str(k) for k in range(50)], dtype=object)
    schema.floats(distinct, distinct == "")
    assert taken == [40]  # every cell distinct: cast cell by cell
    with_none = np.array(["1", None, np.nan, "2"] * 10, dtype=object)
    numbers, bad = schema.floats(with_none, np.zeros(40, dtype=bool))  # not str only: never factorized
    assert taken == [40] and bad.tolist() == [False, True, True, False] * 10


@FAST
@given(groups=st.lists(st.integers(0, 6), max_size=40))
def test_vscr005_first_of_each_group_as_np_unique(groups):
    group = pd.factorize(np.array(groups, dtype=np.int64))[0]  # numbered in order of first appearance
    assert np.array_equal(schema._firsts(group), np.unique(group, return_index=True)[1])


PLAIN_ALPHABET = "0123456789.+-,%£() eE_\t\x1c١"


@FAST
@given(cells=st.lists(st.one_of(st.sampled_from(NUMBER_CELLS), st.text(alphabet=PLAIN_ALPHABET, max_size=7)), max_size=40),
       stripped=st.booleans())
def test_vscr006_plain_numbers_with_floats_refusals_as_cell_by_cell(cells, stripped):
    def one(v):
        try:
            return importer._plain_number(v)
        except (ValueError, TypeError):
            return "error"

    values = np.array(cells, dtype=object)
    blank = (values == "") if stripped else np.array([not v.strip() for v in cells], dtype=bool)
    refused = schema.floats(values, blank.astype(bool))[1]
    expected = [one(v) for v in cells]
    try:
        got = list(importer._plain_numbers(values, refused))
    except (ValueError, TypeError):
        got = None
    if "error" in expected:
        assert got is None or got == expected
    else:
        assert got == expected


def test_vscr007_plain_numbers_does_not_trust_float_where_it_reads_more_than_plain_numbers():
    for cells in (["1e3", "5"], ["1_000", "5"], ["5", " 7"], ["١٢", "5"], ["5", "7\x1c"]):
        values = np.array(cells, dtype=object)
        refused = np.zeros(len(values), dtype=bool)  # float() reads them all
        assert list(importer._plain_numbers(values, refused)) == [importer._plain_number(v) for v in cells]


def _result_as_before(frame: pd.DataFrame) -> pd.DataFrame:
    numeric = set(NUMERIC_OBSERVATION_COLUMNS)
    rows = pd.DataFrame({c: importer._plain_numbers(frame[c].to_numpy(dtype=object)) if c in numeric else frame[c]
                         for c in frame.columns}, columns=frame.columns, index=frame.index)
    return rows.astype(object).fillna("").astype(str).reset_index(drop=True)


@pytest.mark.parametrize("make", [
    lambda f: f,
    lambda f: f.astype("str"),
    lambda f: f.assign(note=[None] + [""] * (len(f) - 1)),
    lambda f: f.assign(note=np.nan).astype({"note": "float64"}),
    lambda f: f.assign(count=pd.Series(["3", None, "4"], dtype=object)),
    lambda f: f.assign(area_name=pd.Series([pd.NA] * len(f), dtype="str")),
    lambda f: f.set_axis(range(10, 10 + len(f))),
])
def test_vscr008_result_rows_as_before(make):
    base = pd.DataFrame([{**CLEAN, "value": "8.1%"}, {**CLEAN, "count": "1,150", "area_code": "E92000001"},
                         {**CLEAN, "value": "1e1", "lower_ci": " 4"}], columns=list(OBSERVATION_COLUMNS), dtype=object)
    frame = make(base)
    floats_of: dict = {}
    assert validate_observations(frame, CATALOGUE, stripped=True, numbers_out=floats_of) is not None
    got = importer._result("template", [], frame, pd.DataFrame(columns=["id"], dtype=object), len(frame), floats_of)
    pd.testing.assert_frame_equal(got.rows, _result_as_before(frame), check_exact=True)
    assert got.rows["value"].tolist()[:2] == ["8.1", "50"]


def test_vscr009_text_frame_with_replaced_columns_as_the_frame_holding_them():
    frame = pd.DataFrame({"a": np.array(["x", None, "z"], dtype=object), "b": [1.0, np.nan, 2.0],
                          "c": pd.Series(["p", "q", None], dtype="str")}, index=[4, 5, 6])
    for replaced in ({"b": np.array(["1", "", "2"], dtype=object)}, {"a": np.array(["u", "v", "w"], dtype=object)}, {}):
        held = pd.DataFrame({c: replaced.get(c, frame[c]) for c in frame.columns}, index=frame.index)
        pd.testing.assert_frame_equal(importer._text_frame(frame, replaced), importer._text_frame(held), check_exact=True)
        pd.testing.assert_frame_equal(importer._text_frame(held), held.astype(object).fillna("").astype(str).reset_index(drop=True))


def test_vscr010_result_rows_own_their_arrays():
    frame = pd.DataFrame([{**CLEAN, "value": "8.1%"}, CLEAN], columns=list(OBSERVATION_COLUMNS), dtype=object)
    floats_of: dict = {}
    validate_observations(frame, CATALOGUE, stripped=True, numbers_out=floats_of)
    rows = importer._result("template", [], frame, pd.DataFrame(columns=["id"], dtype=object), 2, floats_of).rows
    rows.loc[0, "area_code"] = "E92000001"  # a later step may write to the rows (as before: no read-only views)
    rows.loc[1, "value"] = "7"
    assert frame.loc[0, "area_code"] == "E06000014" and frame.loc[1, "value"] == "50"
    for source in (frame, frame.astype("str"), frame.assign(note=pd.Series(["n", None], dtype=object))):
        text = importer._text_frame(source)
        text.loc[0, "note"] = "changed"
        assert source.loc[0, "note"] != "changed"


@pytest.mark.parametrize("stripped", [True, False])
def test_vscr011_each_label_and_type_pair_is_parsed_on_its_own(stripped):
    labels = ["2023/24", "2015", "2013 - 15", "Q1 2023/24", "23/24", "2021/2023", "next year", ""]
    types = ["", "financial year", "academic year", "census", "calendar year", "quarter", "weird"]
    rows = [{**CLEAN, "period": label, "period_type": kind, "area_code": f"A{k}"}
            for k, (label, kind) in enumerate((label, kind) for kind in types for label in labels)]
    rows += rows[::5]  # and duplicates of some
    frame = pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS), dtype=object)
    found = validate_observations(frame, CATALOGUE, stripped=stripped)
    assert found == _row_by_row(frame)
    assert len({p.message for p in found if p.column == "period" and "duplicate" not in p.message}) > 3
