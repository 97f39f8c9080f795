"""Containers: the kinds of file an upload comes in (CSV, .xlsx), each turning bytes into one Table.

Decoding, line endings, ragged rows and the size limits live here; what the columns mean is
the formats' business (data/ingest/formats/)."""
from __future__ import annotations

from data.domain.schema import Problem
from data.ingest.containers import csv_file, xlsx_file
from data.ingest.containers.table import Refused, Stage, Table

__all__ = ["Refused", "Stage", "Table", "container_of", "read_table"]


def container_of(content: bytes, filename: str) -> str:
    """'xlsx' for a workbook (a zip, or named so), else 'csv'. Refused for an old .xls workbook."""
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise Refused(Problem(None, None, "this is an old Excel .xls workbook: save it as .xlsx or CSV (UTF-8) and upload that"))
    is_xlsx = content.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm"))
    return xlsx_file.NAME if is_xlsx else csv_file.NAME


def read_table(content: bytes, container: str, stage: Stage) -> tuple[Table, list[Problem]]:
    """The file as one table, and the problems with its header (named columns with values)."""
    reader = xlsx_file if container == xlsx_file.NAME else csv_file
    return reader.read(content, stage)
