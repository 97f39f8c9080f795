"""Upload formats are pluggable: a format is one module listed in data.ingest.formats.FORMATS.

tests/unit/example_format.py is a made-up format (a test fixture, not real data): registered here
for these tests only, read_upload reads its files with no change to any other module."""
from __future__ import annotations

import example_format  # tests/unit/example_format.py (pytest puts this folder on sys.path)
import pytest

from data.ingest import formats
from data.ingest.formats.base import Format
from data.ingest.importer import read_upload, typed_rows

EXAMPLE = (
    "time_period,la_code,la_name,measure,value\r\n"
    "202223,E06000014,York,overweight_year6_pct,31.5\r\n"
    "202324,E06000014,York,overweight_reception_pct,19.8\r\n"
    "202324,E92000001,England,overweight_year6_pct,35.8\r\n"
).encode("utf-8")


@pytest.fixture
def registered(monkeypatch):
    """The example format added to the registry for one test (monkeypatch takes it out again)."""
    monkeypatch.setattr(formats, "FORMATS", formats.FORMATS + (example_format.FORMAT,))
    return example_format.FORMAT


@pytest.fixture(scope="module")
def catalogue(bundled):
    return bundled.indicators


def test_fmt001_every_registered_format_meets_the_protocol():
    for fmt in formats.FORMATS + (example_format.FORMAT,):
        assert isinstance(fmt, Format)
        assert fmt.name and fmt.required_columns
    assert [f.name for f in formats.FORMATS] == ["fingertips", "template"]


def test_fmt002_an_unregistered_format_is_not_read(catalogue):
    result = read_upload(EXAMPLE, "extract.csv", catalogue)
    assert result.kind == "unknown" and "neither the upload template nor a Fingertips download" in result.problems[0].message


def test_fmt003_a_registered_format_reads_its_file_into_observation_rows(registered, catalogue):
    result = read_upload(EXAMPLE, "extract.csv", catalogue)
    assert result.problems == []
    assert (result.kind, result.container, result.row_count) == ("example-dfe-like", "csv", 3)
    rows = typed_rows(result)
    assert list(rows["indicator_id"]) == ["year6-overweight", "reception-overweight", "year6-overweight"]
    assert list(rows["area_code"]) == ["E06000014", "E06000014", "E92000001"]
    assert list(rows["period"]) == ["2022/23", "2023/24", "2023/24"]
    assert set(rows["period_type"]) == {"academic year"}
    assert list(rows["value"]) == [31.5, 19.8, 35.8]
    assert set(rows["source"]) == {"Example DfE-like extract (extract.csv)"}


def test_fmt004_its_problems_name_the_files_row_and_column(registered, catalogue):
    bad = EXAMPLE.replace(b"202324,E92000001", b"2023-2X,E92000001").replace(b"overweight_reception_pct,19.8",
                                                                             b"no_such_measure,19.8")
    result = read_upload(bad, "extract.csv", catalogue)
    assert not result.valid and result.kind == "example-dfe-like"
    assert [(p.row, p.column) for p in result.problems] == [(2, "measure"), (3, "time_period")]
    assert "no_such_measure" in result.problems[0].message and "2023-2X" in result.problems[1].message


def test_fmt005_a_missing_required_column_is_named(registered, catalogue):
    result = read_upload(EXAMPLE.replace(b",value\r\n", b",figure\r\n", 1), "extract.csv", catalogue)
    assert [(p.column, p.message) for p in result.problems] == [("value", "required column is missing")]
