"""The indicator choices worked out by column equal the per-indicator, row-by-row reference
(tests/unit/indicator_choices_legacy.py) on real files and on awkward frames (issue 15, the 1M upload)."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.domain.dataset import load_bundled
from data.domain.periods import ACADEMIC_YEAR, FINANCIAL_YEAR
from data.domain.schema import OBSERVATION_COLUMNS
from data.ingest import indicator_choices as choices
from data.ingest.importer import read_upload
from tests.unit import indicator_choices_legacy as legacy

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = [DATA / "fingertips" / "raw-download-example.csv", DATA / "fingertips-from-extracts.csv"]
HEADER = b"source_id,map_to,name,unit,polarity,set,age_band,period_basis\n"


@functools.cache
def bundled():
    return load_bundled()


def unlinked() -> pd.DataFrame:
    cat = bundled().indicators.copy()
    cat["fingertips_id"] = ""
    return cat


@functools.cache
def read(path: Path, linked: bool):
    cat = bundled().indicators if linked else unlinked()
    result = read_upload(path.read_bytes(), path.name, cat, observations=bundled().observations)
    assert result.valid, result.problems[:3]
    return result, cat


def awkward_rows() -> pd.DataFrame:
    """One indicator's rows with an area renamed half way, repeated periods out of order, blank and
    repeated categories, types first seen late, and a second indicator between them."""
    rows = [
        ("a", "E06000014", "York", "2019/20", "", "", ""),
        ("b", "E92000001", "England", "2018", "", "Sex", "Male"),
        ("a", "E92000001", "England", "2018/19", "", "Sex", "Female"),
        ("a", "E06000014", "City of York", "2019/20", "financial year", "Sex", "Male"),
        ("a", "E12000003", "Yorkshire and The Humber", "2017", "", "Age", "0-4"),
        ("a", "E92000001", "England", "2017", "", "Sex", "Female"),
        ("a", "X", "Nowhere", "not a period", "", "Age", "5-9"),
        ("a", "X", "Nowhere", "2016/17", "academic year", "Deciles", "1"),
        ("a", "X", "Nowhere", "2016/17", "", "Deciles", "2"),
        ("a", "X", "Nowhere", "2016/17", "", "Deciles", "3"),
        ("a", "X", "Nowhere", "2016/17", "", "Deciles", "4"),
    ]
    return pd.DataFrame(rows, columns=["indicator_id", "area_code", "area_name", "period", "period_type",
                                       "category_type", "category"], dtype=str)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
def test_chv001_propose_equals_the_per_indicator_reference(path, linked):
    result, cat = read(path, linked)
    new = choices.propose(result.rows, result.new_indicators, result.hints, cat, result.kind)
    old = legacy.propose(result.rows, result.new_indicators, result.hints, cat, result.kind)
    assert new == old
    assert json.dumps(new) == json.dumps(old)  # the job's summary keeps them as JSON: plain ints, in the same order
    assert new["indicators"] or new["matched"]  # the file says something: the comparison is not of two empty lists


def test_chv002_contents_of_awkward_rows_equal_the_reference():
    rows = awkward_rows()
    for ind in ("a", "b", "missing"):
        mine = rows[rows["indicator_id"] == ind]
        assert choices.contents(mine) == legacy.contents(mine)
        assert choices.contents_by_indicator(rows, [ind])[ind] == legacy.contents(mine)
    got = choices.contents_by_indicator(rows, ["a"])["a"]
    assert got["key_areas"] == ["City of York", "England", "Yorkshire and The Humber"]  # the last name an area had
    assert got["categories"] == ["Sex: Female, Male", "Age: 0-4, 5-9", "Deciles: 4 (1 ... 4)"]


def test_chv003_contents_of_a_typed_frame_equal_the_text_frame():
    result, cat = read(FILES[1], False)
    typed = result.rows.astype({c: "category" for c in ("area_code", "area_name", "period")})
    ids = [str(i) for i in result.new_indicators["id"]]
    assert choices.contents_by_indicator(typed, ids) == choices.contents_by_indicator(result.rows, ids)


def _choices(result, cat, csv: bytes):
    proposals = choices.propose(result.rows, result.new_indicators, result.hints, cat, result.kind)
    return choices.apply_choices(proposals, choices.read_choices(HEADER + csv), cat)


CHOICES = {
    "academic and financial": b"20601,,,%,,Aged 2-5,4-5,academic year\n20602,,,%,,Aged 5-11,10-11,financial year\n",
    "mapped": b"20601,reception-overweight,,,,,,\n",
    "mapped with a chosen basis": b"20602,year6-overweight,,,,,,academic year\n",
    "none": b"",
}


@pytest.mark.parametrize("name", list(CHOICES))
@pytest.mark.parametrize("history", [True, False], ids=["history", "no-history"])
def test_chv004_materialise_equals_the_reference(name, history):
    result, cat = read(FILES[1], False)
    proposals = _choices(result, cat, CHOICES[name])
    observations = bundled().observations if history else None
    got_rows, got_new = choices.materialise(result.rows, result.new_indicators, proposals, cat, observations)
    old_rows, old_new = legacy.materialise(result.rows, result.new_indicators, proposals, cat, observations)
    pd.testing.assert_frame_equal(got_rows, old_rows)
    pd.testing.assert_frame_equal(got_new, old_new)


def test_chv005_period_types_move_only_split_years_of_blank_or_split_type():
    rows = awkward_rows()
    basis = {"a": ACADEMIC_YEAR, "b": FINANCIAL_YEAR}
    codes, values = pd.factorize(rows["indicator_id"])
    got = choices._period_types(rows, np.asarray(codes), list(values), basis)
    expected = legacy._period_types(rows, basis)
    assert list(got) == list(expected)
    assert list(got[[0, 3, 7, 2]]) == [ACADEMIC_YEAR] * 4 and got[5] == ""  # 2017 is a calendar year: untouched
    assert choices._period_types(rows, np.asarray(codes), list(values), {"b": FINANCIAL_YEAR}) is None  # b has no split years


@pytest.mark.parametrize("name", list(CHOICES))
def test_chv006_chosen_rows_equal_materialise_then_a_fresh_typing(name):
    """upload_jobs._chosen sets the few columns a choice changes on the typed rows; the reference types
    the materialised rows again from scratch. Same frame, dtypes and order."""
    from data.ingest import upload_jobs

    result, cat = read(FILES[1], False)
    proposals = _choices(result, cat, CHOICES[name])
    dataset = bundled()
    dataset_unlinked = type("D", (), {"indicators": cat, "observations": dataset.observations})()
    typed = upload_jobs._typed(cat, result.rows, result.new_indicators, result.numbers)
    got, got_new = upload_jobs._chosen(dataset_unlinked, typed, result.new_indicators, proposals)
    rows, new = legacy.materialise(typed.reindex(columns=list(OBSERVATION_COLUMNS)),
                                   result.new_indicators, proposals, cat, dataset.observations)
    expected = upload_jobs._typed(cat, rows, new)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(got_new, new)
    if name != "none":  # a choice changed something the typed rows hold
        assert not got.equals(typed)
