"""The columnar importer (pandas' C parser, column operations) against the row-by-row importer it replaced.

tests/unit/importer_legacy.py is data/ingest/importer.py as it was before (csv module, per-row mapping and
typing): every test here reads the same bytes both ways and asks for the same answer, problems
(rows, columns, messages, order), rows, new indicators and row count. Awkward files on purpose:
quotes, doubled quotes, quoted commas and line breaks, stray quotes, blank and short records,
whitespace (incl. non-ASCII), BOMs, CR / LF / CRLF, UTF-8 / UTF-16 / cp1252.
"""
import csv
import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from data.domain.dataset import load_bundled
from data.domain.schema import INDICATOR_COLUMNS, OBSERVATION_COLUMNS
from data.ingest import importer, upload_jobs
from data.ingest.containers import csv_file
from data.ingest.formats import fingertips

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("importer_legacy", HERE / "importer_legacy.py")
legacy = importlib.util.module_from_spec(_spec)
sys.modules["importer_legacy"] = legacy  # its dataclasses look their module up
_spec.loader.exec_module(legacy)

RAW = HERE.parent / "data" / "fingertips" / "raw-download-example.csv"  # a copy in tests/data (see its README)
BUNDLED = load_bundled()
CATALOGUE = BUNDLED.indicators
HELD = BUNDLED.observations
FAST = settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

FT_HEADER = next(csv.reader(io.StringIO(RAW.read_text("utf-8-sig"))))


def same(content: bytes, filename: str = "upload.csv", observations=None):
    """Read both ways; assert the same answer; return the new one."""
    new = importer.read_upload(content, filename, CATALOGUE, observations=observations)
    old = legacy.read_upload(content, filename, CATALOGUE, observations=observations)
    assert new.kind == old.kind
    assert new.problems == old.problems
    assert new.row_count == old.row_count
    pd.testing.assert_frame_equal(new.rows, old.rows)
    pd.testing.assert_frame_equal(new.new_indicators, old.new_indicators)
    if new.valid:  # typed with the validation's numbers as when the text is read again
        pd.testing.assert_frame_equal(upload_jobs._typed(CATALOGUE, new.rows, new.new_indicators, new.numbers),
                                      upload_jobs._typed(CATALOGUE, old.rows, old.new_indicators))
    return new


def encoded(text: str, encoding: str) -> bytes:
    if encoding == "cp1252":
        return text.encode("cp1252", "replace")
    return text.encode(encoding)


# ---- the reader: pandas' rows are csv's records, the odd files rewritten as the csv module reads them ---

TOKENS = ["a", "b", "1", " ", "\t", ",", '"', '""', "\r", "\n", "\r\n", "\x85", "\xa0", "\u2028", "é", "\ufeff",
          "\x0c", "\x1c", ",,", '","', '"\n"']


def slow_table(content: bytes):
    """What the old reader (csv module, row by row) makes of the bytes: (names, record numbers,
    stripped columns, problems) or the refusal."""
    try:
        names, rows, problems = legacy._tidy(legacy._csv_records(content, legacy._Stage(None)))
    except legacy._Refused as exc:
        return ("refused", exc.problems)
    except Exception as exc:  # noqa: BLE001 - the decoding errors the old reader reported
        return ("error", type(exc).__name__)
    return names, [n for n, _ in rows], [[f[j] for _, f in rows] for j in range(len(names))], problems


def fast_table(content: bytes):
    try:
        table, problems = csv_file.read(content, lambda stage, done: None)
    except csv_file.Refused as exc:
        return ("refused", exc.problems)
    except Exception as exc:  # noqa: BLE001
        return ("error", type(exc).__name__)
    return table.names, table.numbers, [list(table.column(j)) for j in range(len(table.names))], problems


@pytest.fixture
def rewrites(monkeypatch):
    """How many times a test's files were rewritten as the csv module reads them."""
    calls = []
    rewrite = csv_file.as_the_csv_module_reads

    def counted(*args, **kwargs):
        calls.append(1)
        return rewrite(*args, **kwargs)

    monkeypatch.setattr(csv_file, "as_the_csv_module_reads", counted)
    return calls


@settings(FAST, max_examples=600)
@given(header=st.sampled_from(["a,b,c", "x", '"a,1",b', " a , b ", "a,,c", "\ufeffa,b"]),
       body=st.lists(st.sampled_from(TOKENS), max_size=60).map("".join),
       newline=st.sampled_from(["\n", "\r\n", "\r"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_col001_csv_reader_reads_as_the_csv_module(header, body, newline, encoding):
    content = encoded(header + newline + body, encoding)
    data, start = csv_file.utf8(content)
    event("as is" if csv_file._same_records(data, start) is not None else "rewritten")
    assert fast_table(content) == slow_table(content)


def test_col002_real_download_and_a_spreadsheet_export_are_read_as_they_are(rewrites):
    raw = RAW.read_bytes()  # quoted names with a line break inside: records span two lines
    assert importer.read_upload(raw, "raw.csv", CATALOGUE).valid
    for text in (raw.decode("utf-8-sig"), raw.decode("utf-8-sig").replace("\r\n", "\n")):
        for encoding in ("utf-8-sig", "utf-16", "cp1252"):
            assert fast_table(encoded(text, encoding)) == slow_table(encoded(text, encoding))
    assert rewrites == []


@pytest.mark.parametrize("content", [
    b'a,b\n1,2"3\n',  # a quote inside an unquoted field is a character
    b'a,b\n"1"2,3\n',  # text after a closing quote joins the field
    b'a,b\n"1,2\n',  # a quote never closed
    b'a,b\n1,2,3\n',  # a record longer than the header
    b'a,b\n1\x002\n',  # NUL
    b'\na,b\n1,2\n',  # an empty first line
    b'a,b\n"' + b"x" * 200_000 + b'",1\n',  # a field over csv's limit
])
def test_col003_odd_files_are_rewritten_as_the_csv_module_reads_them_and_read_the_same(content, rewrites):
    assert fast_table(content) == slow_table(content)
    same(content)
    assert rewrites  # the C parser alone would have read them differently


# ---- the whole import: Fingertips and template files -------------------------------------------

ID = st.sampled_from(["93356", "99001", " 99002 ", "93356.0", "12a", "", "0099003", "99001"])
NAME = st.sampled_from(["Campylobacter incidence rate/100,000\n", "Children aged 10-24 yrs %", "  Spaced  name ",
                        "", "Rate per 1,000 (0-4 yrs)", 'A "quoted" name'])
AREA = st.sampled_from([("E92000001", "England"), ("E06000014", "York"), (" E06000001", "Hartlepool, Borough"), ("", "")])
SEX = st.sampled_from(["Persons", "Male", "Female", "", "persons"])
AGE = st.sampled_from(["All ages", "10-24 yrs", "0-4 yrs", "<18 yrs", "", "18+ yrs"])
CATEGORY = st.sampled_from([("", ""), ("County & UA deprivation deciles in England (IMD2015)", "Most deprived decile (IMD2015)"),
                            ("X", ""), ("", "Y")])
PERIOD = st.sampled_from(["2015", "2019/20", "2023/24", "bad", "", "2015 - 17", "2016"])
NUMBER = st.sampled_from(["94.7", "", "1,150", "8.1%", " 5 ", "-3", "x", "1e5", ".5", "+2.", "£(49,520)", "inf", "7"])
NOTE = st.sampled_from(["", "Aggregated from all known lower geography values", 'quote "here"', "multi\nline", " "])


# Cells a valid row may have (so that many generated files are valid and their rows compared too).
CLEAN = {"id": st.sampled_from(["93356", "99001", " 99002 ", "93356.0", "0099003"]),
         "name": st.sampled_from(["Campylobacter incidence rate/100,000\n", "Children aged 10-24 yrs %", "  Spaced  name "]),
         "area": st.sampled_from([("E92000001", "England"), ("E06000014", "York"), (" E06000001", "Hartlepool, Borough")]),
         "category": st.sampled_from([("", ""), ("County & UA deprivation deciles in England (IMD2015)", "Most deprived decile (IMD2015)")]),
         "period": st.integers(1990, 2030).map(str) | st.sampled_from(["2019/20", "2023/24", "2015 - 17"]),
         "value": st.sampled_from(["94.7", "", "8.1%", " 5 ", "1e1", ".5", "+2."]),
         "ci": st.just(""), "count": st.sampled_from(["7", "", "1,150", "1e3"])}


@st.composite
def fingertips_row(draw, clean=False):
    pick = (lambda key, messy: draw(CLEAN[key])) if clean else (lambda key, messy: draw(messy))
    code, area = pick("area", AREA)
    cat_type, cat = pick("category", CATEGORY)
    cells = {"Indicator ID": pick("id", ID), "Indicator Name": pick("name", NAME), "Area Code": code, "Area Name": area,
             "Area Type": "Country", "Sex": draw(SEX), "Age": draw(AGE), "Category Type": cat_type, "Category": cat,
             "Time period": pick("period", PERIOD), "Value": pick("value", NUMBER), "Lower CI 95.0 limit": pick("ci", NUMBER),
             "Upper CI 95.0 limit": pick("ci", NUMBER), "Count": pick("count", NUMBER), "Denominator": pick("count", NUMBER),
             "Value note": draw(NOTE)}
    row = [cells.get(h, "") for h in FT_HEADER]
    shape = draw(st.sampled_from(["full", "full", "short", "spaces"] if clean else ["full", "full", "short", "blank", "spaces"]))
    if shape == "short":
        return row[:-1]  # as the real download: the last field left off
    if shape == "blank":
        return [""] * draw(st.integers(0, len(FT_HEADER)))
    if shape == "spaces":
        return [" " + c + "\t" if c else c for c in row]
    return row


def write(header, rows, newline) -> str:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@settings(FAST)
@given(rows=st.lists(fingertips_row(), min_size=1, max_size=25) | st.lists(fingertips_row(clean=True), min_size=1, max_size=25),
       newline=st.sampled_from(["\r\n", "\n"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]), held=st.booleans(),
       damage=st.one_of(st.none(), st.none(), st.tuples(st.integers(0, 10_000), st.sampled_from(['"', ",", "\n", "\r", " ", ""]))))
def test_col004_fingertips_files_import_as_before(rows, newline, encoding, held, damage):
    text = write(FT_HEADER, rows, newline)
    if damage is not None:
        at = damage[0] % (len(text) + 1)
        text = text[:at] + damage[1] + text[at:]
    result = same(encoded(text, encoding), "ft.csv", HELD if held else None)
    event("valid" if result.valid else "invalid")


TEMPLATE_ROW = {"indicator_id": "year6-overweight", "area_code": "E06000014", "area_name": "York", "period": "2022/23",
                "value": "21.4", "source": "NCMP"}
IDS = list(CATALOGUE.index[:5]) + ["new-one", "New One", ""]


@st.composite
def template_file(draw):
    extra = draw(st.lists(st.sampled_from(["indicator_name", "set", "unit", "polarity", "definition", "age_band",
                                           "Bogus", "", "category_type", "category", "note", "lower_ci"]),
                          max_size=6, unique=True))
    header = list(OBSERVATION_COLUMNS[:4]) + ["value", "source"] + extra
    header = draw(st.permutations(header))
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        cells = {**TEMPLATE_ROW, "indicator_id": draw(st.sampled_from(IDS)), "period": draw(PERIOD),
                 "value": draw(NUMBER), "lower_ci": draw(NUMBER), "category_type": draw(st.sampled_from(["", "Sex"])),
                 "category": draw(st.sampled_from(["", "Male"])), "indicator_name": draw(st.sampled_from(["", "New"])),
                 "set": draw(st.sampled_from(["", "Local context", "Nope"])), "unit": draw(st.sampled_from(["", "%", "count"])),
                 "polarity": draw(st.sampled_from(["", "higher is better"])), "Bogus": draw(st.sampled_from(["", "x"])),
                 "": draw(st.sampled_from(["", "stray"])), "note": draw(NOTE)}
        rows.append([cells.get(h, "") for h in header])
    return header, rows


@settings(FAST)
@given(file=template_file(), newline=st.sampled_from(["\r\n", "\n", "\r"]), encoding=st.sampled_from(["utf-8", "utf-16"]))
def test_col005_template_files_import_as_before(file, newline, encoding):
    header, rows = file
    same(encoded(write(header, rows, newline), encoding), "template.csv")


def test_col006_the_real_download_imports_as_before():
    raw = RAW.read_bytes()
    assert same(raw, "raw.csv", HELD).valid
    assert same(raw.replace(b"93356", b"99001"), "raw.csv").valid


# ---- the column operations, one by one ---------------------------------------------------------

@settings(FAST)
@given(ages=st.lists(st.sampled_from(["All ages", "10-24 yrs", "0-4 yrs", "<18 yrs", "", "5-9 yrs"]), min_size=1, max_size=30),
       typed=st.lists(st.booleans(), min_size=30, max_size=30),
       name=st.sampled_from(["Rate (10-24 yrs)", "Children 0-4", "Plain", "5-9 yrs olds"]))
def test_col007_default_age_as_before(ages, typed, name):
    types = ["X" if t else "" for t in typed[:len(ages)]]
    assert fingertips._default_age(np.array(ages, dtype=object), np.array(types, dtype=object), name) == \
        legacy._default_age(ages, types, name)


@settings(FAST)
@given(cells=st.lists(st.one_of(NUMBER, st.text(alphabet="0123456789.+-,%£() e\n١", max_size=8)), max_size=40))
def test_col008_plain_numbers_as_cell_by_cell(cells):
    def one(v):
        try:
            return importer._plain_number(v)
        except (ValueError, TypeError):
            return "error"

    expected = [one(v) for v in cells]
    try:
        got = list(importer._plain_numbers(np.array(cells, dtype=object)))
    except (ValueError, TypeError):
        got = None
    if "error" in expected:
        assert got is None or got == expected
    else:
        assert got == expected


def test_col009_text_frame_as_before():
    old = lambda frame: frame.astype(object).fillna("").astype(str).reset_index(drop=True)  # noqa: E731
    frame = pd.DataFrame({"a": np.array(["x", None, np.nan, "y"], dtype=object),
                          "b": pd.Series(["1", "2", None, "3"], dtype="str"), "c": [1.0, np.nan, 2, 3],
                          "d": np.array(["p", "q", 5, "s"], dtype=object)}, index=[5, 6, 7, 8])
    for cols in (["a", "b", "d"], ["a", "b", "c", "d"], ["d"], ["b"], []):
        pd.testing.assert_frame_equal(importer._text_frame(frame[cols]), old(frame[cols]))


# ---- the payload: typed rows by column --------------------------------------------------------

def test_col010_payload_round_trips_the_typed_rows_and_old_payloads_still_read():
    raw = RAW.read_bytes()
    result = importer.read_upload(raw, "raw.csv", CATALOGUE)
    typed = upload_jobs._typed(CATALOGUE, result.rows, result.new_indicators)
    typed.loc[3, "note"] = np.nan  # a missing text value survives too
    rows, new, is_typed = upload_jobs._unpack(upload_jobs._pack(typed, result.new_indicators))
    assert is_typed
    pd.testing.assert_frame_equal(rows, typed)  # every column, the periods' dates and catalogue fields too
    assert {"period_start", "period_end", "unit"} <= set(rows.columns)
    pd.testing.assert_frame_equal(new, result.new_indicators[list(INDICATOR_COLUMNS)].astype(str))
    # a payload of typed rows without their derived columns (as the version before issue 15's round 3 packed
    # them) is typed again when it is read, to the same frame
    rows, _, is_typed = upload_jobs._unpack(upload_jobs._pack(typed[list(OBSERVATION_COLUMNS)], result.new_indicators))
    pd.testing.assert_frame_equal(upload_jobs._typed_payload(rows, is_typed, lambda: CATALOGUE, result.new_indicators),
                                  upload_jobs._typed(CATALOGUE, result.rows, result.new_indicators).assign(
                                      note=lambda f: f["note"].where(f.index != 3, "")))
    # a payload written before this change (gzip'd CSV text) is typed at publish, as it was
    import gzip
    import json
    old = gzip.compress(json.dumps({"rows": result.rows.to_csv(index=False),
                                    "indicators": result.new_indicators.to_csv(index=False)}).encode())
    rows, new, is_typed = upload_jobs._unpack(old)
    assert not is_typed
    pd.testing.assert_frame_equal(upload_jobs._typed(CATALOGUE, rows, new)[list(OBSERVATION_COLUMNS)],
                                  upload_jobs._typed(CATALOGUE, result.rows, result.new_indicators)[list(OBSERVATION_COLUMNS)])


def test_col011_typed_numbers_as_build_from_typed_reads_the_text():
    from data.domain.dataset import build_from_typed

    rows = pd.DataFrame({c: [""] * 6 for c in OBSERVATION_COLUMNS}, dtype=str)
    rows["indicator_id"], rows["area_code"], rows["area_name"] = "year6-overweight", "E06000014", "York"
    rows["period"], rows["source"] = ["2015", "2016", "2017", "2018", "2019", "2020"], "s"
    rows["value"] = ["1", "", " ", " 2.5 ", "1,150", "8.1%"]
    rows["count"] = ["1e3", ".5", "+2.", "", "3", "-0"]
    catalogue = CATALOGUE.reset_index(drop=True)
    got = build_from_typed(catalogue, upload_jobs._with_numbers(rows)).observations
    expected = build_from_typed(catalogue, rows).observations
    pd.testing.assert_frame_equal(got, expected)


def test_col012_store_rows_are_the_records_as_tuples():
    from data.storage.store import _records, _row_tuples

    frame = pd.DataFrame({"a": ["x", None, "z"], "b": [1.5, np.nan, 3.0], "c": pd.Series(["p", None, "r"], dtype="str")})
    columns = ("c", "a", "b", "missing")
    expected = [tuple(r.values()) + (7,) for r in _records(frame, columns)]
    got = _row_tuples(frame, columns, 7, 0, len(frame))
    assert got == expected
    assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]


def test_col013_store_rows_with_the_gaps_worked_out_once_are_the_same():
    from data.storage.store import _row_tuples

    frame = pd.DataFrame({"a": ["x", None, "z", "w"], "b": [1.5, np.nan, 3.0, 4.0], "c": pd.Series(["p", "q", "r", "s"], dtype="str")})
    gaps = {c: frame[c].dtype == "float64" or bool(frame[c].isna().any()) for c in frame.columns}
    assert gaps == {"a": True, "b": True, "c": False}
    whole = _row_tuples(frame, ("a", "b", "c"), 3, 0, 4)
    assert _row_tuples(frame, ("a", "b", "c"), 3, 0, 2, gaps) + _row_tuples(frame, ("a", "b", "c"), 3, 2, 4, gaps) == whole
    assert whole[1] == (None, None, "q", 3)


@settings(FAST)
@given(columns=st.lists(st.lists(st.sampled_from(["a", "b", "", None, float("nan"), "c"]), min_size=12, max_size=12),
                        min_size=1, max_size=5))
def test_col014_group_ids_are_groupby_groups(columns):
    from data.domain.schema import group_ids

    arrays = [np.array(c, dtype=object) for c in columns]
    frame = pd.DataFrame({str(i): a for i, a in enumerate(arrays)}, dtype=object)
    expected = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
    group, first = group_ids(*arrays)
    assert (group == expected).all()  # numbered in order of first appearance, as groupby(sort=False)
    assert (first == np.unique(expected, return_index=True)[1]).all()


@pytest.mark.parametrize("count", [1, 19, 20, 47, 50_001])
def test_col015_published_rows_read_back_as_the_records_given(store, count):
    """The DBAPI insert (20 rows a statement on SQLite, with the rest one by one) stores every row as given."""
    from sqlalchemy import select

    from data.storage.store import _records
    from data.storage.tables import observations

    result = importer.read_upload(RAW.read_bytes(), "raw.csv", CATALOGUE)
    typed = upload_jobs._typed(CATALOGUE, result.rows, result.new_indicators)
    typed = typed.iloc[np.arange(count) % len(typed)].reset_index(drop=True)
    typed["period"] = [f"{2000 + k % 20}" for k in range(count)]
    typed["area_code"] = [f"E{k:08d}" for k in range(count)]  # every key distinct
    typed.loc[0, "value"] = np.nan
    version = store.publish(typed, result.new_indicators, user="t", file_name="raw.csv", sha256="x", base_version=None)
    columns = list(OBSERVATION_COLUMNS)
    with store.engine.connect() as conn:
        got = conn.execute(select(*[observations.c[c] for c in columns]).where(observations.c.valid_from == version)
                           .order_by(observations.c.row_id)).all()
    assert [tuple(r) for r in got] == [tuple(r.values()) for r in _records(typed, columns)]
