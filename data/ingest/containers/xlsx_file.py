"""An .xlsx workbook as one Table: its first sheet, sheet row 1 the header, sheet row r data row r - 1."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

from data.domain.schema import Problem
from data.ingest.containers import limits
from data.ingest.containers.table import Refused, Stage, Table, columns_of, tidy_columns

NAME = "xlsx"


def read(content: bytes, stage: Stage) -> tuple[Table, list[Problem]]:
    check_archive(content)
    return tidy_columns(columns_of(_records(content, stage)))


def members(source) -> list[zipfile.ZipInfo] | None:
    """The zip members a workbook's central directory lists (nothing is decompressed), or None when
    `source` (bytes, or a seekable binary stream, left at its start) is not a zip."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    try:
        with zipfile.ZipFile(stream) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        if stream is not source:
            stream.close()
        else:
            stream.seek(0)


def unpacked_size(source) -> int:
    """What a workbook unpacks to, all members together, from its central directory (0 if not a zip).
    zipfile never inflates a member past the size the directory gives it, so this bounds the reading."""
    return sum(info.file_size for info in members(source) or ())


def check_archive(content: bytes) -> None:
    """Refuse a workbook that unpacks to an absurd size or ratio (a zip bomb) before anything is inflated."""
    infos = members(content)
    if infos is None:
        return  # not a zip: openpyxl says what it is
    mb = lambda n: f"{n / 2**20:,.1f} MB"  # noqa: E731
    total = sum(info.file_size for info in infos)
    if total > limits.XLSX_MAX_UNPACKED:
        raise Refused(Problem(None, None, f"the workbook unpacks to {mb(total)}, more than the {mb(limits.XLSX_MAX_UNPACKED)} "
                                          "a workbook may: save the data as CSV, or split it"))
    for info in infos:
        if info.filename.lower().endswith("sharedstrings.xml") and info.file_size > limits.XLSX_MAX_SHARED_STRINGS:
            raise Refused(Problem(None, None, f"the workbook's text (its {info.filename}) unpacks to {mb(info.file_size)}, "
                                              f"more than the {mb(limits.XLSX_MAX_SHARED_STRINGS)} a workbook may"))
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > limits.XLSX_RATIO_FROM and ratio > limits.XLSX_MAX_RATIO:
            raise Refused(Problem(None, None, f"the workbook's {info.filename} unpacks to {mb(info.file_size)} from "
                                              f"{mb(info.compress_size)} ({ratio:,.0f} to 1; a real sheet is under "
                                              f"{limits.XLSX_MAX_RATIO} to 1): this is not read"))


def cell_text(value) -> str:
    """A cell as the text a CSV export would hold (typed numbers and dates as people write them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _records(content: bytes, stage: Stage) -> list[list[str]]:
    """The first sheet's rows as text, the header (sheet row 1) first."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise Refused(Problem(None, None, "the workbook has no worksheet"))
        sheet = workbook.worksheets[0]
        reported_rows = sheet.max_row or 0
        if reported_rows > limits.MAX_ROWS + 1:
            raise Refused(Problem(None, None, f"the sheet has more than {limits.MAX_ROWS:,} rows ({reported_rows:,})"))
        if reported_rows > limits.XLSX_MAX_ROWS:
            raise Refused(_too_many_rows(limits.XLSX_MAX_ROWS))
        header = [cell_text(v) for v in next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())]
        while header and not header[-1].strip():
            header.pop()
        if len(header) > limits.MAX_COLUMNS:
            raise Refused(Problem(None, None, f"the sheet has more than {limits.MAX_COLUMNS} columns ({len(header)})"))
        # Read every column when the sheet is narrow enough (to see values without a header);
        # otherwise only the header's columns (a sheet formatted out to column XFD is common).
        width = sheet.max_column if sheet.max_column and sheet.max_column <= limits.MAX_COLUMNS else max(1, len(header))
        _check_lengths(header, 0, header)
        records = [header]
        step = max(1, reported_rows // 20)
        cells = len(header)
        for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=1):
            if number > limits.MAX_ROWS:
                raise Refused(Problem(None, None, f"the sheet has more than {limits.MAX_ROWS:,} rows"))
            if number >= limits.XLSX_MAX_ROWS:  # sheet row number + 1
                raise Refused(_too_many_rows(number))
            record = [cell_text(v) for v in values]
            cells += len(record)
            if cells > limits.XLSX_MAX_CELLS:
                raise Refused(_too_many_cells(number, width))
            _check_lengths(record, number, header)
            records.append(record)
            if reported_rows and number % step == 0:
                stage("reading", number / reported_rows)
        return records
    finally:
        workbook.close()


def _too_many_rows(number: int) -> Problem:
    return Problem(number, None, f"sheet row {number + 1:,} is past the last row a workbook has ({limits.XLSX_MAX_ROWS:,}): "
                                 "the sheet is not read; save the data as CSV, or split it")


def _too_many_cells(number: int, width: int) -> Problem:
    return Problem(number, None, f"the sheet has more than {limits.XLSX_MAX_CELLS:,} cells by this row ({width} columns "
                                 "a row): it is not read; save the data as CSV, or split it")


def _check_lengths(record: list[str], number: int, header: list[str]) -> None:
    """Refuse a cell longer than a workbook cell can be (Excel's limit), naming its row and column."""
    if not record or max(map(len, record)) <= limits.XLSX_MAX_CELL_CHARS:
        return
    j = next(j for j, text in enumerate(record) if len(text) > limits.XLSX_MAX_CELL_CHARS)
    name = header[j].strip() if j < len(header) and header[j].strip() else f"(column {j + 1})"
    raise Refused(Problem(number or None, name, f"a cell of {len(record[j]):,} characters, more than the "
                                               f"{limits.XLSX_MAX_CELL_CHARS:,} a workbook cell holds"))
