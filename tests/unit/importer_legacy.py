# The importer as it was before the columnar reader (data/ingest/importer.py at 3be4f84), kept verbatim as the
# reference tests/unit/test_importer_columnar.py compares the new one with. Not imported by the app.
"""Read an uploaded file into validated observation rows (and any indicators it creates).

Three inputs are accepted, told apart by their content:

- the project's own template (CSV): the observation columns of data/domain/schema.py plus
  optional indicator metadata columns (indicator_name, set, unit, polarity,
  definition, age_band) that create an indicator the catalogue does not have yet;
- a Fingertips "Download data" CSV (26 or 27 columns, read by column NAME);
- an .xlsx workbook whose first sheet holds either of the above.

Text may be UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252; line
endings CRLF, LF or mixed. Validation is all or nothing: any problem and no row
is returned. read_upload never raises: whatever the bytes, the answer is an
ImportResult whose problems say what is wrong, each naming the row (1-based
data row, as the user counts them after the header) and the column.

Typed rows for a preview or a publish: typed_rows(result) (numbers as floats,
period types resolved), or prepare_observations(result.rows,
catalogue_with(catalogue, result.new_indicators)) for the full Dataset layout.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePosixPath, PureWindowsPath

import pandas as pd

from data.domain.periods import PeriodError, parse_period
from data.domain.schema import (
    INDICATOR_COLUMNS,
    NUMERIC_OBSERVATION_COLUMNS,
    OBSERVATION_COLUMNS,
    OBSERVATION_REQUIRED,
    SETS,
    Problem,
    to_number,
    validate_indicators,
    validate_observations,
)

# Template columns that describe an indicator the catalogue does not have yet.
METADATA_COLUMNS = ("indicator_name", "set", "unit", "polarity", "definition", "age_band")
METADATA_REQUIRED = ("indicator_name", "set", "unit", "polarity")
TEMPLATE_COLUMNS = OBSERVATION_COLUMNS + METADATA_COLUMNS

FINGERTIPS_SET = "Fingertips indicators"
FINGERTIPS_LICENCE = "OHID Fingertips, OGL v3.0"
FINGERTIPS_NOTE = "Created from a Fingertips download; unit inferred from the indicator name."

MAX_ROWS = 2_000_000
MAX_COLUMNS = 200
MAX_MESSAGE = 300  # characters of a problem message (a 1 MB cell is not echoed back whole)

assert FINGERTIPS_SET in SETS

# Fingertips column (lower case, single spaces) -> observation column it fills.
_FT_ID, _FT_NAME = "indicator id", "indicator name"
_FT_COLUMNS = {
    "area code": "area_code",
    "area name": "area_name",
    "time period": "period",
    "value": "value",
    "lower ci 95.0 limit": "lower_ci",
    "upper ci 95.0 limit": "upper_ci",
    "count": "count",
    "denominator": "denominator",
    "value note": "note",
}
_FT_REQUIRED = (_FT_ID, _FT_NAME, "area code", "area name", "time period", "value")
_FT_OPTIONAL = ("category type", "category", "sex", "age")
_FT_COMPARED = "compared to england value or percentiles"

_EMPTY_OBS = lambda: pd.DataFrame(columns=list(OBSERVATION_COLUMNS), dtype=object)  # noqa: E731
_EMPTY_IND = lambda: pd.DataFrame(columns=list(INDICATOR_COLUMNS), dtype=object)  # noqa: E731


@dataclass
class ImportResult:
    kind: str  # "template" | "fingertips" | "xlsx" | "unknown"
    problems: list[Problem]  # empty when valid
    rows: pd.DataFrame = field(default_factory=_EMPTY_OBS)  # OBSERVATION_COLUMNS as text; empty when invalid
    new_indicators: pd.DataFrame = field(default_factory=_EMPTY_IND)  # INDICATOR_COLUMNS as text
    row_count: int = 0  # data rows read (blank lines not counted)

    @property
    def valid(self) -> bool:
        return not self.problems


class _Refused(Exception):
    """The file cannot be read any further; carries the problems that say why."""

    def __init__(self, *problems: Problem):
        super().__init__(problems[0].message if problems else "")
        self.problems = list(problems)


class _Stage:
    """on_stage made harmless: fractions clamped to 0..1, and a failing callback is dropped, never fails the import."""

    def __init__(self, callback):
        self.callback = callback

    def __call__(self, stage: str, fraction: float) -> None:
        if self.callback is None:
            return
        try:
            self.callback(stage, max(0.0, min(1.0, float(fraction))))
        except Exception:  # a progress display must not break an import
            self.callback = None


# ---- public API ---------------------------------------------------------------------------

def read_upload(content: bytes, filename: str, catalogue: pd.DataFrame, on_stage=None,
                max_problems: int = 200, *, observations: pd.DataFrame | None = None) -> ImportResult:
    """Read, map and validate an upload. Never raises.

    catalogue: Dataset.indicators. observations (optional, Dataset.observations): when
    given, a Fingertips row for an indicator already held takes the period type the
    store already uses for that label (e.g. an academic year), instead of the
    parser's default reading.
    """
    stage = _Stage(on_stage)
    kind = "unknown"
    try:
        kind, result = _read(content, filename, catalogue, stage, observations)
    except _Refused as exc:
        result = ImportResult(kind, exc.problems)
    except Exception as exc:  # anything unexpected is reported, never raised
        result = ImportResult(kind, [Problem(None, None, f"could not read the file: {type(exc).__name__}: {exc}")])
    try:
        return _finish(result, max_problems)
    except Exception as exc:  # pragma: no cover - belt and braces
        return ImportResult(kind, [Problem(None, None, f"could not read the file: {type(exc).__name__}")])


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
    rows["period_type"] = [parse_period(str(p), t or None).type for p, t in zip(rows["period"], rows["period_type"])]
    return rows


# ---- reading bytes into a header and records -------------------------------------------------

def _display_name(filename) -> str:
    name = str(filename or "").strip()
    return PureWindowsPath(PurePosixPath(name).name).name or "upload"


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return content.decode("latin-1")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


class _Lines:
    """The lines of `text` with their endings (\\r\\n, \\r or \\n), as io.StringIO(text, newline="") hands
    them to csv.reader, but read in place: StringIO keeps a 4-bytes-a-character copy of the text
    (1.1 GB for a 281 MB file). `position` is where the last line handed out ends."""

    def __init__(self, text: str):
        self._lines = _LINE.finditer(text)
        self.position = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.position = line.end()
        return line.group()


def _csv_records(content: bytes, stage: _Stage) -> list[tuple[int, list[str]]]:
    """(record number, fields) for the header (record 0) and each data record, blank ones included."""
    text = _decode(content)
    buffer = _Lines(text)
    reader = csv.reader(buffer)
    records: list[tuple[int, list[str]]] = []
    total, next_report = max(1, len(text)), 0.1
    try:
        for number, fields in enumerate(reader):
            if number > MAX_ROWS:
                raise _Refused(Problem(None, None, f"the file has more than {MAX_ROWS:,} rows"))
            records.append((number, fields))
            if number % 2000 == 0:
                done = buffer.position / total
                if done >= next_report:
                    stage("reading", done)
                    next_report = done + 0.1
    except csv.Error as exc:
        row = len(records) if records else None  # the record after the last one read
        if "field limit" in str(exc):
            raise _Refused(Problem(row, None, f"a cell is longer than {csv.field_size_limit():,} characters")) from None
        raise _Refused(Problem(row, None, f"could not read the file: {exc}")) from None
    return records


def _cell_text(value, column: str = "") -> str:
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


def _xlsx_records(content: bytes, stage: _Stage) -> list[tuple[int, list[str]]]:
    """The first sheet as (sheet row number - 1, fields); the header is sheet row 1 (record 0)."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise _Refused(Problem(None, None, "the workbook has no worksheet"))
        sheet = workbook.worksheets[0]
        reported_rows = sheet.max_row or 0
        if reported_rows > MAX_ROWS + 1:
            raise _Refused(Problem(None, None, f"the sheet has more than {MAX_ROWS:,} rows ({reported_rows:,})"))
        header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        header = [_cell_text(v) for v in header]
        while header and not header[-1].strip():
            header.pop()
        if len(header) > MAX_COLUMNS:
            raise _Refused(Problem(None, None, f"the sheet has more than {MAX_COLUMNS} columns ({len(header)})"))
        # Read every column when the sheet is narrow enough (to see values without a header);
        # otherwise only the header's columns (a sheet formatted out to column XFD is common).
        width = sheet.max_column if sheet.max_column and sheet.max_column <= MAX_COLUMNS else max(1, len(header))
        records = [(0, header)]
        step = max(1, reported_rows // 20)
        for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=1):
            if number > MAX_ROWS:
                raise _Refused(Problem(None, None, f"the sheet has more than {MAX_ROWS:,} rows"))
            records.append((number, [_cell_text(v) for v in values]))
            if reported_rows and number % step == 0:
                stage("reading", number / reported_rows)
        return records
    finally:
        workbook.close()


# ---- the pipeline -------------------------------------------------------------------------

def _read(content, filename, catalogue, stage: _Stage, observations) -> tuple[str, ImportResult]:
    if isinstance(content, str):
        content = content.encode("utf-8")
    content = bytes(content)
    name = _display_name(filename)
    stage("reading", 0.0)
    if not content.strip():
        raise _Refused(Problem(None, None, "the file is empty"))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Refused(Problem(None, None, "this is an old Excel .xls workbook: save it as .xlsx or CSV (UTF-8) and upload that"))
    is_xlsx = content.startswith(b"PK\x03\x04") or name.lower().endswith((".xlsx", ".xlsm"))
    kind = "xlsx" if is_xlsx else "unknown"
    try:
        records = _xlsx_records(content, stage) if is_xlsx else _csv_records(content, stage)
    except _Refused as exc:
        return kind, ImportResult(kind, exc.problems)
    except Exception as exc:
        what = "an .xlsx workbook" if is_xlsx else "the file"
        return kind, ImportResult(kind, [Problem(None, None, f"could not read {what}: {type(exc).__name__}: {exc}")])
    stage("reading", 1.0)

    try:
        header, data, problems = _tidy(records)
    except _Refused as exc:
        return kind, ImportResult(kind, exc.problems)
    del records  # _tidy made its own rows: a million records' lists are ~300 MB
    layout = _layout(header)
    if not is_xlsx:
        kind = layout
    if layout == "unknown":
        shown = ", ".join(repr(h) for h in header[:8]) + (" ..." if len(header) > 8 else "")
        return kind, ImportResult(kind, [Problem(None, None,
            "this is neither the upload template nor a Fingertips download: the first row should be the "
            f"template's header (indicator_id, area_code, area_name, period, ...) or a Fingertips header "
            f"(Indicator ID, Indicator Name, ..., Area Code, ...); it is {shown or 'empty'}")])
    if not data:
        problems.append(Problem(None, None, "the file has a header but no data rows"))
    if layout == "fingertips":
        result = _fingertips(header, data, name, catalogue, stage, observations, problems)
    else:
        result = _template(header, data, name, catalogue, stage, problems)
    result.kind = kind
    return kind, result


def _tidy(records) -> tuple[list[str], list[tuple[int, list[str]]], list[Problem]]:
    """Header names stripped; data records padded to the header; blank records and empty unnamed columns dropped."""
    if not records:
        raise _Refused(Problem(None, None, "the file is empty"))
    _, header = records[0]
    header = [h.replace("\ufeff", "").strip() for h in header]
    data = []
    for n, fields in records[1:]:
        fields = list(map(str.strip, fields))  # every field is text (csv, or _cell_text for .xlsx)
        if any(fields):
            data.append((n, fields))
    width = max([len(header)] + [len(f) for _, f in data])
    header = header + [""] * (width - len(header))
    used = [bool(h) for h in header]
    unnamed = [j for j in range(width) if not used[j]]
    for _, fields in data:  # an unnamed column is kept only if some row has a value in it
        for j in unnamed:
            if not used[j] and j < len(fields) and fields[j]:
                used[j] = True
    keep = [j for j in range(width) if used[j]]
    problems = []
    if len(keep) > MAX_COLUMNS:
        raise _Refused(Problem(None, None, f"the file has more than {MAX_COLUMNS} columns ({len(keep)})"))
    for j in keep:
        if not header[j]:
            first = next(n for n, f in data if j < len(f) and f[j])
            problems.append(Problem(first, f"(unnamed column {j + 1})", "has values but no name in the header row"))
    names = [header[j] or f"(unnamed column {j + 1})" for j in keep]
    if len(keep) == width:  # the usual case: only pad short rows (Fingertips leaves the last field off)
        rows = [(n, f if len(f) == width else f + [""] * (width - len(f))) for n, f in data]
    else:
        rows = [(n, [f[j] if j < len(f) else "" for j in keep]) for n, f in data]
    return names, rows, problems


def _norm(name: str) -> str:
    return " ".join(name.lower().split())


def _layout(header: list[str]) -> str:
    names = {_norm(h) for h in header}
    # Names only one of the two layouts has ("Indicator ID" has a space, "indicator_id" an underscore).
    if len(names & _FT_SIGNATURE) >= 2:
        return "fingertips"
    if names & _TEMPLATE_SIGNATURE:
        return "template"
    return "unknown"


_FT_SIGNATURE = {_FT_ID, _FT_NAME, "area code", "area name", "time period", "lower ci 95.0 limit",
                 "upper ci 95.0 limit", "value note", "time period sortable", "area type"}
_TEMPLATE_SIGNATURE = {"indicator_id", "area_code", "area_name", "period", "period_type", "category_type",
                       "lower_ci", "upper_ci", "indicator_name"}


def _column_problems(header: list[str], known: dict[str, str], required) -> tuple[dict[str, int], list[Problem]]:
    """Where each known column is (by normalised name), and the header's problems."""
    where: dict[str, int] = {}
    problems = []
    for j, name in enumerate(header):
        key = known.get(_norm(name))
        if key is None:
            continue
        if key in where:
            problems.append(Problem(None, name, "appears more than once in the header"))
        else:
            where[key] = j
    problems += [Problem(None, c, "required column is missing") for c in required if c not in where]
    return where, problems


# ---- the template -------------------------------------------------------------------------

def _template(header, data, name, catalogue, stage, problems) -> ImportResult:
    known = {c: c for c in TEMPLATE_COLUMNS}
    where, column_problems = _column_problems(header, known, OBSERVATION_REQUIRED)
    column_problems += [Problem(None, h, "unknown column") for h in header
                        if _norm(h) not in known and not h.startswith("(unnamed column ")]
    problems = column_problems + problems
    if column_problems:
        return ImportResult("template", problems, row_count=len(data))

    def column(col):
        j = where.get(col)
        return [f[j] for _, f in data] if j is not None else [""] * len(data)

    numbers = [n for n, _ in data]
    frame = pd.DataFrame({c: column(c) for c in OBSERVATION_COLUMNS}, columns=list(OBSERVATION_COLUMNS), dtype=object)
    default_source = f"Upload: {name}"
    frame["source"] = [s or default_source for s in frame["source"]]
    meta = {c: column(c) for c in METADATA_COLUMNS}
    has_meta = all(c in where for c in METADATA_REQUIRED)

    known_ids = set(_ids(catalogue))
    candidates, meta_problems = _new_from_template(frame, meta, numbers, known_ids, name) if has_meta else ([], [])
    problems += meta_problems
    new = pd.DataFrame(candidates, columns=list(INDICATOR_COLUMNS), dtype=object) if candidates else _EMPTY_IND()
    problems += _validate(frame, numbers, catalogue_with(catalogue, new), stage, {}, problems)

    hint = (": fill indicator_name, set, unit and polarity on one of its rows to create it" if has_meta
            else ": add indicator_name, set, unit and polarity columns to create it")
    problems = [Problem(p.row, p.column, p.message + hint)
                if p.column == "indicator_id" and p.message.startswith("unknown indicator '") else p
                for p in problems]
    return _result("template", problems, frame, new, len(data))


def _ids(catalogue) -> list[str]:
    if "id" in catalogue.columns:
        return [str(i) for i in catalogue["id"]]
    return [str(i) for i in catalogue.index]


def _new_from_template(frame, meta, numbers, known_ids, name) -> tuple[list[dict], list[Problem]]:
    """One indicator for each unknown indicator_id whose rows give its metadata."""
    problems: list[Problem] = []
    defined: dict[str, tuple[int, dict]] = {}  # id -> (row number, indicator)
    for k, ind_id in enumerate(frame["indicator_id"]):
        if not ind_id or ind_id in known_ids:
            continue
        given = {c: meta[c][k] for c in METADATA_COLUMNS}
        if not any(given[c] for c in METADATA_REQUIRED):
            continue  # a further row of the indicator (or none of its rows describes it)
        if ind_id not in defined:
            defined[ind_id] = (numbers[k], {
                "id": ind_id, "name": given["indicator_name"], "set": given["set"], "age_band": given["age_band"],
                "unit": given["unit"], "polarity": given["polarity"], "definition": given["definition"],
                "source": frame["source"].iat[k], "fingertips_id": "", "expected_update_for": "",
                "expected_update": "", "note": f"Created from an upload ({name}, row {numbers[k]}).",
            })
            continue
        first_row, first = defined[ind_id]
        for col, key in (("indicator_name", "name"), ("set", "set"), ("unit", "unit"), ("polarity", "polarity"),
                         ("definition", "definition"), ("age_band", "age_band")):
            if given[col] and given[col] != first[key]:
                problems.append(Problem(numbers[k], col, f"'{given[col]}' differs from row {first_row} for the new indicator '{ind_id}' ('{first[key]}')"))
    candidates = [ind for _, ind in defined.values()]
    rows = [row for row, _ in defined.values()]
    columns = {"id": "indicator_id", "name": "indicator_name"}
    if candidates:
        for p in validate_indicators(pd.DataFrame(candidates, columns=list(INDICATOR_COLUMNS))):
            problems.append(Problem(rows[p.row - 1] if p.row else None, columns.get(p.column, p.column), p.message))
    return candidates, problems


# ---- Fingertips -----------------------------------------------------------------------------

def infer_unit(indicator_name: str) -> str:
    """The unit a Fingertips indicator name implies: %, rate per 100,000, rate per 1,000 or count."""
    text = indicator_name.lower()
    if "%" in text or "percentage" in text or "proportion" in text:
        return "%"
    if re.search(r"(?<![\d,])100[, ]?000(?![\d,])", text):
        return "rate per 100,000"
    if re.search(r"(?<![\d,])1[, ]?000(?![\d,])", text):
        return "rate per 1,000"
    return "count"


def _default_age(ages: list[str], category_types: list[str], indicator_name: str) -> str | None:
    """The age of an indicator's headline figures when its rows have more than one age."""
    distinct = list(dict.fromkeys(ages))
    if len(distinct) <= 1:
        return None
    if "All ages" in distinct:
        return "All ages"
    name = indicator_name.lower().replace(" ", "")
    for age in distinct:  # the age the indicator's name states, e.g. "(10-24 yrs)"
        span = re.match(r"^(\d+\+?(?:-\d+)?)", age.replace(" ", ""))
        if span and re.search(rf"(?<!\d){re.escape(span.group(1))}(?!\d)", name):
            return age
    with_category = {a for a, t in zip(ages, category_types) if t}
    if len(with_category) == 1:  # breakdowns (deprivation deciles) are published for the headline age
        return with_category.pop()
    plain = Counter(a for a, t in zip(ages, category_types) if not t)
    return plain.most_common(1)[0][0] if plain else distinct[0]


def _fingertips(header, data, name, catalogue, stage, observations, problems) -> ImportResult:
    known = {k: k for k in (_FT_ID, _FT_NAME, *_FT_COLUMNS, *_FT_OPTIONAL, _FT_COMPARED)}
    where, column_problems = _column_problems(header, known, ())
    column_problems += [Problem(None, _display_ft(c), "required column is missing") for c in _FT_REQUIRED if c not in where]
    problems = column_problems + problems
    if column_problems:
        return ImportResult("fingertips", problems, row_count=len(data))
    label = {key: header[j] for key, j in where.items()}  # the file's own spelling, for problems

    def column(key):
        j = where.get(key)
        return [f[j] for _, f in data] if j is not None else [""] * len(data)

    numbers = [n for n, _ in data]
    ft_ids, ft_names = column(_FT_ID), column(_FT_NAME)
    sexes, ages = column("sex"), column("age")
    cat_types, cats = column("category type"), column("category")

    by_fingertips_id: dict[str, str] = {}
    if "fingertips_id" in catalogue.columns:
        for ind_id, ft in zip(_ids(catalogue), catalogue["fingertips_id"]):
            ft = _fingertips_number(str(ft) if ft is not None and ft == ft else "")
            if ft:
                by_fingertips_id.setdefault(ft, ind_id)
    known_ids = set(_ids(catalogue))

    # Per Fingertips indicator: the catalogue indicator, or a new one; the headline age.
    ids_of_rows: list[str] = []
    own: list[Problem] = []
    members: dict[str, list[int]] = {}
    for k, raw in enumerate(ft_ids):
        ft = _fingertips_number(raw)
        if not ft:
            if raw:
                own.append(Problem(numbers[k], label[_FT_ID], f"'{raw}' is not a Fingertips indicator ID (a whole number)"))
            ids_of_rows.append("")
            continue
        members.setdefault(ft, []).append(k)
        ids_of_rows.append(ft)

    new: list[dict] = []
    target: dict[str, str] = {}
    default_age: dict[str, str | None] = {}
    for ft, ks in members.items():
        ind_name = " ".join(next((ft_names[k] for k in ks if ft_names[k].strip()), "").split())
        default_age[ft] = _default_age([ages[k] for k in ks], [cat_types[k] for k in ks], ind_name)
        ind_id = by_fingertips_id.get(ft) or f"fingertips-{ft}"
        target[ft] = ind_id
        if ind_id not in known_ids:
            new.append({
                "id": ind_id, "name": ind_name, "set": FINGERTIPS_SET, "age_band": "", "unit": infer_unit(ind_name),
                "polarity": "no judgement", "definition": "", "source": f"{FINGERTIPS_LICENCE} (indicator {ft})",
                "fingertips_id": ft, "expected_update_for": "", "expected_update": "", "note": FINGERTIPS_NOTE,
            })
            first_row = numbers[ks[0]]
            for p in validate_indicators(pd.DataFrame([new[-1]], columns=list(INDICATOR_COLUMNS))):
                own.append(Problem(first_row, label[_FT_NAME] if p.column == "name" else label[_FT_ID], p.message))

    obs = {c: [""] * len(data) for c in OBSERVATION_COLUMNS}
    for key, col in _FT_COLUMNS.items():
        if key in where:
            obs[col] = column(key)
    obs["indicator_id"] = [target.get(ft, "") for ft in ids_of_rows]
    obs["source"] = [f"{FINGERTIPS_LICENCE} (indicator {ft}, {name})" if ft else f"{FINGERTIPS_LICENCE} ({name})" for ft in ids_of_rows]
    for k, ft in enumerate(ids_of_rows):
        parts = []
        if cat_types[k] or cats[k]:
            parts.append((cat_types[k], cats[k]))
        if sexes[k] and sexes[k].lower() != "persons":
            parts.append(("Sex", sexes[k]))
        if ages[k] and default_age.get(ft) is not None and ages[k] != default_age[ft]:
            parts.append(("Age", ages[k]))
        if parts:
            obs["category_type"][k] = " / ".join(t for t, _ in parts)
            obs["category"][k] = " / ".join(c for _, c in parts)
    # Added after 3be4f84 (issue 12 leftovers): Fingertips' own comparison kept in each area total's note,
    # row by row, as the reference for the columnar with_comparison.
    if _FT_COMPARED in where:
        obs["note"] = list(obs["note"])
        for k, cell in enumerate(column(_FT_COMPARED)):
            word = cell.strip().split(" ")[0].lower() if cell.strip() else ""
            if word in ("better", "similar", "worse", "higher", "lower") and not obs["category_type"][k]:
                stated = f"Compared with England: {word.capitalize()}"
                obs["note"][k] = f"{obs['note'][k]}; {stated}" if obs["note"][k] else stated
    frame = pd.DataFrame(obs, columns=list(OBSERVATION_COLUMNS), dtype=object)
    if observations is not None:
        frame["period_type"] = _known_period_types(frame, observations, known_ids)

    names = {col: label.get(key, key) for key, col in _FT_COLUMNS.items()}
    names.update({"indicator_id": label[_FT_ID], "source": label[_FT_ID]})
    for col, key in (("category_type", "category type"), ("category", "category")):
        names[col] = label.get(key, col)
    new_frame = pd.DataFrame(new, columns=list(INDICATOR_COLUMNS), dtype=object) if new else _EMPTY_IND()
    problems += own
    found = _validate(frame, numbers, catalogue_with(catalogue, new_frame), stage, names, problems)
    problems += found
    return _result("fingertips", problems, frame, new_frame, len(data))


def _display_ft(key: str) -> str:
    return {"indicator id": "Indicator ID", "indicator name": "Indicator Name", "area code": "Area Code",
            "area name": "Area Name", "time period": "Time period", "value": "Value"}.get(key, key)


def _fingertips_number(text: str) -> str:
    text = text.strip()
    if text.endswith(".0"):  # a spreadsheet may have turned 93356 into 93356.0
        text = text[:-2]
    return str(int(text)) if text.isascii() and text.isdigit() else ""


def _known_period_types(frame: pd.DataFrame, observations: pd.DataFrame, known_ids: set[str]) -> list[str]:
    """For rows of an indicator already held, the period type the store uses for that label."""
    need = {"indicator_id", "period", "period_type"}
    if not need <= set(observations.columns) or observations.empty:
        return list(frame["period_type"])
    held = observations[observations["indicator_id"].isin(known_ids & set(frame["indicator_id"]))]
    by_label = {(i, str(p)): str(t) for i, p, t in zip(held["indicator_id"], held["period"], held["period_type"]) if t == t and t}
    single = {}
    for ind_id, types in held.groupby("indicator_id")["period_type"]:
        distinct = {str(t) for t in types if t == t and t}
        if len(distinct) == 1:
            single[ind_id] = distinct.pop()
    out = []
    for ind_id, period, ptype in zip(frame["indicator_id"], frame["period"], frame["period_type"]):
        guess = ptype or by_label.get((ind_id, period)) or single.get(ind_id, "")
        if guess and not ptype:
            try:
                parse_period(period, guess)
            except PeriodError:
                guess = ""
        out.append(ptype or guess)
    return out


# ---- validation and the result ----------------------------------------------------------------

def _validate(frame, numbers, catalogue, stage, names: dict[str, str], already: list[Problem]) -> list[Problem]:
    """schema.validate_observations with the user's row numbers and column names; skips cells already reported."""
    stage("validating", 0.0)
    found = validate_observations(frame, catalogue, row_numbers=numbers, progress=lambda f: stage("validating", f))
    stage("validating", 1.0)
    taken = {(p.row, p.column) for p in already}
    out = []
    for p in found:
        column = names.get(p.column, p.column)
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
    return _cell_text(to_number(text))


def _result(kind, problems, frame, new, row_count) -> ImportResult:
    if problems:
        return ImportResult(kind, problems, row_count=row_count)
    rows = frame.copy()
    for col in NUMERIC_OBSERVATION_COLUMNS:
        rows[col] = [_plain_number(v) for v in rows[col]]
    return ImportResult(kind, [], _text_frame(rows), _text_frame(new), row_count)


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column pandas' text dtype (str), blanks as '', index 0..n-1."""
    return frame.astype(object).fillna("").astype(str).reset_index(drop=True)


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
        result.rows, result.new_indicators = _EMPTY_OBS(), _EMPTY_IND()
    result.rows = _text_frame(result.rows.reindex(columns=list(OBSERVATION_COLUMNS)))
    result.new_indicators = _text_frame(result.new_indicators.reindex(columns=list(INDICATOR_COLUMNS)))
    return result
