"""Fuzzing the upload importer: whatever the bytes, read_upload answers with an ImportResult.

Generated and mutated files (random bytes, the real Fingertips download cut and
mutated, enormous cells, thousands of empty columns, random template rows as
CSV or xlsx). The property: read_upload never raises; its result is well formed;
when it says valid, every row is usable (columns, periods, numbers, unique keys);
when invalid, it gives no rows and every problem's row is a row of the file.
Derandomized (the same examples every run) and sized to run in well under a minute.
"""
import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from data.domain.dataset import load_bundled, prepare_observations
from data.domain.periods import parse_period
from data.domain.schema import INDICATOR_COLUMNS, OBSERVATION_COLUMNS, OBSERVATION_KEY, Problem, to_number
from data.ingest.importer import ImportResult, catalogue_with, read_upload, typed_rows

RAW = Path(__file__).resolve().parents[1] / "data" / "fingertips" / "raw-download-example.csv"
RAW_BYTES = RAW.read_bytes()  # a copy in tests/data (see its README): missing is a failure


def needs_raw(test):
    return test
# Header + the first 40 records (each spans two lines): small enough to mutate hundreds of times.
RAW_LINES = RAW_BYTES.splitlines(keepends=True)
RAW_SMALL = b"".join(RAW_LINES[:81])

DATASET = load_bundled()
CATALOGUE = DATASET.indicators
MAX_PROBLEMS = 50

FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                                       HealthCheck.filter_too_much])


def records_in(content: bytes) -> int:
    """An upper bound on the rows a file can have (lines, or records for a zip)."""
    return content.count(b"\n") + content.count(b"\r") + 2


def check(content: bytes, filename: str = "upload.csv") -> ImportResult:
    result = read_upload(content, filename, CATALOGUE, max_problems=MAX_PROBLEMS)
    assert isinstance(result, ImportResult)
    assert result.kind in ("template", "fingertips", "unknown")  # the format, whatever the container
    assert result.container in ("", "csv", "xlsx")
    assert isinstance(result.problems, list) and all(isinstance(p, Problem) for p in result.problems)
    assert len(result.problems) <= MAX_PROBLEMS + 1
    assert list(result.rows.columns) == list(OBSERVATION_COLUMNS)
    assert list(result.new_indicators.columns) == list(INDICATOR_COLUMNS)
    assert result.valid == (not result.problems)
    event(f"kind={result.kind} valid={result.valid}")  # shown by --hypothesis-show-statistics
    if not result.valid:
        assert result.rows.empty and result.new_indicators.empty
        if not filename.endswith(".xlsx"):
            assert all(p.row is None or 1 <= p.row <= records_in(content) for p in result.problems)
        for p in result.problems:
            str(p)  # printable
        return result
    rows = result.rows
    assert len(rows) == result.row_count > 0
    for period, ptype in zip(rows["period"], rows["period_type"], strict=True):
        parse_period(period, ptype or None)  # every period parses
    for col in ("value", "lower_ci", "upper_ci", "count", "denominator"):
        assert all(v == "" or float(v) == float(v) for v in rows[col])  # plain numbers
    assert not rows.duplicated(list(OBSERVATION_KEY)).any()
    cat = catalogue_with(CATALOGUE, result.new_indicators)
    assert set(rows["indicator_id"]) <= set(cat.index)
    typed = typed_rows(result)
    assert str(typed["value"].dtype) == "float64"
    prepare_observations(rows, cat)  # what a preview does next
    return result


# ---- random and prefixed bytes ----------------------------------------------------------------

FILENAMES = st.sampled_from(["upload.csv", "upload.xlsx", "upload.txt", "", "C:\\fakepath\\data.CSV"])


@settings(FUZZ, max_examples=400)
@given(content=st.binary(max_size=3000), filename=FILENAMES)
def test_fz001_random_bytes(content, filename):
    check(content, filename)


PREFIXES = [
    b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xd0\xcf\x11\xe0",
    ",".join(OBSERVATION_COLUMNS).encode() + b"\r\n",
    RAW_LINES[0] if RAW_LINES else b"Indicator ID,Time period\n",
]


@settings(FUZZ, max_examples=300)
@given(prefix=st.sampled_from(PREFIXES), tail=st.binary(max_size=2000), filename=FILENAMES)
def test_fz002_known_start_then_random_bytes(prefix, tail, filename):
    check(prefix + tail, filename)


# ---- the real Fingertips download, cut and mutated -------------------------------------------

@needs_raw
@settings(FUZZ, max_examples=120)
@given(cut=st.integers(min_value=0, max_value=len(RAW_BYTES)), keep_start=st.booleans())
def test_fz003_real_download_cut_at_random_points(cut, keep_start):
    content = RAW_BYTES[:cut] if keep_start else RAW_BYTES[cut:]
    result = check(content, "raw-download-example.csv")
    if keep_start and cut == len(RAW_BYTES):
        assert result.valid and len(result.rows) == 852


INSERTS = [b'"', b",", b"\n", b"\r", b"\r\n", b'""', b'","', b"\x00", b"\xff", b"\xc3", b"%", b"-", b"\xef\xbb\xbf"]
MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.sampled_from(INSERTS)),
    st.tuples(st.just("delete-line"), st.integers(0, 10**6), st.none()),
    st.tuples(st.just("duplicate-line"), st.integers(0, 10**6), st.none()),
    st.tuples(st.just("delete-bytes"), st.integers(0, 10**6), st.integers(1, 40)),
)


def mutate(content: bytes, mutations) -> bytes:
    data = bytearray(content)
    for op, where, arg in mutations:
        if not data:
            data = bytearray(b"\n")
        at = where % len(data)
        if op == "flip":
            data[at] ^= arg
        elif op == "insert":
            data[at:at] = arg
        elif op == "delete-bytes":
            del data[at:at + arg]
        else:
            lines = bytes(data).splitlines(keepends=True)
            k = where % len(lines)
            if op == "delete-line":
                del lines[k]
            else:
                lines.insert(k, lines[k])
            data = bytearray(b"".join(lines))
    return bytes(data)


@needs_raw
@settings(FUZZ, max_examples=600)
@given(mutations=st.lists(MUTATION, min_size=1, max_size=6))
def test_fz004_real_download_mutated(mutations):
    check(mutate(RAW_SMALL, mutations), "raw-download-example.csv")


@needs_raw
@settings(FUZZ, max_examples=40)
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3))
def test_fz005_whole_real_download_mutated(mutations):
    check(mutate(RAW_BYTES, mutations), "raw-download-example.csv")


# ---- enormous cells, thousands of empty columns ---------------------------------------------

TEMPLATE_ROW = {"indicator_id": "smoking-at-delivery", "area_code": "E06000014", "area_name": "York", "period": "22/23",
                "value": "8.1", "source": "Annual Report 2023/24, test"}


def csv_bytes(header, rows, newline="\r\n", encoding="utf-8", quoting=csv.QUOTE_MINIMAL):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=newline, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(header, rows):
    wb = Workbook()
    ws = wb.active
    ws.append([ILLEGAL_CHARACTERS_RE.sub("", h) for h in header])
    for r in rows:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) or None for v in r])  # what Excel can store
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@settings(FUZZ, max_examples=12)
@given(column=st.sampled_from(["indicator_id", "period", "value", "note", "area_name", "(header)"]),
       char=st.sampled_from(["x", "9", ",", '"', "\n", "é"]), as_xlsx=st.booleans())
def test_fz006_one_megabyte_cell(column, char, as_xlsx):
    big = char * 1_000_000
    header = list(OBSERVATION_COLUMNS)
    row = dict(TEMPLATE_ROW)
    if column == "(header)":
        header = header + [big]
    else:
        row[column] = big
    cells = [row.get(c, "") for c in header]
    if as_xlsx:
        check(xlsx_bytes(header, [cells]), "big.xlsx")
    else:
        check(csv_bytes(header, [cells]), "big.csv")


@settings(FUZZ, max_examples=12)
@given(empty=st.integers(1000, 6000), named=st.booleans(), stray=st.one_of(st.none(), st.integers(0, 5999)))
def test_fz007_thousands_of_empty_columns(empty, named, stray):
    header = list(OBSERVATION_COLUMNS) + [(f"Unnamed: {i}" if named else "") for i in range(empty)]
    cells = [TEMPLATE_ROW.get(c, "") for c in OBSERVATION_COLUMNS] + [""] * empty
    if stray is not None:
        cells[len(OBSERVATION_COLUMNS) + stray % empty] = "stray"
    result = check(csv_bytes(header, [cells]), "wide.csv")
    if not named and stray is None:
        assert result.valid  # Excel's trailing empty columns are harmless
    else:
        assert not result.valid


# ---- random template rows -------------------------------------------------------------------

IDS = list(CATALOGUE.index)
UNIT = dict(zip(CATALOGUE.index, CATALOGUE["unit"], strict=True))
GOOD_PERIODS = ["22/23", "2023/24", "2021", "Q2 23/24", "2019/20 Q3", "20-22", "2013 - 15", "20/21-22/23",
                "Sept 2023", "June 2023", "Sept 2023 - March 2024", "not stated", "2021/2022"]
BAD_PERIODS = ["23/25", "2023-2025", "Q5 23/24", "Smarch 2023", "22/21", "", " ", "2023/24/25", "yesterday"]
AREAS = [("E06000014", "York"), ("E92000001", "England"), ("E06000001", "Hartlepool")]

number_text = st.one_of(
    st.just(""),
    st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda v: f"{v:g}"),
    st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda v: f"{v:.1f}%"),
    st.integers(0, 10**7).map(lambda v: f"{v:,}"),
    st.integers(-10**4, -1).map(str),
    st.sampled_from(["abc", "nan", "inf", "£(49,520)", "1e3", "1_000", "--1", "8.1.1", "120%", "(5)", "%", "£"]),
    st.text(max_size=12),
)
cell_text = st.one_of(st.just(""), st.text(max_size=20), st.sampled_from(["<script>alert(1)</script>", "=cmd|' /C calc'!A0", "café £"]))


@st.composite
def template_file(draw):
    meta = draw(st.booleans())
    header = list(OBSERVATION_COLUMNS) + (["indicator_name", "set", "unit", "polarity", "definition", "age_band"] if meta else [])
    drop = draw(st.one_of(st.none(), st.sampled_from(header)))
    if drop:
        header.remove(drop)
    if draw(st.integers(0, 9)) == 0:
        header.append(draw(st.sampled_from(["colour", "Value", "", "indicator_id"])))
    header = draw(st.permutations(header))
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        area, area_name = draw(st.sampled_from(AREAS))
        row = {
            "indicator_id": draw(st.one_of(st.sampled_from(IDS), st.sampled_from(["new-one", "Bad Id", ""]))),
            "area_code": area, "area_name": area_name,
            "period": draw(st.one_of(st.sampled_from(GOOD_PERIODS), st.sampled_from(BAD_PERIODS), st.text(max_size=10))),
            "period_type": draw(st.sampled_from(["", "", "", "academic year", "census", "survey date", "fortnight"])),
            "category_type": draw(st.sampled_from(["", "", "Course"])),
            "category": draw(st.sampled_from(["", "", "Level 1"])),
            "value": draw(number_text), "lower_ci": draw(number_text), "upper_ci": draw(number_text),
            "count": draw(number_text), "denominator": draw(number_text),
            "source": draw(st.sampled_from(["", "Annual Report 2023/24, test"])), "note": draw(cell_text),
            "indicator_name": draw(cell_text), "set": draw(st.sampled_from(["", "Aged 5-11", "Aged 99+"])),
            "unit": draw(st.sampled_from(["", "%", "count", "furlongs"])),
            "polarity": draw(st.sampled_from(["", "no judgement", "sideways"])),
            "definition": draw(cell_text), "age_band": draw(st.sampled_from(["", "0-18"])),
        }
        rows.append([row.get(c, "") for c in header])
    return header, rows


ENCODING = st.sampled_from([("utf-8", "\r\n"), ("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r\n"), ("utf-16", "\n")])


@settings(FUZZ, max_examples=500)
@given(file=template_file(), encoding=ENCODING)
def test_fz008_random_template_rows(file, encoding):
    header, rows = file
    check(csv_bytes(header, rows, newline=encoding[1], encoding=encoding[0]), "rows.csv")


@settings(FUZZ, max_examples=40)
@given(file=template_file())
def test_fz009_random_template_rows_as_xlsx(file):
    header, rows = file
    assume("" not in header)
    check(xlsx_bytes(header, rows), "rows.xlsx")


@st.composite
def valid_rows(draw):
    """Rows valid by construction: known indicators, good periods, numbers within the rules, unique keys."""
    keys = draw(st.lists(st.tuples(st.sampled_from(IDS), st.sampled_from(AREAS), st.sampled_from(GOOD_PERIODS)),
                         min_size=1, max_size=12, unique_by=lambda k: (k[0], k[1][0], k[2])))
    rows = []
    for ind, (area, name), period in keys:
        value = draw(st.one_of(st.none(), st.floats(0, 100, allow_nan=False, allow_infinity=False)))
        row = {"indicator_id": ind, "area_code": area, "area_name": name, "period": period, "source": "",
               "note": draw(cell_text)}
        if value is not None:
            style = draw(st.sampled_from(["plain", "percent", "thousands"]))
            shown = round(value, 2)
            row["value"] = {"plain": f"{shown:g}", "percent": f"{shown}%", "thousands": f"{shown:,}"}[style]
            row["lower_ci"] = f"{shown * 0.9:.4f}" if draw(st.booleans()) else ""
            row["count"] = f"{draw(st.integers(0, 10**6)):,}" if draw(st.booleans()) else ""
        rows.append(row)
    return rows


@settings(FUZZ, max_examples=250)
@given(rows=valid_rows(), encoding=ENCODING)
def test_fz010_valid_template_rows_are_accepted_as_typed(rows, encoding):
    header = list(OBSERVATION_COLUMNS)
    # Every field quoted: csv's minimal quoting leaves a lone "\r" bare when lines end "\n" (a broken file).
    content = csv_bytes(header, [[r.get(c, "") for c in header] for r in rows], newline=encoding[1],
                        encoding=encoding[0], quoting=csv.QUOTE_ALL)
    result = check(content, "valid.csv")
    assert result.valid, result.problems[:3]
    typed = typed_rows(result)
    for k, r in enumerate(rows):
        for col in ("value", "lower_ci", "count"):
            expected = to_number(r.get(col, ""))
            got = typed.loc[k, col]
            assert (expected is None and got != got) or got == expected
