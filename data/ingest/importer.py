"""Read an uploaded file into validated observation rows (and any indicators it creates).

An upload is read in three steps, each written once:

- a container (data/ingest/containers/: CSV or .xlsx) turns the bytes into one table: header
  names and data rows with their row numbers. Text may be UTF-8 (with or without BOM), UTF-16
  with a BOM, or Windows-1252, not a mix of them; line endings CRLF, LF or mixed. A workbook that
  unpacks to an absurd size or ratio (a zip bomb), or is bigger than Excel allows, is refused
  before it is inflated (containers/limits.py);
- the first format (data/ingest/formats/: a Fingertips "Download data" file, the project's
  template, ...) whose sniff accepts the header maps the table to observation rows and any
  indicators the file creates;
- the rows are validated here (data/domain/schema.py) for every format alike.

Validation is all or nothing: any problem and no row is returned. read_upload never raises:
whatever the bytes, the answer is an ImportResult whose problems say what is wrong, each naming
the row (1-based data row, as the user counts them after the header) and the column.

Typed rows for a preview or a publish: typed_rows(result) (numbers as floats,
period types resolved), or prepare_observations(result.rows,
catalogue_with(catalogue, result.new_indicators)) for the full Dataset layout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

import numpy as np
import pandas as pd

from data.domain.periods import parse_period
from data.domain.schema import (
    INDICATOR_COLUMNS,
    NUMERIC_OBSERVATION_COLUMNS,
    OBSERVATION_COLUMNS,
    Problem,
    every_cell_str,
    to_number,
    validate_observations,
)
from data.ingest import formats
from data.ingest.containers import Refused, container_of, read_table
from data.ingest.containers.limits import MAX_COLUMNS, MAX_ROWS
from data.ingest.containers.xlsx_file import cell_text
from data.ingest.formats.fingertips import FINGERTIPS_LICENCE, FINGERTIPS_NOTE, FINGERTIPS_SET, infer_unit
from data.ingest.formats.template import METADATA_COLUMNS, METADATA_REQUIRED, TEMPLATE_COLUMNS

__all__ = [
    "FINGERTIPS_LICENCE", "FINGERTIPS_NOTE", "FINGERTIPS_SET", "MAX_COLUMNS", "MAX_MESSAGE", "MAX_ROWS",
    "METADATA_COLUMNS", "METADATA_REQUIRED", "TEMPLATE_COLUMNS", "ImportResult", "catalogue_with", "infer_unit",
    "read_upload", "typed_rows",
]

MAX_MESSAGE = 300  # characters of a problem message (a 1 MB cell is not echoed back whole)

_EMPTY_OBS = lambda: pd.DataFrame(columns=list(OBSERVATION_COLUMNS), dtype=object)  # noqa: E731
_EMPTY_IND = lambda: pd.DataFrame(columns=list(INDICATOR_COLUMNS), dtype=object)  # noqa: E731


@dataclass
class ImportResult:
    kind: str  # the format: "template" | "fingertips" | ... (formats.FORMATS) | "unknown"
    problems: list[Problem]  # empty when valid
    rows: pd.DataFrame = field(default_factory=_EMPTY_OBS)  # OBSERVATION_COLUMNS as text; empty when invalid
    new_indicators: pd.DataFrame = field(default_factory=_EMPTY_IND)  # INDICATOR_COLUMNS as text
    row_count: int = 0  # data rows read (blank lines not counted)
    # The validation's reading of each number column, aligned with rows: {column: (float(cell) or NaN,
    # cells float() could not read)}; None when not worked out. Saves typing the rows reading them again.
    numbers: dict | None = field(default=None, repr=False, compare=False)
    container: str = ""  # the file: "csv" | "xlsx" ("" when not even that could be told)
    # rows are already a text frame of OBSERVATION_COLUMNS (set by _result): _finish keeps them as they are
    text_rows: bool = field(default=False, repr=False, compare=False)
    # What the file says about each new indicator (id -> field -> {"value", "from"}; formats/fingertips_meta.py),
    # for the preview's choices (indicator_choices.propose)
    hints: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        return not self.problems


class _Stage:
    """on_stage made harmless: fractions clamped to 0..1, and a failing callback is dropped, never fails the import."""

    def __init__(self, callback):
        self.callback = callback

    def __call__(self, stage: str, fraction: float) -> None:
        if self.callback is None:
            return
        try:
            self.callback(stage, max(0.0, min(1.0, float(fraction))))
        except Exception:  # noqa: BLE001 - a progress display must not break an import
            self.callback = None


# ---- public API ---------------------------------------------------------------------------

class FileBytes:
    """An upload's bytes, handed over once: read_upload takes them out and lets them go as soon as the file
    is read into a table, so a big file's bytes (281 MB at a million rows) are not held while its rows are
    mapped and checked. Plain bytes work too; whoever holds them then keeps them."""

    def __init__(self, content: bytes):
        self._content: bytes | None = content

    def take(self) -> bytes:
        content, self._content = self._content, None
        if content is None:
            raise RuntimeError("the file's bytes were handed over already")
        return content


def read_upload(content: bytes | FileBytes, filename: str, catalogue: pd.DataFrame, on_stage=None,
                max_problems: int = 200, *, observations: pd.DataFrame | None = None) -> ImportResult:
    """Read, map and validate an upload. Never raises.

    catalogue: Dataset.indicators. observations (optional, Dataset.observations): when
    given, a Fingertips row for an indicator already held takes the period type the
    store already uses for that label (e.g. an academic year), instead of the
    parser's default reading.
    """
    stage = _Stage(on_stage)
    try:
        result = _read(content, filename, catalogue, stage, observations)
    except Refused as exc:
        result = ImportResult("unknown", exc.problems)
    except Exception as exc:  # noqa: BLE001 - anything unexpected is reported, never raised
        result = ImportResult("unknown", [Problem(None, None, f"could not read the file: {type(exc).__name__}: {exc}")])
    try:
        return _finish(result, max_problems)
    except Exception as exc:  # noqa: BLE001  # pragma: no cover - belt and braces
        return ImportResult(result.kind, [Problem(None, None, f"could not read the file: {type(exc).__name__}")],
                            container=result.container)


def catalogue_with(catalogue: pd.DataFrame, new_indicators: pd.DataFrame) -> pd.DataFrame:
    """The catalogue plus the new indicators (index = id, INDICATOR_COLUMNS), catalogue rows first."""
    base = catalogue.copy()
    if "id" not in base.columns:
        base = base.assign(id=base.index)
    parts = [base.reindex(columns=list(INDICATOR_COLUMNS))]
    if new_indicators is not None and len(new_indicators):
        parts.append(new_indicators.reindex(columns=list(INDICATOR_COLUMNS)))
    merged = pd.concat(parts, ignore_index=True).astype(object).fillna("")
    merged = merged.drop_duplicates("id", keep="first")
    return merged.set_index("id", drop=False)


def typed_rows(result: ImportResult) -> pd.DataFrame:
    """result.rows with float numbers and each period's type resolved (as the store holds them)."""
    rows = _text_frame(result.rows.reindex(columns=list(OBSERVATION_COLUMNS)))
    for col in NUMERIC_OBSERVATION_COLUMNS:
        rows[col] = pd.Series([to_number(v) for v in rows[col]], index=rows.index, dtype="float64")
    rows["period_type"] = [parse_period(str(p), t or None).type for p, t in zip(rows["period"], rows["period_type"], strict=True)]
    return rows


# ---- the pipeline: container -> format -> validation ------------------------------------------

def _display_name(filename) -> str:
    name = str(filename or "").strip()
    return PureWindowsPath(PurePosixPath(name).name).name or "upload"


def _read(content, filename, catalogue, stage: _Stage, observations) -> ImportResult:
    if isinstance(content, FileBytes):
        content = content.take()
    if isinstance(content, str):
        content = content.encode("utf-8")
    content = bytes(content)
    name = _display_name(filename)
    stage("reading", 0.0)
    if not content or content.isspace():  # what `not content.strip()` says, without copying the file
        raise Refused(Problem(None, None, "the file is empty"))
    container = container_of(content, name)
    try:
        table, problems = read_table(content, container, stage)
        del content  # the table holds the file now: its bytes can go (if nobody else holds them: FileBytes)
    except Refused as exc:
        return ImportResult("unknown", exc.problems, container=container)
    except Exception as exc:  # noqa: BLE001 - a file the container cannot read is a problem to report, not a 500
        what = "an .xlsx workbook" if container == "xlsx" else "the file"
        return ImportResult("unknown", [Problem(None, None, f"could not read {what}: {type(exc).__name__}: {exc}")],
                            container=container)
    stage("reading", 1.0)

    header = table.names
    fmt = formats.format_of(header)
    if fmt is None:
        shown = ", ".join(repr(h) for h in header[:8]) + (" ..." if len(header) > 8 else "")
        return ImportResult("unknown", [Problem(None, None,
            "this is neither the upload template nor a Fingertips download: the first row should be the "
            f"template's header (indicator_id, area_code, area_name, period, ...) or a Fingertips header "
            f"(Indicator ID, Indicator Name, ..., Area Code, ...); it is {shown or 'empty'}")], container=container)
    if not len(table):
        problems.append(Problem(None, None, "the file has a header but no data rows"))
    mapped = fmt.to_observations(table, catalogue, filename=name, observations=observations)
    if mapped.header_problems or mapped.rows is None:
        return ImportResult(fmt.name, mapped.header_problems + problems, row_count=len(table), container=container)
    problems += mapped.problems
    floats_of: dict = {}
    problems += _validate(mapped.rows, table.numbers, catalogue_with(catalogue, mapped.new_indicators), stage,
                          mapped.column_labels, problems, floats_of)
    if mapped.reword is not None:
        problems = [mapped.reword(p) for p in problems]
    result = _result(fmt.name, problems, mapped.rows, mapped.new_indicators, len(table), floats_of)
    result.hints = mapped.hints if result.valid else {}
    result.container = container
    return result


# ---- validation and the result ----------------------------------------------------------------

def _validate(frame, numbers, catalogue, stage, names: dict[str, str], already: list[Problem], floats_out=None) -> list[Problem]:
    """schema.validate_observations with the user's row numbers and column names; skips cells already reported."""
    stage("validating", 0.0)
    # Every cell of the frame is stripped text (_tidy, _tidy_columns) or a value made here.
    found = validate_observations(frame, catalogue, row_numbers=numbers, progress=lambda f: stage("validating", f),
                                  stripped=True, numbers_out=floats_out)
    stage("validating", 1.0)
    taken = {(p.row, p.column) for p in already}
    out = []
    for p in found:
        column = names.get(p.column, p.column) if p.column is not None else None
        if (p.row, column) not in taken:
            out.append(Problem(p.row, column, p.message))
    return out


_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def _plain_number(text: str) -> str:
    """A number as typed ('8.1%', '1,150', '£(49,520)') as plain text that float() reads; digits kept as given."""
    if not text or _PLAIN.fullmatch(text):
        return text
    cleaned = text.strip().replace(",", "").replace("£", "").rstrip("%").strip()
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = cleaned[1:-1]
    if _PLAIN.fullmatch(cleaned):
        return cleaned
    return cell_text(to_number(text))


# A line (one cell of a column joined with line feeds) that is neither empty nor a _PLAIN number.
_NOT_PLAIN_LINE = re.compile(r"^(?!(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+))?$).", re.M)


def _plain_numbers(values, refused=None) -> np.ndarray:
    """_plain_number of every cell: the column is looked at as a whole to find the few cells that may
    not be plain already, and only those go through _plain_number.

    refused (optional): for each cell, whether float() refused it (schema.floats' bad cells): with it, an
    ASCII column without a character float() reads beyond a plain number's (whitespace, e, E, _) needs no
    look at each cell: a cell float() reads is then plain, so only the refused ones are candidates."""
    values = np.asarray(values, dtype=object)
    n = len(values)
    try:
        joined = "\n".join(values)
    except TypeError:  # not all text
        joined = None
    if joined is None or joined.count("\n") != max(n - 1, 0):  # a cell with a line feed: cell by cell
        return np.array([_plain_number(v) for v in values], dtype=object) if n else values.copy()
    out = values.copy()
    if n:
        if refused is not None and len(refused) == n and _only_plain_when_read(joined):
            maybe = np.flatnonzero(refused)
        else:
            maybe = _maybe_not_plain(joined, values)
        for k in maybe:
            out[k] = _plain_number(values[k])
    return out


# Characters float() reads in a number that a plain one (_PLAIN) lacks, besides non-ASCII ones: whitespace
# (at either end), an exponent, digit-grouping underscores. (inf and nan are refused: not finite.)
_BEYOND_PLAIN = (" ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "e", "E", "_")


def _only_plain_when_read(joined: str) -> bool:
    """Every cell of these (joined with line feeds) that float() reads to a finite number is a plain number."""
    return joined.isascii() and not any(ch in joined for ch in _BEYOND_PLAIN)


def _maybe_not_plain(joined: str, values: np.ndarray) -> np.ndarray:
    """Positions of the cells that may not be plain numbers (a superset: each is checked again).

    ASCII text is looked at byte by byte: a cell of digits with at most one dot, and not the dot
    alone, is plain; anything else is a candidate. Other text: a regular expression finds the lines."""
    spans = np.fromiter(map(len, values), dtype=np.int64, count=len(values)) + 1
    starts = np.cumsum(spans) - spans  # where each cell begins in `joined`
    cell_of = lambda at: np.searchsorted(starts, at, side="right") - 1  # noqa: E731
    if not joined.isascii():
        return np.unique(cell_of([m.start() for m in _NOT_PLAIN_LINE.finditer(joined)]))
    buf = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    dots = np.bincount(cell_of(np.flatnonzero(buf == 46)), minlength=len(values))
    maybe = (dots >= 2) | ((dots == 1) & (spans == 2))
    other = (buf < 48) | (buf > 57)
    other &= (buf != 46) & (buf != 10)
    maybe[cell_of(np.flatnonzero(other))] = True
    return np.flatnonzero(maybe)


def _result(kind, problems, frame, new, row_count, floats_of=None) -> ImportResult:
    if problems:
        return ImportResult(kind, problems, row_count=row_count)
    numeric = set(NUMERIC_OBSERVATION_COLUMNS)
    refused = {col: got[1] for col, got in (floats_of or {}).items() if got is not None}
    if frame.columns.has_duplicates:
        rows = pd.DataFrame({c: _plain_numbers(frame[c].to_numpy(dtype=object)) if c in numeric else frame[c]
                             for c in frame.columns}, columns=frame.columns, index=frame.index)
        text = _text_frame(rows)
    else:  # each column made text once, no frame in between
        text = _text_frame(frame, {c: _plain_numbers(frame[c].to_numpy(dtype=object), refused.get(c))
                                   for c in frame.columns if c in numeric})
    result = ImportResult(kind, [], text, _text_frame(new), row_count)
    result.text_rows = True
    result.numbers = floats_of or None
    return result


def _text_frame(frame: pd.DataFrame, replaced: dict | None = None) -> pd.DataFrame:
    """Every column pandas' text dtype (str), blanks as '', index 0..n-1.

    replaced: {column: object array of the frame's length} to take instead of the frame's own column
    (for a frame without repeated column names): as if the frame held those arrays. The frame made owns
    its arrays (they may be written to without touching the frame given); a replaced array is taken over."""
    replaced = replaced or {}
    dtypes = {col: object if col in replaced else dtype for col, dtype in frame.dtypes.items()}
    if frame.columns.has_duplicates or not all(dtype == "str" or pd.api.types.is_object_dtype(dtype) for dtype in dtypes.values()):
        if replaced:
            frame = pd.DataFrame({c: replaced.get(c, frame[c]) for c in frame.columns}, columns=frame.columns, index=frame.index)
        return frame.astype(object).fillna("").astype(str).reset_index(drop=True)
    # Text (or object) columns: only a column with a missing value needs filling; str ones are kept.
    index = pd.RangeIndex(len(frame))
    out = {}
    for col in frame.columns:
        values: np.ndarray | None = None
        if col in replaced:
            values = np.asarray(replaced[col], dtype=object)
            series = pd.Series(values, index=frame.index, dtype=object)
        else:
            series = frame[col]
            values = series.to_numpy() if series.dtype == object else None
        if values is not None and every_cell_str(values):  # the usual case, told in one pass
            own = values if col in replaced else values.copy()  # never a view of the frame given
            out[col] = pd.Series(own, index=index, dtype="str", copy=False)
            continue
        if series.isna().any():
            series = series.astype(object).fillna("")
        series = series if series.dtype == "str" else series.astype(str)
        out[col] = pd.Series(series.array.copy(), index=index, copy=False)
    return pd.DataFrame(out, columns=frame.columns, index=index, copy=False)


def _clip(text, limit):
    return text if text is None or len(text) <= limit else text[:limit] + "..."


def _finish(result: ImportResult, max_problems: int) -> ImportResult:
    problems = sorted(result.problems, key=lambda p: (p.row is not None, p.row or 0))
    problems = [Problem(p.row, _clip(p.column, 100), _clip(p.message, MAX_MESSAGE)) for p in problems]
    limit = max(1, int(max_problems))
    if len(problems) > limit:
        more = len(problems) - limit
        problems = problems[:limit] + [Problem(None, None, f"{more:,} more problem(s) found; only the first {limit:,} are shown")]
    result.problems = problems
    if problems:
        result.rows, result.new_indicators, result.numbers, result.hints = _EMPTY_OBS(), _EMPTY_IND(), None, {}
    if problems or not (result.text_rows and list(result.rows.columns) == list(OBSERVATION_COLUMNS)):
        result.rows = _text_frame(result.rows.reindex(columns=list(OBSERVATION_COLUMNS)))
    result.new_indicators = _text_frame(result.new_indicators.reindex(columns=list(INDICATOR_COLUMNS)))
    return result
