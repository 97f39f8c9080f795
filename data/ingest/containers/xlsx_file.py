"""An .xlsx workbook as one Table: its first sheet, sheet row 1 the header, sheet row r data row r - 1."""
from __future__ import annotations

import io
from datetime import date, datetime, time

from data.domain.schema import Problem
from data.ingest.containers import limits
from data.ingest.containers.table import Refused, Stage, Table, columns_of, tidy_columns

NAME = "xlsx"


def read(content: bytes, stage: Stage) -> tuple[Table, list[Problem]]:
    return tidy_columns(columns_of(_records(content, stage)))


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
        header = [cell_text(v) for v in next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())]
        while header and not header[-1].strip():
            header.pop()
        if len(header) > limits.MAX_COLUMNS:
            raise Refused(Problem(None, None, f"the sheet has more than {limits.MAX_COLUMNS} columns ({len(header)})"))
        # Read every column when the sheet is narrow enough (to see values without a header);
        # otherwise only the header's columns (a sheet formatted out to column XFD is common).
        width = sheet.max_column if sheet.max_column and sheet.max_column <= limits.MAX_COLUMNS else max(1, len(header))
        records = [header]
        step = max(1, reported_rows // 20)
        for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=1):
            if number > limits.MAX_ROWS:
                raise Refused(Problem(None, None, f"the sheet has more than {limits.MAX_ROWS:,} rows"))
            records.append([cell_text(v) for v in values])
            if reported_rows and number % step == 0:
                stage("reading", number / reported_rows)
        return records
    finally:
        workbook.close()
