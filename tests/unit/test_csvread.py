"""Issue 15 (the 1M upload, helper csvread): the faster CSV reading and Fingertips mapping give exactly
the answers of the plain implementations they replace.

_record_stats (quotes and line ends found in one pass, slice by slice) is compared with a byte-by-byte
walk; _parse (read_csv in chunks into preallocated columns) with one whole-file read_csv;
polarity_of_columns with polarity_of row by row; _distinct with dict.fromkeys. No timings here (bench/)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.domain.schema import INDICATOR_COLUMNS, Problem, validate_indicators
from data.ingest.containers import csv_file, read_table
from data.ingest.containers import table as table_module
from data.ingest.formats import fingertips, fingertips_meta
from data.ingest.formats.fingertips import FingertipsFormat

DATA = Path(__file__).resolve().parents[1] / "data"


def reference_stats(data: bytes) -> tuple[int, int] | None:
    """A byte-by-byte walk: None when a quote stands where the csv module would take it literally, else
    (records, longest record in bytes with its line end) as _record_stats defines them."""
    n = len(data)
    quotes = [i for i, b in enumerate(data) if b == 34]
    if len(quotes) % 2:
        return None
    edges = (44, 10, 13, 34)
    for k, q in enumerate(quotes):
        if k % 2 == 0 and not (q == 0 or data[q - 1] in edges):
            return None
        if k % 2 == 1 and not (q == n - 1 or data[q + 1] in edges):
            return None
    ends, inside = [], False
    for i, b in enumerate(data):
        if b == 34:
            inside = not inside
        elif not inside and (b == 10 or (b == 13 and not (i + 1 < n and data[i + 1] == 10))):
            ends.append(i)
    records = len(ends) + (0 if ends and ends[-1] == n - 1 else 1)
    bounds = [-1, *ends, n]
    return records, max(b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True))


CSV_TEXT = st.lists(st.sampled_from(["a", "bc", ",", '"', '""', "\r", "\n", "\r\n", " ", "é"]), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=CSV_TEXT, slice_bytes=st.sampled_from([1, 2, 3, 7, 1 << 20]))
def test_csvr001_record_stats_equal_a_byte_by_byte_walk(text, slice_bytes):
    data = text.encode("utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_file, "_SLICE", slice_bytes)  # quotes and line ends on every side of a slice edge
        assert csv_file._record_stats(data) == reference_stats(data)
        for start in (1, 3):
            if len(data) > start:
                assert csv_file._record_stats(data, start) == reference_stats(data[start:])


def test_csvr002_record_stats_across_real_slice_edges():
    rows = ['1,"a, b",x', '2,"multi\r\nline",y', '3,plain,z\r', '4,"q""uote",\n', "5,,"]
    data = ("\r\n".join(rows[i % len(rows)] for i in range(300_000)) + "\n").encode()  # ~4.5 MB: 5 slices
    assert csv_file._record_stats(data) == reference_stats(data)
    lone_cr = data.replace(b"\r\n", b"\r")
    assert csv_file._record_stats(lone_cr) == reference_stats(lone_cr)


def whole_read(data: bytes, start: int, records: int):
    """The reading _parse replaced: one read_csv over the whole file."""
    stream = io.BytesIO(data)
    stream.seek(start)
    try:
        frame = pd.read_csv(stream, header=None, dtype=object, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, engine="c", encoding="utf-8", quotechar='"', doublequote=True,
                            escapechar=None, comment=None, skipinitialspace=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    if len(frame) != records:
        return None
    arrays = [frame[c].to_numpy(dtype=object) for c in frame.columns]
    return arrays if all(isinstance(v, str) for a in arrays for v in a[:1]) else None


RECORD = st.lists(st.sampled_from(["", "a", " b ", "1.5", '"x,y"', '"l1\nl2"', '"q""q"']), min_size=1, max_size=5).map(",".join)


@settings(max_examples=300, deadline=None)
@given(records=st.lists(RECORD, min_size=1, max_size=12), ending=st.sampled_from(["\n", "\r\n", ""]),
       chunk=st.sampled_from([1, 2, 3, 5, 100_000]), off=st.integers(-2, 2))
def test_csvr003_parse_in_chunks_equals_one_whole_read(records, ending, chunk, off):
    data = ("\n".join(records) + ending).encode("utf-8")
    stats = csv_file._record_stats(data)
    count = (stats[0] if stats else len(records)) + off  # also a wrong count: both must say None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_file, "_CHUNK_ROWS", chunk)
        got = csv_file._parse(data, 0, count)
    want = whole_read(data, 0, count)
    if want is None:
        assert got is None
    else:
        assert got is not None and len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == object and a.tolist() == b.tolist()


def test_csvr004_read_table_of_a_file_over_many_chunks_equals_the_csv_module(monkeypatch):
    monkeypatch.setattr(csv_file, "_CHUNK_ROWS", 7)
    text = "A,B,C\r\n" + "".join(f'{i}," v{i} ","x\r\ny"\r\n' if i % 5 else f"{i},,\r\n" for i in range(100))
    table, problems = read_table(text.encode(), "csv", lambda *a: None)
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert problems == [] and table.names == ["A", "B", "C"]
    assert [table.column(j).tolist() for j in range(3)] == [[r[j].strip() for r in rows] for j in range(3)]
    assert table.numbers == list(range(1, 101))


AREAS = ["E92000001", "E06000014", "E06000001"]
PERIODS = ["2015", "2016", ""]
VALUES = ["12", "8", "8.0", "", "abc", "inf", "-inf", "nan", "1e999", "1_000", "0"]
COMPARED = ["Better 95%", "Worse 99.8%", "better", "WORSE", "Similar", "Higher", "lower", "", "Not compared"]
TRENDS = ["", "Increasing and getting better", "Decreasing and getting better", "Increasing and getting worse",
          "Decreasing and getting worse", "No significant change", "Increasing"]
ROW = st.tuples(*(st.sampled_from(c) for c in (AREAS, PERIODS, VALUES, COMPARED, TRENDS)))


@settings(max_examples=500, deadline=None)
@given(rows=st.lists(ROW, max_size=30))
def test_csvr005_polarity_of_columns_equals_polarity_of_row_by_row(rows):
    columns = [np.array([r[k] for r in rows], dtype=object) for k in range(5)]
    assert fingertips_meta.polarity_of_columns(*columns) == fingertips_meta.polarity_of(rows)


@given(values=st.lists(st.sampled_from(["", "a", "b", "2015", "2016", "B", "a "]), max_size=20))
def test_csvr006_distinct_keeps_first_seen_order(values):
    assert fingertips._distinct(np.array(values, dtype=object)) == [v for v in dict.fromkeys(values) if v]


@pytest.mark.parametrize("dropped", [(), ("Count", "Denominator", "Value note")])
def test_csvr007_mapped_rows_own_their_columns_and_the_table_lets_go(dropped):
    records = list(csv.reader(io.StringIO((DATA / "fingertips-27col-sex.csv").read_text("utf-8-sig"), newline="")))
    keep = [j for j, name in enumerate(records[0]) if name not in dropped]
    out = io.StringIO()
    csv.writer(out).writerows([r[j] for j in keep] for r in records)
    content = out.getvalue().encode("utf-8")
    table, _ = read_table(content, "csv", lambda *a: None)
    mapped = FingertipsFormat().to_observations(table, pd.DataFrame(columns=["id"]), filename="f.csv")
    frame = mapped.rows
    assert all(c is None for c in table._columns)  # the text table is not held with the rows
    assert len(table) == len(frame) and table.numbers == list(range(1, len(frame) + 1))
    for column in frame.columns:  # a column sharing its array with another (one blanks array) would change both
        before = {c: frame[c].tolist() for c in frame.columns}
        frame.loc[frame.index[0], column] = f"changed {column}"
        after = {c: frame[c].tolist() for c in frame.columns}
        assert [c for c in frame.columns if after[c] != before[c]] == [column]


FIELD = st.sampled_from(["", "a", " a", "a ", " ", "\t", "x\x1fy", "\x1f", "1,5", '"q"', "a\r\nb", "\r\n", " \n",
                         "b ,c", "é", "\u00a0v", "v\u2003"])


def written(records: list[list[str]], lineterminator: str, quoting: int) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=lineterminator, quoting=quoting).writerows(records)
    return out.getvalue()


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.lists(FIELD, min_size=3, max_size=3), min_size=1, max_size=8),
       lineterminator=st.sampled_from(["\n", "\r\n", "\r"]), quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       slice_bytes=st.sampled_from([1, 3, 1 << 20]))
def test_csvr008_cells_are_stripped_exactly_when_the_file_is_plain(rows, lineterminator, quoting, slice_bytes):
    text = written([["A", "B", "C"], *rows], lineterminator, quoting)
    content = text.encode("utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_file, "_SLICE", slice_bytes)
        table, problems = read_table(content, "csv", lambda *a: None)
        plain: list[bool] = []
        csv_file._same_records(content, 0, plain)  # checked on an ASCII file only
        # the reference: every cell stripped, as before the check
        mp.setattr(csv_file, "tidy_columns", lambda arrays, plain=False: table_module.tidy_columns(arrays))
        want, want_problems = read_table(content, "csv", lambda *a: None)
    assert (table.names, table.numbers, problems) == (want.names, want.numbers, want_problems)
    assert [table.column(j).tolist() for j in range(len(table.names))] == [want.column(j).tolist() for j in range(len(want.names))]
    if plain == [True]:  # the check may say False for nothing, never True when a cell needs stripping
        raw = list(csv.reader(io.StringIO(text, newline="")))[1:]
        assert all(f == f.strip() for r in raw for f in r)


@given(values=st.lists(st.sampled_from(["", "a", "b", "2015", "2016", "B", "a "]), max_size=30), data=st.data())
def test_csvr009_coded_distinct_equals_distinct_of_the_rows(values, data):
    column = np.array(values, dtype=object)
    ks = np.array(data.draw(st.lists(st.integers(0, max(len(values) - 1, 0)), max_size=len(values))) if values else [], dtype=np.intp)
    assert fingertips.Coded(column).distinct(ks) == [v for v in dict.fromkeys(column[ks].tolist()) if v]


def test_csvr010_new_indicators_checked_together_give_each_ones_problems_at_its_first_row():
    records = list(csv.reader(io.StringIO((DATA / "fingertips-27col-sex.csv").read_text("utf-8-sig"), newline="")))
    ids = list(dict.fromkeys(r[0] for r in records[1:]))
    for r in records[1:]:
        if r[0] == ids[-1]:
            r[1] = ""  # this indicator has no name: "is empty", at its first row
    records.insert(2, [ids[-1]] + records[1][1:])  # ... which now comes second in the file, its name blank too
    records[2][1] = ""
    out = io.StringIO()
    csv.writer(out).writerows(records)
    table, _ = read_table(out.getvalue().encode("utf-8"), "csv", lambda *a: None)
    numbers = list(table.numbers)
    mapped = FingertipsFormat().to_observations(table, pd.DataFrame(columns=["id"]), filename="f.csv")
    ids_of_rows = mapped.rows["indicator_id"].tolist()
    want = []  # as before: each new indicator checked alone, its problems at its first row
    for _, indicator in mapped.new_indicators.iterrows():
        first = numbers[ids_of_rows.index(indicator["id"])]
        for p in validate_indicators(pd.DataFrame([indicator.to_dict()], columns=list(INDICATOR_COLUMNS))):
            want.append(Problem(first, "Indicator Name" if p.column == "name" else "Indicator ID", p.message))
    assert want and mapped.problems == want
