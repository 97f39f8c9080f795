"""What an upload's new indicators are, and the editor's choices about them (issue 12 points 1 and 7).

Real files only: the raw Fingertips download (indicator 93356) and the Fingertips-format file built
from the shared extracts (tests/data/build_fingertips_from_extracts.py)."""
from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from data.domain.dataset import load_bundled
from data.domain.periods import ACADEMIC_YEAR, CALENDAR_YEAR, FINANCIAL_YEAR, parse_period
from data.ingest.formats.fingertips_meta import age_band_of, period_basis_of, polarity_of, unit_of
from data.ingest.importer import read_upload
from data.ingest.indicator_choices import (
    CHOSEN,
    ChoiceError,
    apply_choices,
    materialise,
    needs_choice,
    propose,
    read_choices,
)

DATA = Path(__file__).resolve().parents[1] / "data"
RAW = DATA / "fingertips" / "raw-download-example.csv"
EXTRACTS_FILE = DATA / "fingertips-from-extracts.csv"
HEADER = b"source_id,map_to,name,unit,polarity,set,age_band,period_basis\n"


@functools.cache
def bundled():
    return load_bundled()


def unlinked_catalogue() -> pd.DataFrame:
    """The catalogue before anyone linked its indicators to Fingertips ids: every file indicator is new."""
    cat = bundled().indicators.copy()
    cat["fingertips_id"] = ""
    return cat


def proposals_for(path: Path, catalogue: pd.DataFrame):
    result = read_upload(path.read_bytes(), path.name, catalogue, observations=bundled().observations)
    assert result.valid, result.problems[:5]
    return result, propose(result.rows, result.new_indicators, result.hints, catalogue, result.kind)


def values(entry: dict) -> dict:
    return {f: h["value"] for f, h in entry["fields"].items()}


def test_ing001_raw_download_preview_names_the_indicator_and_reads_its_fields_from_the_file():
    result, proposals = proposals_for(RAW, bundled().indicators)
    (entry,) = proposals["indicators"]
    assert (entry["source_id"], entry["indicator_id"]) == ("93356", "fingertips-93356")
    assert values(entry) == {"name": "Campylobacter incidence rate/100,000", "unit": "rate per 100,000",
                             "polarity": "lower is better", "period_basis": CALENDAR_YEAR, "age_band": ""}
    assert entry["needs"] == ["set"]  # a download says nothing of the dashboard's sets
    assert "comparisons" in entry["fields"]["polarity"]["from"]
    raw = pd.read_csv(RAW, dtype=str, keep_default_na=False, index_col=False)
    assert entry["areas"] == raw["Area Code"].nunique() and entry["rows"] == len(raw)
    assert entry["key_areas"][:2] == ["York", "England"]
    assert entry["periods"] == ["2015", "2016", "2017"]
    assert entry["category_count"] >= 20 and any("deprivation deciles" in c for c in entry["categories"])
    waiting = needs_choice(proposals)
    assert [(w["source_id"], w["field"]) for w in waiting] == [("93356", "set")]
    assert "Campylobacter" in waiting[0]["message"] and "Fingertips indicators" in waiting[0]["message"]


def test_ing002_extracts_file_matches_catalogue_indicators_by_fingertips_id():
    result, proposals = proposals_for(EXTRACTS_FILE, bundled().indicators)
    assert proposals["indicators"] == [] and result.new_indicators.empty
    matched = {m["source_id"]: m["indicator_id"] for m in proposals["matched"]}
    assert matched["20601"] == "reception-overweight" and matched["20602"] == "year6-overweight"
    assert len(matched) == 7
    # Every area of the file is kept (not only York and England).
    raw = pd.read_csv(EXTRACTS_FILE, dtype=str, keep_default_na=False)
    assert set(result.rows["area_code"]) == set(raw["Area Code"]) and len(set(raw["Area Code"])) > 300


def test_ing003_extracts_with_an_unlinked_catalogue_need_the_choices_the_file_cannot_settle():
    _, proposals = proposals_for(EXTRACTS_FILE, unlinked_catalogue())
    by_source = {e["source_id"]: e for e in proposals["indicators"]}
    assert set(by_source) == {"20601", "20602", "90813", "92441", "93203", "90632", "10101"}
    # "2006/07" may be a financial or an academic year: the name "Children aged 4-5 years ..." does not say.
    assert "period_basis" in by_source["20601"]["needs"] and "unit" in by_source["20601"]["needs"]
    assert values(by_source["92441"])["unit"] == "%"  # "Proportion of five year old children ..."
    assert values(by_source["93203"])["period_basis"] == CALENDAR_YEAR  # labels 2016, 2017, ...
    assert values(by_source["90632"])["period_basis"] == ACADEMIC_YEAR  # "... at the end of reception"
    assert values(by_source["20601"])["polarity"] == "lower is better"  # Better/Worse vs England's values


@pytest.mark.parametrize("name, types, unit", [
    ("Campylobacter incidence rate/100,000", (), "rate per 100,000"),
    ("Infant mortality rate per 1,000 live births", (), "rate per 1,000"),
    ("Percentage of physically active children", (), "%"),
    ("Hospital admissions as a result of self-harm (10-24 years)", ("Proportion",), "%"),
    ("Hospital admissions as a result of self-harm (10-24 years)", ("per 100,000",), "rate per 100,000"),
    ("Number of children in care", (), "count"),
    ("Hospital admissions as a result of self-harm (10-24 years)", (), None),
    ("Children in low income families", (), None),
])
def test_ing004_unit_is_read_from_value_type_or_name_or_left_for_the_editor(name, types, unit):
    got = unit_of(name, types)
    assert (got["value"] if got else None) == unit


def test_ing005_polarity_from_fingertips_comparisons_and_trends_or_none_when_they_disagree():
    eng = ("E92000001", "2015", "10", "", "")
    assert polarity_of([eng, ("E06000014", "2015", "12", "Better", "")])["value"] == "higher is better"
    assert polarity_of([eng, ("E06000014", "2015", "12", "Worse", "")])["value"] == "lower is better"
    assert polarity_of([eng, ("E06000014", "2015", "12", "Worse", ""), ("E06000001", "2015", "8", "Worse", "")]) is None
    assert polarity_of([eng, ("E06000014", "2015", "12", "Higher", "")])["value"] == "no judgement"
    assert polarity_of([("E06000014", "2015", "12", "", "Decreasing and getting better")])["value"] == "lower is better"
    assert polarity_of([eng, ("E06000014", "2015", "12", "Similar", "No significant change")]) is None


def test_ing006_period_basis_from_labels_and_school_year_names():
    assert period_basis_of("Any", ["2015", "2016"])["value"] == CALENDAR_YEAR
    assert period_basis_of("Any", ["2013 - 15"])["value"] == CALENDAR_YEAR
    assert period_basis_of("Reception: Prevalence of overweight", ["2019/20"])["value"] == ACADEMIC_YEAR
    assert period_basis_of("Year 6: Prevalence of obesity", ["2019/20"])["value"] == ACADEMIC_YEAR
    assert period_basis_of("Smoking status at time of delivery", ["2019/20"]) is None  # April-March or Sept-Aug?
    assert period_basis_of("Any", ["2019/20 Q3"])["value"] == FINANCIAL_YEAR
    assert age_band_of("4-5 yrs")["value"] == "4-5" and age_band_of("All ages")["value"] == "" and age_band_of("") is None


@pytest.mark.parametrize("content, where, text", [
    (b"source_id,colour\n93356,red\n", (None, "colour"), "unknown column"),
    (b"name,unit\nx,%\n", (None, "source_id"), "missing"),
    (b"source_id,unit\n93356,%,extra\n", (1, None), "3 fields"),
    (b"source_id,unit\n93356,\xff\n", (None, None), "UTF-8"),
    (b"", (None, None), "empty"),
])
def test_ing007_a_bad_indicators_csv_names_row_and_column(content, where, text):
    with pytest.raises(ChoiceError) as caught:
        read_choices(content)
    hits = [p for p in caught.value.problems if (p.row, p.column) == where]
    assert hits and text in hits[0].message, caught.value.problems


def test_ing008_choices_that_cannot_apply_name_row_and_column_and_apply_nothing():
    _, proposals = proposals_for(RAW, bundled().indicators)
    cat = bundled().indicators
    bad = read_choices(HEADER + b"93356,,,per year,,,,\n99999,,,,,Aged 2-5,,\n93356,no-such-id,,,,,,\n")
    with pytest.raises(ChoiceError) as caught:
        apply_choices(proposals, bad, cat)
    got = {(p.row, p.column) for p in caught.value.problems}
    assert {(1, "unit"), (2, "source_id")} <= got
    assert proposals["indicators"][0]["needs"] == ["set"]  # untouched
    with pytest.raises(ChoiceError) as caught:
        apply_choices(proposals, read_choices(HEADER + b"93356,no-such-id,,,,,,\n"), cat)
    assert [(p.row, p.column) for p in caught.value.problems] == [(1, "map_to")]


def test_ing009_choices_clear_needs_and_say_they_are_the_editors():
    _, proposals = proposals_for(RAW, bundled().indicators)
    with pytest.raises(ChoiceError):  # "rate per 100000" is not a unit of the schema
        apply_choices(proposals, read_choices(HEADER + b"93356,,,rate per 100000,,Fingertips indicators,,\n"), bundled().indicators)
    chosen = apply_choices(proposals, read_choices(HEADER + b'93356,,,"rate per 100,000",no judgement,Fingertips indicators,,\n'),
                           bundled().indicators)
    (entry,) = chosen["indicators"]
    assert entry["needs"] == [] and needs_choice(chosen) == []
    assert entry["fields"]["set"] == {"value": "Fingertips indicators", "from": CHOSEN}
    assert entry["fields"]["polarity"] == {"value": "no judgement", "from": CHOSEN}
    assert entry["fields"]["unit"]["from"] != CHOSEN  # confirmed as shown: still says where it came from


def test_ing010_academic_basis_moves_split_year_periods_to_september():
    result, proposals = proposals_for(EXTRACTS_FILE, unlinked_catalogue())
    cat = unlinked_catalogue()
    choices = read_choices(HEADER + b"20601,,,%,,Aged 2-5,4-5,academic year\n20602,,,%,,Aged 5-11,10-11,financial year\n")
    chosen = apply_choices(proposals, choices, cat)
    rows, new = materialise(result.rows, result.new_indicators, chosen, cat, bundled().observations)
    reception = rows[rows["indicator_id"] == "fingertips-20601"]
    assert set(reception["period_type"]) == {ACADEMIC_YEAR}
    assert parse_period("2016/17", ACADEMIC_YEAR).start.month == 9
    year6 = rows[rows["indicator_id"] == "fingertips-20602"]
    assert set(year6["period_type"]) == {FINANCIAL_YEAR}
    row = new.set_index("id").loc["fingertips-20601"]
    assert (row["unit"], row["set"], row["age_band"], row["period_basis"]) == ("%", "Aged 2-5", "4-5", ACADEMIC_YEAR)
    other = rows[rows["indicator_id"] == "fingertips-93203"]  # calendar years: untouched
    assert set(other["period_type"]) <= {"", CALENDAR_YEAR}


def test_ing011_map_to_joins_a_catalogue_indicator_and_creates_none():
    result, proposals = proposals_for(EXTRACTS_FILE, unlinked_catalogue())
    cat = unlinked_catalogue()
    chosen = apply_choices(proposals, read_choices(HEADER + b"20601,reception-overweight,,,,,,\n"), cat)
    entry = next(e for e in chosen["indicators"] if e["source_id"] == "20601")
    assert entry["needs"] == [] and entry["map_to"] == "reception-overweight"
    rows, new = materialise(result.rows, result.new_indicators, chosen, cat, bundled().observations)
    assert "fingertips-20601" not in set(new["id"]) and "fingertips-20601" not in set(rows["indicator_id"])
    joined = rows[rows["indicator_id"] == "reception-overweight"]
    assert len(joined) == int((result.rows["indicator_id"] == "fingertips-20601").sum())
    # The catalogue indicator's history is academic years: the joined rows are read the same way.
    assert set(joined["period_type"]) == {ACADEMIC_YEAR}


def test_ing012_a_catalogue_period_basis_reads_matched_rows_as_academic_years_without_history():
    cat = bundled().indicators.copy()
    cat.loc["reception-overweight", "period_basis"] = ACADEMIC_YEAR
    result = read_upload(EXTRACTS_FILE.read_bytes(), EXTRACTS_FILE.name, cat)  # no observations: no history to copy
    assert result.valid
    rows, _ = materialise(result.rows, result.new_indicators, {"indicators": []}, cat, None)
    reception = rows[rows["indicator_id"] == "reception-overweight"]
    assert len(reception) > 3000 and set(reception["period_type"]) == {ACADEMIC_YEAR}
    year6 = rows[rows["indicator_id"] == "year6-overweight"]  # no basis in this catalogue, no history given
    assert set(year6["period_type"]) == {""}  # left to the parser's default reading
