"""The schema (data/domain/schema.py): the bundle validates, and every check names row and column."""
import pandas as pd
import pytest

from data.domain.dataset import BUNDLED, DataError, build_dataset, read_csv_text
from data.domain.schema import (
    INDICATOR_COLUMNS,
    OBSERVATION_COLUMNS,
    Problem,
    to_number,
    validate_indicators,
    validate_observations,
)

SRC = "Annual Report 2023/24, Test section"
IND = [
    {"id": "pct-ind", "name": "A share", "set": "Aged 2-5", "unit": "%", "polarity": "lower is better", "source": SRC},
    {"id": "count-ind", "name": "A count", "set": "E-learning", "unit": "count", "polarity": "no judgement", "source": SRC},
]
YORK = {"area_code": "E06000014", "area_name": "York", "source": SRC}
OBS = [
    {"indicator_id": "pct-ind", **YORK, "period": "22/23", "value": "8.1%", "lower_ci": "7", "upper_ci": "9"},
    {"indicator_id": "pct-ind", "area_code": "E92000001", "area_name": "England", "period": "22/23", "value": "8.8", "source": SRC},
    {"indicator_id": "count-ind", **YORK, "period": "2023/24", "value": "1,150", "count": "1150"},
]


def frame(rows, columns):
    """Text frame with every column, blanks as '' (as read_csv_text gives)."""
    return pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], columns=list(columns))


def indicators(row=None, **changes):
    rows = [dict(r) for r in IND]
    if row is not None:
        rows[row - 1].update(changes)
    return frame(rows, INDICATOR_COLUMNS)


def observations(row=None, **changes):
    rows = [dict(r) for r in OBS]
    if row is not None:
        rows[row - 1].update(changes)
    return frame(rows, OBSERVATION_COLUMNS)


# ---- the bundle ---------------------------------------------------------------------------

def test_sch001_every_bundled_row_builds(bundled, raw_indicators, raw_observations):
    assert len(bundled.indicators) == len(raw_indicators)
    assert len(bundled.observations) == len(raw_observations)
    assert set(bundled.indicators.index) == set(raw_indicators["id"])


def test_sch002_bundled_catalogue_has_no_problems(raw_indicators):
    assert validate_indicators(raw_indicators) == []


@pytest.mark.parametrize("path", sorted(BUNDLED.glob("*_observations.csv")), ids=lambda p: p.name)
def test_sch003_bundled_observation_file_has_no_problems(path, raw_indicators):
    assert validate_observations(read_csv_text(path), raw_indicators) == []


def test_sch004_small_frames_are_valid():
    # The baseline the fault tests below change one cell of.
    assert validate_indicators(indicators()) == []
    assert validate_observations(observations(), indicators()) == []


# ---- one fault each: the Problem names row and column --------------------------------------

@pytest.mark.parametrize(
    "row, changes, column",
    [
        (2, {"value": "abc"}, "value"),
        (2, {"period": "23/25"}, "period"),
        (2, {"period": "Q2 23/24", "period_type": "census"}, "period"),
        (2, {"period_type": "fortnight"}, "period_type"),
        (2, {"indicator_id": "no-such-indicator"}, "indicator_id"),
        (2, {"value": "120"}, "value"),
        (3, {"count": "-3"}, "count"),
        (3, {"denominator": "-10"}, "denominator"),
        (3, {"value": "-1"}, "value"),
        (1, {"lower_ci": "8.5"}, "lower_ci"),
        (1, {"upper_ci": "8"}, "upper_ci"),
        (2, {"lower_ci": "abc"}, "lower_ci"),
        (2, {"source": ""}, "source"),
        (2, {"area_code": " "}, "area_code"),
        (2, {"category_type": "Course"}, "category"),
        (3, dict(OBS[0]), "period"),  # duplicate key of row 1
    ],
    ids=["value-abc", "bad-period", "refused-period-type", "unknown-period-type", "unknown-indicator",
         "percentage-120", "negative-count", "negative-denominator", "negative-count-value", "lower-ci-above",
         "upper-ci-below", "ci-abc", "empty-source", "blank-area", "category-without-type", "duplicate-key"],
)
def test_sch005_observation_fault_names_row_and_column(row, changes, column):
    problems = validate_observations(observations(row, **changes), indicators())
    assert [(p.row, p.column) for p in problems] == [(row, column)]
    assert f"row {row}" in str(problems[0]) and f"column '{column}'" in str(problems[0])


def test_sch006_duplicate_key_names_the_first_row():
    (problem,) = validate_observations(observations(3, **OBS[0]), indicators())
    assert "row 1" in problem.message


@pytest.mark.parametrize(
    "changes, column",
    [
        ({"set": "Aged 99+"}, "set"),
        ({"unit": "furlongs"}, "unit"),
        ({"polarity": "sideways"}, "polarity"),
        ({"id": "Count Ind"}, "id"),
        ({"id": "café"}, "id"),
        ({"id": "pct-ind"}, "id"),  # duplicate of row 1
        ({"name": ""}, "name"),
        ({"expected_update_for": "2023/24"}, "expected_update"),
    ],
    ids=["bad-set", "bad-unit", "bad-polarity", "non-slug-id", "non-ascii-id", "duplicate-id", "empty-name", "half-expected-update"],
)
def test_sch007_indicator_fault_names_row_and_column(changes, column):
    problems = validate_indicators(indicators(2, **changes))
    assert [(p.row, p.column) for p in problems] == [(2, column)]


@pytest.mark.parametrize("validate, make, required", [
    (validate_indicators, indicators, "source"),
    (lambda f: validate_observations(f, indicators()), observations, "period"),
])
def test_sch008_missing_or_unknown_column_names_the_column(validate, make, required):
    assert [(p.row, p.column) for p in validate(make().drop(columns=required))] == [(None, required)]
    assert [(p.row, p.column) for p in validate(make().assign(colour="red"))] == [(None, "colour")]


def test_sch009_problem_text_without_row():
    assert str(Problem(None, "colour", "unknown column")) == "column 'colour': unknown column"


# ---- numbers as people type them -----------------------------------------------------------

@pytest.mark.parametrize("text, number", [
    ("8.1%", 8.1), ("1,150", 1150.0), ("£(49,520)", 49520.0), ("£47,500", 47500.0),
    (" 12.09 ", 12.09), ("0", 0.0), (3, 3.0), ("", None), ("  ", None), (None, None),
])
def test_sch010_to_number_reads_typed_numbers(text, number):
    assert to_number(text) == number


@pytest.mark.parametrize("text", ["abc", "nan", "NaN", "inf", "-inf", "1.2.3", "%", "£"])
def test_sch011_to_number_refuses(text):
    with pytest.raises(ValueError):
        to_number(text)


# ---- build_dataset --------------------------------------------------------------------------

def test_sch012_build_dataset_types_the_rows():
    obs = build_dataset(indicators(), observations()).observations.set_index(["indicator_id", "area_code"])
    assert obs.loc[("pct-ind", "E06000014"), "value"] == 8.1
    assert obs.loc[("count-ind", "E06000014"), "value"] == 1150.0
    assert obs.loc[("pct-ind", "E06000014"), "period_start"] == pd.Timestamp("2022-04-01")


@pytest.mark.parametrize("ind, obs, where", [
    (indicators(2, unit="furlongs"), observations(), "indicator catalogue"),
    (indicators(), observations(2, value="abc"), "observations"),
    (indicators(), observations(2, value="120"), "observations"),
    (indicators(), observations(3, **OBS[0]), "observations"),
    (indicators(), observations().drop(columns="source"), "observations"),
])
def test_sch013_build_dataset_raises_data_error(ind, obs, where):
    with pytest.raises(DataError) as caught:
        build_dataset(ind, obs)
    assert caught.value.problems
    assert str(caught.value).startswith(where)
    assert str(caught.value.problems[0]) in str(caught.value)
