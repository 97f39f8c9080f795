"""A CSV whose rows mix UTF-8 and Windows-1252 (issue 11, item 8): refused, naming the first row
whose bytes are not in the encoding the rest of the file uses; never read with café as cafÃ©."""
from __future__ import annotations

import csv
import io

import pytest

from data.ingest.importer import read_upload
from data.ingest.template import template_csv


@pytest.fixture(scope="module")
def catalogue(bundled):
    return bundled.indicators


def _lines() -> list[str]:
    """The template's header and example rows as CSV lines, each row with a note that has an accented letter."""
    records = list(csv.reader(io.StringIO(template_csv().decode("utf-8-sig"), newline="")))
    header, rows = records[0], [r for r in records[1:] if r]
    at = header.index("note")
    assert len(rows) == 3 and all(r[at] == "" for r in rows)  # the example rows have no note
    for k, row in enumerate(rows):
        row[at] = f"café {k + 1}"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().splitlines()


def _file(encodings: list[str], bom: bool = False) -> bytes:
    lines = _lines()
    out = b"\xef\xbb\xbf" if bom else b""
    for k, line in enumerate(lines):
        out += (line + "\r\n").encode(encodings[k - 1] if k else "utf-8")
    return out


def test_enc001_utf8_rows_then_a_cp1252_row_is_refused_naming_that_row(catalogue):
    n = len(_lines()) - 1
    encodings = ["utf-8"] * n
    encodings[2] = "cp1252"  # data row 3 (line 4) only; rows 1 and 2 UTF-8
    result = read_upload(_file(encodings), "mixed.csv", catalogue)
    assert not result.valid and result.rows.empty
    assert [(p.row, p.column) for p in result.problems] == [(3, None)]
    message = result.problems[0].message
    assert "line 4" in message and "not UTF-8" in message and "UTF-8" in message


def test_enc002_cp1252_rows_then_a_utf8_row_is_refused_naming_the_utf8_row(catalogue):
    n = len(_lines()) - 1
    encodings = ["cp1252"] * n
    encodings[1] = "utf-8"  # data row 2 is UTF-8, the rest Windows-1252
    result = read_upload(_file(encodings), "mixed.csv", catalogue)
    assert [(p.row, p.column) for p in result.problems] == [(2, None)]
    assert "is UTF-8, but the rest is Windows-1252" in result.problems[0].message


def test_enc003_a_bom_says_utf8_so_the_cp1252_row_is_named_even_when_most_are(catalogue):
    n = len(_lines()) - 1
    encodings = ["cp1252"] * n
    encodings[0] = "utf-8"
    result = read_upload(_file(encodings, bom=True), "mixed.csv", catalogue)
    assert [(p.row, p.column) for p in result.problems] == [(2, None)]  # the first row that is not UTF-8


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_enc004_one_encoding_throughout_still_reads_cafe_as_cafe(catalogue, encoding):
    n = len(_lines()) - 1
    result = read_upload(_file([encoding] * n), "one.csv", catalogue)
    assert result.problems == []
    assert sorted(result.rows["note"]) == [f"café {k + 1}" for k in range(n)]


def test_enc005_the_row_is_the_record_when_a_cell_spans_lines(catalogue):
    lines = _lines()
    at = next(csv.reader([lines[0]])).index("note")
    first = next(csv.reader([lines[1]]))
    first[at] = "café, on\ntwo lines"  # data row 1 takes lines 2 and 3
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(first)
    content = (lines[0] + "\r\n").encode() + out.getvalue().encode("utf-8")
    content += (lines[2] + "\r\n").encode("utf-8") + (lines[3] + "\r\n").encode("cp1252")
    result = read_upload(content, "mixed.csv", catalogue)
    assert [(p.row, p.column) for p in result.problems] == [(3, None)]  # data row 3, on line 5
    assert "line 5 of the file" in result.problems[0].message
