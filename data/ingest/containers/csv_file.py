"""A CSV file as one Table: the records Python's csv module reads (excel dialect), read by pandas' C parser.

There is one way a CSV is read: pandas' C parser on UTF-8 bytes, then table.tidy_columns. The C
parser is several times faster than the csv module at a million rows and shares repeated cells,
but reads some files differently (a quote inside an unquoted field, a record longer than the
header, an empty first line). When that cannot be ruled out from the bytes, the file is first
rewritten as the csv module reads it (every field quoted, every record as wide as the widest),
which the C parser reads exactly, and the table is made from that.

Text may be UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252, one of them for the
whole file: a file whose rows mix UTF-8 and Windows-1252 is refused, naming the first row not in
the encoding the rest uses (one_encoding); line endings CRLF, LF, CR or mixed."""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from data.domain.schema import Problem
from data.ingest.containers import limits
from data.ingest.containers.table import Refused, Stage, Table, tidy_columns

NAME = "csv"


def read(content: bytes, stage: Stage) -> tuple[Table, list[Problem]]:
    data, start = utf8(content)
    arrays = None
    plain: list[bool] = []  # [True] when no field has white space to strip (checked on an ASCII file only)
    stats = _same_records(data, start, plain if data is content and not start else None)
    if stats is not None:
        if stats[0] - 1 > limits.MAX_ROWS:
            raise Refused(Problem(None, None, f"the file has more than {limits.MAX_ROWS:,} rows"))
        arrays = _parse(data, start, stats[0])  # None: the C parser read other records after all
    if arrays is None:
        plain = []
        data, start = as_the_csv_module_reads(data, start, stage), 0  # refuses as the csv module does
        stats = _record_stats(data)  # every quote where the csv module put it: parity tells
        arrays = _parse(data, start, stats[0]) if stats is not None else None
        if arrays is None:
            raise ValueError("the file rewritten as the csv module reads it did not read back the same")
    del data
    stage("reading", 0.9)
    return tidy_columns(arrays, plain=plain == [True])


# ---- text ------------------------------------------------------------------------------------

def decode(content: bytes) -> str:
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


def utf8(content: bytes) -> tuple[bytes, int]:
    """(data, start): the text decode reads is data[start:] as UTF-8. The file's own bytes when they
    already are UTF-8, start 3 past a BOM (not a 281 MB copy without its first 3 bytes)."""
    if not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        start = 3 if content.startswith(b"\xef\xbb\xbf") else 0
        if not start and content.isascii():
            return content, 0
        try:
            str(memoryview(content)[start:], "utf-8")  # only to check it: the text itself is not kept
            return content, start
        except UnicodeDecodeError:
            one_encoding(content, start)
    return decode(content).encode("utf-8"), 0


# Text that is UTF-8 beyond doubt: a Latin letter or sign as two bytes (é is C3 A9, £ is C2 A3), or
# punctuation and € as three (’ is E2 80 99). A Windows-1252 file has these only as mojibake (Ã©, â€™).
_UTF8_TEXT = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe2[\x80-\x82][\x80-\xbf]")
_NON_ASCII_LINE = re.compile(rb"[^\r\n]*[\x80-\xff][^\r\n]*")


def _line_breaks(content: bytes, begin: int, end: int) -> int:
    return content.count(b"\n", begin, end) + content.count(b"\r", begin, end) - content.count(b"\r\n", begin, end)


def one_encoding(content: bytes, start: int) -> None:
    """For a file (from `start`) that is not UTF-8 throughout: refuse it when some of its lines are UTF-8
    text all the same. Read as Windows-1252, their café would silently become cafÃ©; read as UTF-8, the
    other lines cannot be read. The problem names the first row in the encoding the rest does not use
    (UTF-8 when a BOM says so or most non-ASCII lines are UTF-8; else Windows-1252)."""
    if not _UTF8_TEXT.search(content, start):
        return
    utf8_lines: list[tuple[int, int]] = []  # (line number, where the line starts)
    other_lines: list[tuple[int, int]] = []
    line, at = 1, start
    for match in _NON_ASCII_LINE.finditer(content, start):
        line += _line_breaks(content, at, match.start())
        at = match.start()
        text = match.group()
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append((line, at))
            continue
        if _UTF8_TEXT.search(text):
            utf8_lines.append((line, at))
    if not utf8_lines or not other_lines:
        return
    if start or len(utf8_lines) >= len(other_lines):
        (first, offset), rest, this = other_lines[0], "UTF-8", "not UTF-8 (Windows-1252, perhaps)"
    else:
        (first, offset), rest, this = utf8_lines[0], "Windows-1252", "UTF-8"
    where = f"line {first:,} of the file" + (" (the header)" if first == 1 else "")
    raise Refused(Problem(_data_row(content, start, offset), None,
        f"the file mixes two text encodings: {where} is {this}, but the rest is {rest}, so its accented letters "
        f"and symbols would be misread (café as cafÃ©). Save the whole file as 'CSV UTF-8' and upload it again"))


def _data_row(content: bytes, start: int, at: int) -> int | None:
    """The data row (as the user counts them: blank ones too; None for the header) of the record the
    csv module reads byte `at` into; read only that far."""
    lines = Lines(str(memoryview(content)[start:at + 1], "latin-1"))  # a character a byte: offsets agree
    seen = -1  # the last record read whole
    try:
        for _record in csv.reader(lines):
            seen += 1
            if lines.position > at - start:
                break
    except csv.Error:
        seen += 1  # the record it could not read on
    return seen or None


# ---- when the C parser reads the csv module's records -----------------------------------------

def _same_records(data: bytes, start: int, plain: list[bool] | None = None) -> tuple[int, int] | None:
    """(records, longest record in bytes) when the C parser will read the csv module's records, else None.
    plain: see _record_stats."""
    if len(data) <= start or data.startswith((b"\n", b"\r"), start) or data.find(b"\x00", start) >= 0:
        return None  # an empty first line (the C parser skips it) or a NUL outside quotes
    stats = _record_stats(data, start, plain if plain is not None and data.isascii() else None)
    if stats is None or stats[1] > csv.field_size_limit():
        return None  # a field could be over csv's limit: the csv module says where
    return stats


_SLICE = 1 << 20  # bytes compared at a time (a test lowers it to cross slice edges)


def _positions(buf: np.ndarray, wanted: tuple[int, ...], counted: int | None = None,
               edges: bool = False) -> tuple[list[np.ndarray], int]:
    """Where each byte in `wanted` occurs (one sorted array each), and how often `counted` occurs, found in
    one pass slice by slice: a 1 MB slice stays in cache for every comparison, and no mask is as big as
    the file. edges: two more, where a comma or a byte under 32 stands next to a space (not sorted, maybe
    twice), and how many bytes are under 32 (as an array of one)."""
    step = _SLICE
    parts: list[list[np.ndarray]] = [[] for _ in (*wanted, *((0,) if edges else ()))]
    count = 0
    controls = 0
    for i in range(0, len(buf), step):
        piece = buf[i:i + step]
        for found, byte in zip(parts, wanted, strict=False):
            at = np.flatnonzero(piece == byte)
            if len(at):
                found.append(at + i if i else at)
        if counted is not None:
            count += int(np.count_nonzero(piece == counted))
        if edges:
            controls += int(np.count_nonzero(piece < 32))
            # A comma or a line end (or control) beside a space, as masks over the slice and one byte either
            # side: each byte of the slice has both its neighbours here (a gather at every space was 4x slower:
            # a file of names has a space in every few bytes).
            lo = i - 1 if i else 0
            ext = buf[lo:i + step + 1]
            spaces = ext == 32
            if spaces.any():
                beside = np.zeros(len(ext), dtype=bool)
                beside[1:] = spaces[:-1]
                beside[:-1] |= spaces[1:]
                beside &= (ext == 44) | (ext < 32)
                at = np.flatnonzero(beside)
                if len(at):
                    parts[-1].append(at + lo)
    if edges:
        parts.append([np.array([controls], dtype=np.intp)])
    empty = np.empty(0, dtype=np.intp)
    return [np.concatenate(found) if len(found) > 1 else (found[0] if found else empty) for found in parts], count


def _record_stats(data: bytes, start: int = 0, plain: list[bool] | None = None) -> tuple[int, int] | None:
    """(records as the csv module reads them, an upper bound on a record's length in bytes), or None
    when a quote stands where the csv module would take it literally (then parity does not tell).

    When every opening quote starts a field and every closing one ends it (or doubles a quote), the
    csv reader is inside a quoted field exactly where an odd number of quotes precede: a line end
    (\\r\\n, \\r or \\n) there belongs to the field, any other line end ends a record.

    plain (for an ASCII file): gets True appended when no field starts or ends with a byte str.strip could
    take off (a space or control character), so stripping the fields would change none: no byte under 32
    but line ends, and no space or line end after an opening quote, before a closing one, at either end
    of the file, or a space next to a comma or line end outside quotes. It may say False where stripping
    changes nothing (a tab anywhere, a doubled quote next to a space), never True where it changes some."""
    buf = np.frombuffer(data, dtype=np.uint8, offset=start)
    n = len(buf)
    wanted = tuple(byte for byte, text in ((34, b'"'), (10, b"\n")) if data.find(text, start) >= 0)
    has_cr = data.find(b"\r", start) >= 0
    found, crs = _positions(buf, wanted, 13 if has_cr else None, edges=plain is not None)
    edges, controls = (found[-2], int(found[-1][0])) if plain is not None else (None, 0)
    empty = np.empty(0, dtype=np.intp)
    quotes = found[wanted.index(34)] if 34 in wanted else empty
    lf = found[wanted.index(10)] if 10 in wanted else empty
    del found
    if len(quotes) % 2:
        return None
    opens, closes = quotes[0::2], quotes[1::2]
    before = buf[np.maximum(opens - 1, 0)]
    if not np.all((opens == 0) | (before == 44) | (before == 10) | (before == 13) | (before == 34)):
        return None
    after = buf[np.minimum(closes + 1, n - 1)]
    if not np.all((closes == n - 1) | (after == 44) | (after == 10) | (after == 13) | (after == 34)):
        return None
    del opens, closes, before, after
    if crs and crs == int(np.count_nonzero(buf[lf[lf > 0] - 1] == 13)):
        ends = lf  # every \r is the first half of a \r\n, which ends at its \n
    else:
        cr = _positions(buf, (13,))[0][0] if crs else empty
        cr = cr[buf[np.minimum(cr + 1, n - 1)] != 10] if len(cr) else cr  # \r\n ends at its \n
        ends = np.sort(np.concatenate((lf, cr))) if len(cr) and len(lf) else (lf if len(lf) else cr)
    if len(quotes):
        ends = ends[np.searchsorted(quotes, ends) % 2 == 0]  # outside quotes
    if plain is not None and n and edges is not None:
        # bytes under 32 other than line ends (a tab, a control character): stripping may take them off
        spaced = controls != len(lf) + crs
        spaced = spaced or bool(buf[0] <= 32) or bool(buf[n - 1] <= 32 and buf[n - 1] not in (10, 13))
        spaced = spaced or bool(len(quotes) and ((buf[np.minimum(quotes[0::2] + 1, n - 1)] <= 32).any()
                                                 or (buf[quotes[1::2] - 1] <= 32).any()))
        if not spaced and len(edges):
            spaced = bool((np.searchsorted(quotes, edges) % 2 == 0).any()) if len(quotes) else True
        plain.append(not spaced)
    records = len(ends) + (0 if len(ends) and ends[-1] == n - 1 else 1)
    bounds = np.concatenate(([-1], ends, [n]))
    return records, int(np.diff(bounds).max())


_CHUNK_ROWS = 100_000  # read_csv's rows at a time: each chunk's columns are copied into place and let go


def _parse(data: bytes, start: int, records: int) -> list[np.ndarray] | None:
    """Each column (header first) as an object array, or None when the C parser's rows are not the
    `records` records (it refuses a record longer than the first, or skipped one).

    Read in chunks into arrays made once (`records` long): read_csv's whole-file frame would hold every
    column twice for a moment (its chunks, then the frame's copy), ~200 MB more at a million rows,
    which the allocator then keeps."""
    stream = io.BytesIO(data)  # shares the bytes; read from `start`
    stream.seek(start)
    arrays: list[np.ndarray] = []
    at = 0
    try:
        with pd.read_csv(stream, header=None, dtype=object, keep_default_na=False, na_filter=False,
                         skip_blank_lines=False, engine="c", encoding="utf-8", quotechar='"', doublequote=True,
                         escapechar=None, comment=None, skipinitialspace=False, chunksize=_CHUNK_ROWS) as chunks:
            for chunk in chunks:
                if not arrays:
                    arrays = [np.empty(records, dtype=object) for _ in chunk.columns]
                if len(chunk.columns) != len(arrays) or at + len(chunk) > records:
                    return None
                for j, name in enumerate(chunk.columns):
                    arrays[j][at:at + len(chunk)] = chunk[name].to_numpy(dtype=object)
                at += len(chunk)
                del chunk
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    if at != records:
        return None
    if not all(isinstance(v, str) for a in arrays for v in a[:1]):
        return None
    return arrays


# ---- the csv module's reading, for the files the C parser would read differently ---------------

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


class Lines:
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


def csv_records(text: str, stage: Stage) -> list[list[str]]:
    """The csv module's records of `text`, header first, blank ones included. Refused past
    limits.MAX_ROWS data rows, or where the csv module cannot read on (naming the record)."""
    buffer = Lines(text)
    records: list[list[str]] = []
    total, next_report = max(1, len(text)), 0.1
    try:
        for number, fields in enumerate(csv.reader(buffer)):
            if number > limits.MAX_ROWS:
                raise Refused(Problem(None, None, f"the file has more than {limits.MAX_ROWS:,} rows"))
            records.append(fields)
            if number % 2000 == 0:
                done = buffer.position / total
                if done >= next_report:
                    stage("reading", done)
                    next_report = done + 0.1
    except csv.Error as exc:
        row = len(records) if records else None  # the record after the last one read
        if "field limit" in str(exc):
            raise Refused(Problem(row, None, f"a cell is longer than {csv.field_size_limit():,} characters")) from None
        raise Refused(Problem(row, None, f"could not read the file: {exc}")) from None
    return records


def as_the_csv_module_reads(data: bytes, start: int, stage: Stage) -> bytes:
    """data[start:] (UTF-8) rewritten as the csv module reads it: every field quoted, every record as
    wide as the widest, lines ended by \\n. The C parser reads this back record for record."""
    records = csv_records(str(memoryview(data)[start:], "utf-8"), stage)
    if not records:
        raise Refused(Problem(None, None, "the file is empty"))
    width = max(1, max(map(len, records)))
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerows(r if len(r) == width else r + [""] * (width - len(r)) for r in records)
    return out.getvalue().encode("utf-8")
