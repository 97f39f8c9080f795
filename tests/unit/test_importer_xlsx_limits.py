"""An .xlsx workbook that is a zip bomb, or far bigger than a sheet can be (issue 11, item 6): refused
with a clear problem, before openpyxl inflates it, naming the row and column where there is one.

Every workbook is built here, in memory: the bombs are a few kilobytes packed (a huge
sharedStrings.xml of repeated text, deflated as it is written, never held whole)."""
from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from xml.sax.saxutils import escape

import pytest

from data.ingest.containers import limits, xlsx_file
from data.ingest.importer import read_upload
from data.ingest.template import template_csv

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '</Relationships>'),
}


def _column(j: int) -> str:
    name = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        name = chr(65 + r) + name
    return name


def _sheet(records: list[list[str]], dimension: bool, shared_first: bool) -> bytes:
    rows = []
    for i, record in enumerate(records, start=1):
        cells = []
        for j, text in enumerate(record):
            ref = f"{_column(j)}{i}"
            if shared_first and i == 2 and j == 0:
                cells.append(f'<c r="{ref}" t="s"><v>0</v></c>')  # the (huge) shared string
            elif text != "":
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>')
        rows.append(f'<row r="{i}">{"".join(cells)}</row>')
    width = max(map(len, records))
    dim = f'<dimension ref="A1:{_column(width - 1)}{len(records)}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}<sheetData>{"".join(rows)}</sheetData></worksheet>'.encode()


def workbook(records: list[list[str]], *, dimension: bool = True, shared_mb: float = 0, chunk: bytes = b"ab") -> bytes:
    """A workbook of `records` (sheet row 1 first); with shared_mb, a sharedStrings.xml whose one string
    is `chunk` repeated to that many megabytes (cell A2 shows it), written deflated bit by bit."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", _sheet(records, dimension, shared_first=bool(shared_mb)))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode())
            block = chunk * ((1 << 20) // len(chunk))
            for _ in range(int(shared_mb)):
                part.write(block)
            part.write(b"x</t></si></sst>")
    return out.getvalue()


@pytest.fixture(scope="module")
def catalogue(bundled):
    return bundled.indicators


@pytest.fixture(scope="module")
def records() -> list[list[str]]:
    """The template's header and its example rows (all valid)."""
    import csv

    return [r for r in csv.reader(io.StringIO(template_csv().decode("utf-8-sig"), newline="")) if r]


def problems(content: bytes, catalogue) -> list[tuple]:
    result = read_upload(content, "book.xlsx", catalogue)
    assert result.container == "xlsx"
    return [(p.row, p.column, p.message) for p in result.problems]


def test_xlb001_the_hand_made_workbook_reads(records, catalogue):
    result = read_upload(workbook(records), "book.xlsx", catalogue)
    assert result.problems == [] and result.row_count == len(records) - 1


def test_xlb002_a_shared_strings_bomb_is_refused_quickly_without_inflating_it(records, catalogue):
    bomb = workbook(records, shared_mb=200)  # 200 MB of text in a workbook of a few hundred KB
    assert len(bomb) < 1 << 20
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) > 200 << 20
    tracemalloc.start()
    began = time.perf_counter()
    try:
        found = problems(bomb, catalogue)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - began < 5
    assert peak < 32 << 20  # nothing near 200 MB was inflated
    assert len(found) == 1 and found[0][:2] == (None, None)
    assert "xl/sharedStrings.xml unpacks to 200.0 MB" in found[0][2] and "to 1" in found[0][2]


def test_xlb003_a_workbook_that_unpacks_past_the_limit_is_refused_whatever_its_ratio(records, catalogue, monkeypatch):
    book = workbook(records)
    monkeypatch.setattr(limits, "XLSX_MAX_UNPACKED", xlsx_file.unpacked_size(book) - 1)
    found = problems(book, catalogue)
    assert len(found) == 1 and "the workbook unpacks to" in found[0][2] and "save the data as CSV" in found[0][2]


def test_xlb004_shared_text_past_its_limit_is_refused(records, catalogue, monkeypatch):
    monkeypatch.setattr(limits, "XLSX_MAX_SHARED_STRINGS", 1 << 20)
    # 2 MB of varied text (a ratio a real sheet could have), not a bomb by its ratio
    book = workbook(records, shared_mb=2, chunk=bytes(range(97, 123)) * 7 + b"0123456789")
    found = problems(book, catalogue)
    assert len(found) == 1 and "the workbook's text (its xl/sharedStrings.xml) unpacks to 2.0 MB" in found[0][2]


@pytest.mark.parametrize("dimension", [True, False], ids=["dimension", "no-dimension"])
def test_xlb005_rows_past_the_sheet_limit_are_refused_naming_the_row(records, catalogue, monkeypatch, dimension):
    monkeypatch.setattr(limits, "XLSX_MAX_ROWS", 3)  # a sheet of 3 rows at most: header and 2 data rows
    found = problems(workbook(records, dimension=dimension), catalogue)
    assert [(row, column) for row, column, _ in found] == [(3, None)]
    assert "sheet row 4 is past the last row a workbook has (3)" in found[0][2]


def test_xlb006_cells_past_the_limit_are_refused_naming_the_row(records, catalogue, monkeypatch):
    width = len(records[0])
    monkeypatch.setattr(limits, "XLSX_MAX_CELLS", 2 * width + 1)  # the header and one data row fit
    found = problems(workbook(records), catalogue)
    assert [(row, column) for row, column, _ in found] == [(2, None)]
    assert f"more than {2 * width + 1:,} cells by this row" in found[0][2]


def test_xlb007_a_cell_longer_than_a_workbook_cell_is_refused_naming_row_and_column(records, catalogue):
    at = records[0].index("note")
    long = [list(r) for r in records]
    long[2][at] = "n" * (limits.XLSX_MAX_CELL_CHARS + 1)
    found = problems(workbook(long), catalogue)
    assert [(row, column) for row, column, _ in found] == [(2, "note")]
    assert f"a cell of {limits.XLSX_MAX_CELL_CHARS + 1:,} characters" in found[0][2]


def test_xlb008_what_a_workbook_unpacks_to_is_read_from_a_stream_without_moving_it(records):
    book = workbook(records, shared_mb=3)
    stream = io.BytesIO(book)
    assert xlsx_file.unpacked_size(stream) == sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(book)).infolist())
    assert stream.tell() == 0
    assert xlsx_file.unpacked_size(b"not a zip") == 0
