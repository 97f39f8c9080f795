"""The store: SQLite by default (instance/cyscp.sqlite3, WAL), PostgreSQL when DATABASE_URL is set.

Every publish or restore is one transaction that writes a new immutable
version and moves `head` with a compare-and-set, so a reader (any worker,
any host) sees the old version or the new one, and two publishes at once
either land in order or one is told to retry.
"""
from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import and_, create_engine, event, func, insert, or_, select, update
from sqlalchemy.engine import Engine, make_url

from data.domain.changes import classify
from data.domain.dataset import BUNDLED, SORT_KEY, Dataset, build_from_typed, combined_text, expanded, load_bundled
from data.domain.schema import INDICATOR_COLUMNS, NUMERIC_OBSERVATION_COLUMNS, OBSERVATION_COLUMNS, OBSERVATION_KEY
from data.domain.status import indicator_status
from data.settings import DEFAULT_INSTANCE
from data.storage import snapshot
from data.storage.head_reader import HeadReader
from data.storage.migrate import upgrade
from data.storage.tables import data_versions, head, indicators, observations

log = logging.getLogger(__name__)

INSTANCE = DEFAULT_INSTANCE  # the default store's folder when a caller names none (Settings.instance)
_CHUNK = 5000


BUSY_TIMEOUT = 5.0  # seconds a SQLite writer waits for the write lock before "database is locked" (a 503)
SEEDED_SUFFIX = ".seeded"  # marker next to a SQLite database file, written once the store holds a version


class PublishConflict(RuntimeError):
    """Someone published since this preview was made: preview again, then publish."""


def store_fault(exc: BaseException) -> str | None:
    """A clear sentence for a store fault a client should retry later (a 503), or None for any other error:
    the write lock held too long ("database is locked", PostgreSQL's lock timeouts) or a full disk."""
    orig = getattr(exc, "orig", exc)
    text = str(orig).lower()
    state = getattr(orig, "sqlstate", None) or ""
    if "database is locked" in text or "database table is locked" in text or state in ("55P03", "40P01"):
        return "the store is busy (another change holds its lock); nothing was changed: try again in a moment"
    if "disk is full" in text or "disk full" in text or state.startswith("53"):
        return "the store cannot save: its disk is full (or out of resources); nothing was changed: tell the administrator"
    if "readonly database" in text or "read-only" in text or state == "25006":
        return "the store is read-only; nothing was changed: tell the administrator"
    return None


class StoreMissing(RuntimeError):
    """The SQLite database file is gone but its marker shows a store existed: refuse to seed a new one."""


def database_url(url: str | None = None, instance: Path = INSTANCE) -> str:
    """SQLAlchemy's URL for `url` (Settings.database_url); none: SQLite in the instance folder (made 0700)."""
    if not url:
        private_folder(instance)
        return f"sqlite:///{instance / 'cyscp.sqlite3'}"
    # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants a driver too.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def private_folder(folder: Path) -> None:
    """Create the folder readable by its owner only (0700); one that exists is tightened to 0700 too."""
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        folder.chmod(0o700)


def sqlite_file(url: str) -> Path | None:
    """The database file of an on-disk SQLite URL; None for PostgreSQL and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if str(parsed.database).startswith("file:"):
        return None
    return Path(str(parsed.database))


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and not os.statvfs(path).f_flag & os.ST_RDONLY


def seeded_marker(db: Path) -> Path:
    return db.with_name(db.name + SEEDED_SUFFIX)


def prepare_sqlite_file(db: Path) -> None:
    """Before the first connection: refuse when the database is gone but its marker says a store was there
    (a new empty one would be seeded and served, losing every publish, user and token); otherwise create the
    file 0600 (SQLite gives its -wal and -shm files the database file's permissions) and tighten an older one."""
    if not db.exists():
        marker = seeded_marker(db)
        if marker.exists():
            raise StoreMissing(
                f"the store's database {db} is missing, but {marker} shows a store was created there before: "
                "refusing to start with a new, empty one. Put the database file back (from a backup), or, to start "
                f"afresh on purpose, delete {marker} too.")
        db.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(db, os.O_CREAT | os.O_WRONLY, 0o600))
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except FileNotFoundError:
            pass


def make_engine(url: str | None = None, *, writer: bool = True) -> Engine:
    """An engine on the store. SQLite writers take the write lock at BEGIN; readers (writer=False) do not,
    so with WAL a page request reads the last committed version while a long publish is running."""
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _):
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
            _wal(cur)  # readers never block the writer
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        if writer:
            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn):
                # Take the write lock at BEGIN so two publishers serialise instead of deadlocking.
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _wal(cur, wait: float = 30.0) -> None:
    """PRAGMA journal_mode=WAL, waiting for the file if another connection holds a lock on it.

    SQLite answers "database is locked" at once here (no busy handler for a journal-mode
    change): on a fresh store, the second gunicorn worker connects while the first is still
    migrating and seeding it, and would otherwise fail to boot, taking the master down.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class _CompactColumns:
    """Observation chunks gathered column by column: text as int32 codes into one list of distinct values
    per column (NULL: -1), numbers as float64; the text of a million rows is never held as pointers."""

    def __init__(self):
        self.codes: dict[str, list] = {c: [] for c in OBSERVATION_COLUMNS if c not in NUMERIC_OBSERVATION_COLUMNS}
        self.index: dict[str, dict] = {c: {} for c in self.codes}
        self.numbers: dict[str, list] = {c: [] for c in NUMERIC_OBSERVATION_COLUMNS}

    def add(self, chunk: pd.DataFrame) -> None:
        for col, parts in self.codes.items():
            codes, uniques = pd.factorize(chunk[col])  # NULL -> -1
            index = self.index[col]
            known = np.array([index.setdefault(u, len(index)) for u in uniques] + [-1], dtype=np.int32)
            parts.append(known[codes])  # code -1 takes the last entry: -1
        for col, parts in self.numbers.items():
            parts.append(pd.to_numeric(chunk[col], errors="coerce").astype("float64").to_numpy())

    def frame(self) -> pd.DataFrame:
        out: dict[str, Any] = {}
        for col in OBSERVATION_COLUMNS:
            if col in self.numbers:
                out[col] = np.concatenate(self.numbers[col]) if self.numbers[col] else np.array([], dtype="float64")
            else:
                codes = np.concatenate(self.codes[col]) if self.codes[col] else np.array([], dtype=np.int32)
                out[col] = pd.Categorical.from_codes(codes, categories=pd.Index([_fresh(v) for v in self.index[col]], dtype=object))
        return pd.DataFrame(out)


def _fresh(value):
    """A new copy of a string read from the database. The first copy sits in an allocator arena among the
    million short-lived objects of its chunk, and one survivor keeps its whole 1 MB arena (at 1M rows
    ~1,000 values pinned ~85 arenas: +80 MB RSS); a copy made once the chunks are gone lands with the
    app's long-lived objects."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass") if isinstance(value, str) else value


def _malloc_settings() -> None:
    """Blocks of _MMAP_THRESHOLD or more straight from mmap, so freeing one hands it back at once. With glibc's
    default (a threshold that rises to 32 MB after the first big free) the arrays of a load and every 1M-row
    temporary of a request (a mask, a filtered copy) land on the heap, and the heap stays at its high-water
    mark (~+170 MB at 1M rows). Set when this module is imported, before anything big is allocated:
    a heap that has grown once serves later big blocks from its free chunks whatever the threshold."""
    global _MALLOPT_DONE
    if _MALLOPT_DONE:
        return
    _MALLOPT_DONE = True
    try:
        ctypes.CDLL("libc.so.6").mallopt(-3, _MMAP_THRESHOLD)  # M_MMAP_THRESHOLD (fixed: no dynamic raise)
    except (OSError, AttributeError):
        pass


def release_memory() -> None:
    """Hand freed heap back to the OS (glibc's malloc_trim): after a reload or an upload, a worker's
    RSS otherwise stays at its peak. Does nothing where there is no glibc."""
    global _MALLOC_TRIM
    _malloc_settings()
    if _MALLOC_TRIM is None:
        try:
            _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM: Any = None  # glibc's malloc_trim once looked up; False where there is none
_MALLOPT_DONE = False
_MMAP_THRESHOLD = 128 << 10  # 128 KB: glibc's own starting value
_malloc_settings()
_READ_CHUNK = 50_000


def _pending_moves(now: Dataset, target: Dataset) -> dict[str, str]:
    """Pending flags (reporting year 2023/24) a restore from `now` to `target` clears and opens again."""
    before, after = indicator_status(now)["pending"], indicator_status(target)["pending"]  # a pending flag (or overdue)
    was = set(before.index[before.astype(bool)])
    will = set(after.index[after.astype(bool)])
    return {"pending_cleared": " ".join(sorted(was - will)), "pending_reopened": " ".join(sorted(will - was))}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _current(table, version: int):
    return and_(table.c.valid_from <= version, or_(table.c.valid_to.is_(None), table.c.valid_to > version))


def _records(frame: pd.DataFrame, columns) -> list[dict]:
    columns = list(columns)
    out = frame.reindex(columns=columns).astype(object)  # Python scalars, as to_dict("records") gives
    out = out.where(out.notna(), None)
    return [dict(zip(columns, row, strict=True)) for row in out.itertuples(index=False, name=None)]


def _row_tuples(frame: pd.DataFrame, columns, version: int, start: int, stop: int, gaps: dict | None = None) -> list[tuple]:
    """Rows start..stop as tuples of Python scalars, missing values as None (the values _records gives).
    gaps: column -> may it have a missing value (worked out once per frame by _insert_frame)."""
    return list(zip(*_column_values(frame, columns, version, start, stop, gaps), strict=True))


def _column_values(frame: pd.DataFrame, columns, version: int, start: int, stop: int, gaps: dict | None = None) -> list[list]:
    """_row_tuples column by column: one list of Python scalars per column, then the version's."""
    part = frame.iloc[start:stop]
    cols: list[list[Any]] = []
    for col in columns:
        if col not in part.columns:
            cols.append([None] * len(part))
            continue
        series = part[col]
        if series.dtype == "float64":  # Python floats straight from the array, NaN -> None
            numbers = series.to_numpy()
            values = numbers.tolist()
            if gaps is None or gaps.get(col, True):
                for k in np.flatnonzero(np.isnan(numbers)).tolist():
                    values[k] = None
            cols.append(values)
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):  # each category's object by code; code -1 (missing) -> None
            categories = series.cat.categories
            by_code = np.empty(len(categories) + 1, dtype=object)
            by_code[:-1] = categories.to_numpy(dtype=object)  # the last slot (code -1) stays None
            cols.append(by_code[series.cat.codes.to_numpy()].tolist())
            continue
        objects = series.to_numpy(dtype=object)  # as astype(object) gives
        if gaps is None or gaps.get(col, True):
            missing = pd.isna(objects)
            if missing.any():
                objects = objects.copy()
                objects[missing] = None
        cols.append(objects.tolist())
    cols.append([version] * len(part))
    return cols


def _insert_frame(conn, table, frame: pd.DataFrame, columns, version: int) -> None:
    """INSERT the frame's rows (with valid_from = version) through the DBAPI cursor of conn's own
    connection, so in the same transaction: executemany with tuples, not SQLAlchemy's per-row dicts;
    on PostgreSQL (psycopg) a COPY of the same tuples."""
    # Which text columns have a missing value at all: the others need no per-chunk check.
    gaps = {c: frame[c].dtype == "float64" or bool(frame[c].isna().any()) for c in columns if c in frame.columns}
    cursor = conn.connection.cursor()
    try:
        with _gc_paused():
            _send_rows(conn, cursor, table, frame, columns, version, gaps)
    finally:
        cursor.close()


@contextlib.contextmanager
def _gc_paused():
    """No cyclic garbage collection while a million short-lived parameter lists are made and sent: each
    collection would walk every tracked object of the process, for nothing (they are freed by their
    counts). A quarter of the SQLite insert's CPU at 1M rows. Restored as it was, whatever happens."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _send_rows(conn, cursor, table, frame: pd.DataFrame, columns, version: int, gaps: dict) -> None:
    """_insert_frame's rows through the cursor: COPY on PostgreSQL (psycopg), executemany elsewhere."""
    names = list(columns) + ["valid_from"]
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql" and hasattr(cursor, "copy"):
        # COPY ... FROM STDIN: one stream instead of a million bound statements (None -> NULL, a float
        # as its repr, so the same values as the INSERT stores).
        with cursor.copy(f"COPY {quote(table.name)} ({', '.join(quote(c) for c in names)}) FROM STDIN") as copy:
            for start in range(0, len(frame), _INSERT_CHUNK):
                for row in _row_tuples(frame, columns, version, start, start + _INSERT_CHUNK, gaps):
                    copy.write_row(row)
        return
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in names)}) VALUES "
    if conn.dialect.name != "sqlite":
        for start in range(0, len(frame), _INSERT_CHUNK):
            cursor.executemany(sql + f"({', '.join([marker] * len(names))})",
                               _row_tuples(frame, columns, version, start, start + _INSERT_CHUNK, gaps))
        return
    _send_sqlite(cursor, sql, frame, columns, version, gaps)


def _send_sqlite(cursor, sql: str, frame: pd.DataFrame, columns, version: int, gaps: dict) -> None:
    """SQLite: `per` rows a statement (_sqlite_rows_a_statement), and a value shared by a statement's rows bound
    once. Most of the insert's Python time is binding values one by one (~90 ns each), so each statement of
    `per` rows names a column that holds one value in all its rows (the version always; in an upload the
    indicator, its source and period type, a CI column missing throughout) by one numbered parameter that
    every row refers to. Which columns those are is read from the Categoricals' codes (Store.publish hands
    the changed rows over with their text as codes: _coded) and the floats' NaNs, per statement; runs of
    statements alike in that share one executemany. Rows are sent in the frame's order, as before."""
    width = len(columns) + 1
    per = _sqlite_rows_a_statement(width)
    sqls: dict[tuple[bool, ...], str] = {}
    keys = _alike_keys(frame, columns)
    for start in range(0, len(frame), _INSERT_CHUNK):
        stop = min(start + _INSERT_CHUNK, len(frame))
        cols = _column_values(frame, columns, version, start, stop, gaps)
        count = stop - start
        whole = count - count % per if per > 1 else 0
        if whole:
            same = _same_in_statement(keys, start, start + whole, per)  # (statements, width)
            shapes = [tuple(row) for row in same.tolist()]
            batch = 0
            for key, run in itertools.groupby(shapes):  # runs of statements sharing the same columns
                end = batch + len(list(run))
                if key not in sqls:
                    sqls[key] = sql + _shared_values(key, per)
                shared = [j for j in range(width) if key[j]]
                varying = [cols[j] for j in range(width) if not key[j]]
                first, last = batch * per, end * per
                flat: list[Any] = [None] * ((last - first) * len(varying))
                for j, values in enumerate(varying):
                    flat[j::len(varying)] = values[first:last]
                step = per * len(varying)
                cursor.executemany(sqls[key], [[cols[j][first + i * per] for j in shared] + flat[i * step:(i + 1) * step]
                                               for i in range(end - batch)])
                batch = end
        if whole < count:
            one = f"({', '.join(['?'] * width)})"
            cursor.executemany(sql + one, list(zip(*(values[whole:] for values in cols), strict=True)))


def _sqlite_rows_a_statement(width: int) -> int:
    """Rows a multi-row INSERT carries: _SQLITE_ROWS_A_STATEMENT, within the variables a statement may bind
    (SQLite 3.32+ allows 32766, older ones 999)."""
    limit = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
    return max(1, min(_SQLITE_ROWS_A_STATEMENT, limit // width))


def _shared_values(shared: tuple[bool, ...], per: int) -> str:
    """The VALUES list of `per` rows with numbered parameters: first one for each shared column (bound once,
    named by every row), then each row's own values, row after row."""
    order = [j for j, s in enumerate(shared) if s]
    varying = [j for j, s in enumerate(shared) if not s]
    number = {j: k + 1 for k, j in enumerate(order)}
    rows = []
    for r in range(per):
        base = len(order) + r * len(varying)
        for k, j in enumerate(varying):
            number[j] = base + k + 1
        rows.append("(" + ", ".join(f"?{number[j]}" for j in range(len(shared))) + ")")
    return ", ".join(rows)


def _alike_keys(frame: pd.DataFrame, columns) -> list[np.ndarray | None]:
    """Per column (then the version), once per frame, an array whose entries are equal where the stored values
    are: a Categorical's codes (missing: -1, all alike), a float column's NaNs (True: all None); None for a
    column whose rows count as all different; a column the frame lacks is NULL throughout."""
    keys: list[np.ndarray | None] = []
    for col in columns:
        if col not in frame.columns:
            keys.append(np.zeros(len(frame), dtype=np.int8))
            continue
        series = frame[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            keys.append(series.cat.codes.to_numpy())
        elif series.dtype == "float64":
            numbers = series.to_numpy()
            keys.append(np.where(np.isnan(numbers), -1, np.arange(len(numbers))))  # only NaNs are alike
        else:
            keys.append(None)
    keys.append(np.zeros(len(frame), dtype=np.int8))  # the version
    return keys


def _same_in_statement(keys: list[np.ndarray | None], start: int, stop: int, per: int) -> np.ndarray:
    """For each statement of `per` rows in start..stop (stop - start a multiple of per) and each column (then
    the version): does the column hold one value in all the statement's rows (_alike_keys)?"""
    statements = (stop - start) // per
    same = np.zeros((statements, len(keys)), dtype=bool)
    for j, key in enumerate(keys):
        if key is not None:
            block = key[start:stop].reshape(statements, per)
            same[:, j] = (block == block[:, :1]).all(axis=1)
    return same


_INSERT_CHUNK = 50_000  # a multiple of _SQLITE_ROWS_A_STATEMENT
_SQLITE_ROWS_A_STATEMENT = 200


class Store:
    def __init__(self, url: str | None = None, instance: Path = INSTANCE):
        self.url = database_url(url, instance)
        self.instance = Path(instance)
        # Columnar snapshots of served versions (data/storage/snapshot.py): per host, rebuilt from the store when absent.
        self.snapshots = self.instance / "snapshots"
        self.file = sqlite_file(self.url)
        if self.file is not None:
            prepare_sqlite_file(self.file)
        self.engine = make_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # Every request asks for the head version: on SQLite it must not queue behind a writer's lock.
        self.reader = make_engine(self.url, writer=False) if self.is_sqlite else self.engine
        self._head = HeadReader(self.reader)

    def dispose(self) -> None:
        """Close every connection (SQLite then folds its WAL into the file)."""
        self._head.close()
        self.reader.dispose()
        self.engine.dispose()

    # -- set-up -----------------------------------------------------------------
    def setup(self, seed_folder: Path = BUNDLED) -> None:
        """Migrate to the latest schema; on an empty store, seed version 1 from the bundled CSVs."""
        upgrade(self.engine)
        if self.head_version() is None:
            self._seed(load_bundled(seed_folder))
        if self.file is not None and not seeded_marker(self.file).exists():
            # Written once the store holds a version (a store made before the marker existed gets it now).
            seeded_marker(self.file).write_text(
                "This folder's SQLite store was created and seeded; the app refuses to start if the database is\n"
                "missing while this file is here. Delete it together with the database to start a new store.\n")
        from data.storage.topics import seed_topics  # spotlight topics: seeded once from data/bundled/topics.csv

        seed_topics(self.engine)
        from data.storage.area_groups import seed_area_groups  # comparator groups: seeded once from data/bundled/area_groups.csv

        seed_area_groups(self.engine)

    def _seed(self, dataset: Dataset) -> None:
        with self.engine.begin() as conn:
            if not self.is_sqlite:  # SQLite already holds the write lock from BEGIN IMMEDIATE
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(20240402)")
            if conn.execute(select(head.c.version)).first() is not None:
                return  # another worker seeded first
            conn.execute(insert(data_versions).values(
                version=1, created_at=_now(), created_by="bundled data", action="seed",
                file_name="data/bundled", rows_added=len(dataset.observations), rows_changed=0,
                rows_unchanged=0, rows_removed=0, new_indicators=len(dataset.indicators),
            ))
            self._insert_rows(conn, dataset.indicators, dataset.observations, 1)
            conn.execute(insert(head).values(id=1, version=1))

    # -- reading ----------------------------------------------------------------
    def head_version(self) -> int | None:
        return self._head.version()

    def health(self) -> tuple[str, str]:
        """("ok", "") when the store answers and takes writes; else ("unavailable" | "read-only", why)."""
        if self.file is not None and not self.file.exists():
            return "unavailable", f"the database file {self.file.name} is missing"
        try:
            version = self.head_version()
            if self.is_sqlite:
                read_only = self.file is not None and not all(_writable(p) for p in (self.file, self.file.parent))
            else:
                with self.reader.connect() as conn:
                    ro, recovery = conn.exec_driver_sql(
                        "SELECT current_setting('transaction_read_only'), pg_is_in_recovery()").one()
                read_only = ro == "on" or bool(recovery)
        except Exception as exc:  # noqa: BLE001 - any failure to read is "unavailable", with its first line
            return "unavailable", "the store cannot be read: " + (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if version is None:
            return "unavailable", "the store holds no data version"
        if read_only:
            return "read-only", "the store is read-only: publishing, sign-in and uploads cannot be saved"
        return "ok", ""

    def load_dataset(self, version: int | None = None, *, compact: bool = False) -> Dataset:
        """One version (default: head), streamed from the store chunk by chunk. compact: text columns as
        Categoricals (what a worker serves: dataset.prepare_observations(compact=True)); else plain `str`."""
        _malloc_settings()
        # The reader: versions are immutable, so a load needs no lock and never waits for a publish.
        with self.reader.connect() as conn:
            version = version or conn.execute(select(head.c.version)).scalar_one()
            meta = conn.execute(select(data_versions).where(data_versions.c.version == version)).mappings().one()
            updated = f"{meta['created_at']:%d %B %Y %H:%M} UTC (version {version}, {meta['action']})"
            folder = self.snapshot_folder(version, meta)
            if compact:
                found = snapshot.read(folder, version, updated)
                if found is not None:
                    return found
            dataset = self.load_dataset_in(conn, version, compact=compact)
        if compact:
            self._write_snapshot(folder, dataset)
        return replace(dataset, updated=updated)

    def snapshot_folder(self, version: int, meta) -> Path:
        """Where this host keeps the snapshot of `version` (meta: its data_versions row)."""
        created = meta["created_at"]
        key = snapshot.snapshot_key(make_url(self.url).render_as_string(hide_password=True), version,
                                    created.isoformat() if hasattr(created, "isoformat") else str(created),
                                    meta.get("sha256"), str(meta["action"]))
        return snapshot.snapshot_folder(self.snapshots, key)

    @staticmethod
    def _write_snapshot(folder: Path, dataset: Dataset) -> None:
        """A snapshot is only a faster way to the same rows: failing to write one (a full or read-only disk)
        costs the next load its speed, never a request or a publish."""
        try:
            snapshot.write(folder, dataset)
        except OSError:
            pass

    def _version_in(self, conn, version: int, *, compact: bool = False) -> Dataset:
        """load_dataset_in(conn, version, compact=compact), from the version's snapshot when this host
        has one: the same frames (a snapshot equals its version, and expanded() is what compact=False adds)
        without streaming a million rows from the store inside a publish's or a restore's transaction."""
        meta = conn.execute(select(data_versions).where(data_versions.c.version == version)).mappings().one()
        found = snapshot.read(self.snapshot_folder(version, meta), version)
        if found is None:
            return self.load_dataset_in(conn, version, compact=compact)
        return found if compact else replace(found, observations=expanded(found.observations))

    def _snapshot_new_version(self, conn, new: int, existing: Dataset | None = None, changed: pd.DataFrame | None = None) -> None:
        """Before head moves to `new` (in its transaction): write its snapshot, so no worker that sees the
        new head has to stream it from the store.

        After a publish the new version is built from what the publish holds (the current version's rows
        less those it closed, plus the rows it wrote: _published); else, or when that build could order two
        rows differently from a load (two rows alike in every sort key), it is read back from the store."""
        meta = conn.execute(select(data_versions).where(data_versions.c.version == new)).mappings().one()
        dataset = None
        if existing is not None and changed is not None:
            dataset = _published(existing, changed, self._catalogue_rows(conn, new), new)
        if dataset is None:
            dataset = self.load_dataset_in(conn, new, compact=True)
        self._write_snapshot(self.snapshot_folder(new, meta), dataset)

    def versions(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(data_versions).order_by(data_versions.c.version.desc())).mappings().all()
        return [{**r, "created_at": r["created_at"].isoformat()} for r in rows]

    # -- writing ----------------------------------------------------------------
    def _insert_rows(self, conn, cat: pd.DataFrame, obs: pd.DataFrame, version: int) -> None:
        if len(cat):
            _insert_frame(conn, indicators, cat, INDICATOR_COLUMNS, version)
        if len(obs):
            _insert_frame(conn, observations, obs, OBSERVATION_COLUMNS, version)

    def _close_keys(self, conn, table, key_cols, keys: pd.DataFrame, version: int) -> None:
        """End the current rows matching these keys at `version` (they stay readable for older versions)."""
        if keys.empty:
            return
        current = pd.read_sql(select(table.c.row_id, *[table.c[c] for c in key_cols]).where(table.c.valid_to.is_(None)), conn)
        # Only keys whose first part (the indicator) is current can match: a million new rows need no merge.
        first = key_cols[0]
        keys = keys[keys[first].isin(current[first].unique()).to_numpy(dtype=bool)]
        doomed = current.merge(keys[list(key_cols)].drop_duplicates(), on=list(key_cols))["row_id"].tolist()
        for i in range(0, len(doomed), _CHUNK):
            conn.execute(update(table).where(table.c.row_id.in_(doomed[i:i + _CHUNK])).values(valid_to=version))

    def _begin_version(self, conn, base_version: int | None) -> int:
        if not self.is_sqlite:  # wait BUSY_TIMEOUT for another publish's lock, as SQLite does, then a 503
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(BUSY_TIMEOUT * 1000)}")
        current = conn.execute(select(head.c.version).where(head.c.id == 1).with_for_update()).scalar()
        if base_version is not None and current != base_version:
            raise PublishConflict(f"the data changed (now version {current}) since this preview (version {base_version}); preview again, then publish")
        return current

    def _move_head(self, conn, current: int, new: int) -> None:
        moved = conn.execute(update(head).where(and_(head.c.id == 1, head.c.version == current)).values(version=new)).rowcount
        if moved != 1:
            raise PublishConflict("another publish landed at the same moment; preview again, then publish")

    def publish(self, rows: pd.DataFrame, new_indicators: pd.DataFrame, *, user: str, file_name: str, sha256: str, base_version: int | None,
                pending_cleared: Sequence[str] = (), fingertips_ids: Mapping[str, str] | None = None) -> int:
        """Upsert validated rows (and create new indicators) as a new version; returns its number.
        pending_cleared: the pending flags the preview found this clears, for the version history.
        fingertips_ids: catalogue indicator id -> Fingertips id (an upload's indicator mapped onto it); set on
        each that has none yet and no other indicator holds (recorded in the history's fingertips_ids_set)."""
        with self.engine.begin() as conn:
            current = self._begin_version(conn, base_version)
            new = current + 1
            held = self._version_in(conn, current, compact=True)  # the new version is built from its codes (_published)
            existing = replace(held, observations=expanded(held.observations))
            catalogue, ids_set = (_with_fingertips_ids(self._catalogue_rows(conn, current), fingertips_ids) if fingertips_ids
                                  else (None, {}))
            kinds = classify(existing.observations, rows)
            changed = rows[kinds != "unchanged"]
            conn.execute(insert(data_versions).values(
                version=new, created_at=_now(), created_by=user, action="publish", file_name=file_name, sha256=sha256,
                rows_added=int((kinds == "added").sum()), rows_changed=int((kinds == "changed").sum()),
                rows_unchanged=int((kinds == "unchanged").sum()), rows_removed=0, new_indicators=len(new_indicators),
                pending_cleared=" ".join(pending_cleared), fingertips_ids_set=" ".join(f"{i}={f}" for i, f in ids_set.items()),
            ))
            if catalogue is not None and ids_set:  # the catalogue again, in its stored order, with the ids set (new indicators follow it)
                conn.execute(update(indicators).where(_current(indicators, current)).values(valid_to=new))
                _insert_frame(conn, indicators, catalogue, INDICATOR_COLUMNS, new)
            self._close_keys(conn, observations, OBSERVATION_KEY, changed, new)
            changed = _coded(changed)  # text as codes once: the insert reads them, and so does the new version's build
            self._insert_rows(conn, new_indicators, changed, new)
            del existing
            self._snapshot_new_version(conn, new, held, changed)
            self._move_head(conn, current, new)
        return new

    def catalogue(self, version: int | None = None) -> pd.DataFrame:
        """The catalogue (INDICATOR_COLUMNS, stored order, plain columns) of a version (default: head)."""
        with self.reader.connect() as conn:
            version = version or conn.execute(select(head.c.version)).scalar_one()
            return self._catalogue_rows(conn, version)

    def publish_catalogue(self, build, *, user: str, description, base_version: int | None = None) -> int | None:
        """A catalogue change as a new version (action "catalogue"): the observations stay as they are.

        build(catalogue) gets the head version's catalogue (as Store.catalogue gives it) inside the write
        transaction and returns the new one (same columns; the rows are stored in its order), or None for no
        change (then nothing is written and None is returned). Whatever build raises rolls everything back.
        description: the history's text for it (its "file" column), or a function giving it once build has run.
        base_version: the version the change was based on (PublishConflict if the head moved since)."""
        with self.engine.begin() as conn:
            current = self._begin_version(conn, base_version)
            new_catalogue = build(self._catalogue_rows(conn, current))
            if new_catalogue is None:
                return None
            new = current + 1
            text = description() if callable(description) else str(description)
            conn.execute(insert(data_versions).values(
                version=new, created_at=_now(), created_by=user, action="catalogue", file_name=text[:1000],
                rows_added=0, rows_changed=0, rows_unchanged=0, rows_removed=0, new_indicators=0,
            ))
            conn.execute(update(indicators).where(_current(indicators, current)).values(valid_to=new))
            _insert_frame(conn, indicators, new_catalogue.reset_index(drop=True), INDICATOR_COLUMNS, new)
            self._move_head(conn, current, new)
        return new

    def restore(self, version: int, *, user: str) -> int:
        """Make the data of an earlier version current again, as a new version.

        Works whatever came after `version` (indicators added, values changed, other restores): the
        observations that differ are closed and put back; the catalogue, when it differs at all (an
        indicator added or gone, or the order changed), is replaced by the earlier version's rows in
        their stored order, so the restored version serves exactly the frames `version` served.
        Spotlight topics and presenter notes are not versioned: a restore leaves them as they are."""
        with self.engine.begin() as conn:
            if conn.execute(select(data_versions.c.version).where(data_versions.c.version == version)).first() is None:
                raise LookupError(f"there is no version {version}")
            current = self._begin_version(conn, None)
            new = current + 1
            target = self._version_in(conn, version)
            now = self._version_in(conn, current)
            key = list(OBSERVATION_KEY)
            kinds = classify(now.observations, target.observations)
            put_back = target.observations[kinds != "unchanged"]
            gone = now.observations[key].merge(target.observations[key], on=key, how="left", indicator=True)
            gone = gone[gone["_merge"] == "left_only"]
            cat_target, cat_now = self._catalogue_rows(conn, version), self._catalogue_rows(conn, current)
            same_catalogue = cat_target.equals(cat_now)
            conn.execute(insert(data_versions).values(
                version=new, created_at=_now(), created_by=user, action="restore", restored_from=version,
                rows_added=int((kinds == "added").sum()), rows_changed=int((kinds == "changed").sum()),
                rows_unchanged=int((kinds == "unchanged").sum()), rows_removed=len(gone),
                new_indicators=int((~cat_target["id"].isin(cat_now["id"])).sum()),
                **_pending_moves(now, target),
            ))
            self._close_keys(conn, observations, OBSERVATION_KEY, pd.concat([put_back[key], gone[key]], ignore_index=True), new)
            if not same_catalogue:
                conn.execute(update(indicators).where(_current(indicators, current)).values(valid_to=new))
            self._insert_rows(conn, cat_target if not same_catalogue else cat_target.iloc[:0], put_back.reset_index(drop=True), new)
            self._snapshot_new_version(conn, new)
            self._move_head(conn, current, new)
        return new

    @staticmethod
    def _catalogue_rows(conn, version: int) -> pd.DataFrame:
        """The indicator rows of a version as stored (plain columns, stored order; no index by id)."""
        query = select(*[indicators.c[c] for c in INDICATOR_COLUMNS]).where(_current(indicators, version)).order_by(indicators.c.row_id)
        return pd.read_sql(query, conn).reset_index(drop=True)

    def load_dataset_in(self, conn, version: int, *, compact: bool = False) -> Dataset:
        cat = pd.read_sql(select(*[indicators.c[c] for c in INDICATOR_COLUMNS]).where(_current(indicators, version)).order_by(indicators.c.row_id), conn)
        query = select(*[observations.c[c] for c in OBSERVATION_COLUMNS]).where(_current(observations, version))
        # Chunk by chunk straight into codes: no frame of a million pointers per column, ever (a million rows
        # read at once take ~1.4 GB for a moment, every cell its own str, every row a tuple).
        columns, chunk = _CompactColumns(), None
        for chunk in pd.read_sql(query, conn, chunksize=_READ_CHUNK):
            columns.add(chunk)
        del chunk  # every chunk gone before the distinct values are copied (see _fresh)
        raw = columns.frame()
        del columns
        return build_from_typed(cat, raw, version, compact=compact)

    def count_rows(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(observations)).scalar_one()


def _coded(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each text observation column of `str` dtype as a Categorical of its own values, in
    the order they first occur (pd.factorize of its objects: the same codes and values combined_text works
    out for it, so the new version's build reads them instead of factorizing again; the insert takes each
    row's value by code and finds the values a statement's rows share from them). The values themselves
    are the column's own objects, missing ones as missing: the rows stored are the same."""
    out: dict[str, Any] = {}
    for name in frame.columns:
        column = frame[name]
        if name in _TEXT_OBSERVATION_COLUMNS and isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "python":
            codes, uniques = pd.factorize(column.to_numpy(dtype=object))  # missing -> -1
            out[name] = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object), validate=False)
        else:
            out[name] = column
    return pd.DataFrame(out, index=frame.index, columns=frame.columns, copy=False)


_TEXT_OBSERVATION_COLUMNS = frozenset(c for c in OBSERVATION_COLUMNS if c not in NUMERIC_OBSERVATION_COLUMNS)


def _published(existing: Dataset, changed: pd.DataFrame, catalogue: pd.DataFrame, version: int) -> Dataset | None:
    """The version a publish makes, from memory: `existing`'s rows less those whose key a changed row
    closes, plus the changed rows, typed as a load types them (build_from_typed on the same values). A
    load's order is its sort; rows alike in every sort key would keep their input order, which a load
    from the store need not share: then None (the caller reads the version back from the store).

    The same frame as build_from_typed(catalogue, pd.concat([kept, changed]) of OBSERVATION_COLUMNS)
    (tests/unit/test_publish_build.py compares them), cheaper: each text column is put together from
    each part's own codes (combined_text: the kept rows of a compact `existing` are never factorized
    again), only the changed rows of indicators `existing` holds are matched against its keys, and ties
    are found on the sorted frame's codes."""
    key = list(OBSERVATION_KEY)
    kept = existing.observations
    if len(changed) and len(kept):
        closed = _closed_by(kept, changed, key)
        if closed is not None:
            kept = kept[~closed].reset_index(drop=True)
    raw: dict[str, Any] = {}
    for col in OBSERVATION_COLUMNS:
        parts = [(frame[col] if col in frame.columns else None, len(frame)) for frame in (kept, changed)]
        if col in NUMERIC_OBSERVATION_COLUMNS:
            raw[col] = pd.concat([pd.Series(np.nan, index=range(n)) if c is None else c.reset_index(drop=True) for c, n in parts],
                                 ignore_index=True)
        else:
            raw[col] = combined_text(parts)
    dataset = build_from_typed(catalogue, pd.DataFrame(raw, index=pd.RangeIndex(len(kept) + len(changed))), version, compact=True)
    if _has_ties(dataset.observations, list(SORT_KEY)):
        return None
    return dataset


def _closed_by(kept: pd.DataFrame, changed: pd.DataFrame, key: list[str]) -> np.ndarray | None:
    """Which kept rows a changed row's key closes (None: none can, no changed row is of a kept indicator)."""
    column = kept[key[0]]
    ids = (column.cat.categories[np.unique(column.cat.codes.to_numpy())] if isinstance(column.dtype, pd.CategoricalDtype)
           else column.unique())
    touching = changed[key[0]].isin(ids).to_numpy(dtype=bool)
    if not touching.any():
        return None
    keys = expanded(changed.loc[touching, key]).drop_duplicates()
    merged = expanded(kept[key]).merge(keys, on=key, how="left", indicator=True)
    return merged["_merge"].to_numpy() == "both"


def _has_ties(obs: pd.DataFrame, columns: list[str]) -> bool:
    """obs.duplicated(columns).any() for a frame sorted by those columns: equal rows sit next to each other,
    so it compares each row with the next on the Categoricals' codes and the datetimes' integers."""
    if len(obs) < 2:
        return False
    same = np.ones(len(obs) - 1, dtype=bool)
    for col in columns:
        column = obs[col]
        if isinstance(column.dtype, pd.CategoricalDtype):
            values = column.cat.codes.to_numpy()
        elif column.dtype.kind == "M":
            values = column.to_numpy().view("i8")  # NaT: one integer, alike as duplicated() takes them
        else:
            return bool(obs.duplicated(columns).any())
        same &= values[1:] == values[:-1]
    return bool(same.any())


class StoreSource:
    """Serves the store's head version; one cheap SELECT per call, a reload only when it moved."""

    def __init__(self, store: Store):
        self.store = store
        self._dataset: Dataset | None = None
        self._lock = threading.Lock()
        # Called with each version this source loads, once, right after the load (app.py wires the overview's
        # warm-up here: callbacks/warm.py). A hook must return at once (hand slow work to a thread); one that
        # raises is logged and never stops the version being served.
        self.on_load: list[Callable[[Dataset], object]] = []

    def current(self) -> Dataset:
        version = self.store.head_version()
        dataset = self._dataset
        if dataset is None or dataset.version != version:
            with self._lock:
                if self._dataset is None or self._dataset.version != version:
                    self._dataset = None  # nobody is served the old version now: let it go before loading
                    self._dataset = self.store.load_dataset(version, compact=True)
                    release_memory()
                    for hook in self.on_load:
                        try:
                            hook(self._dataset)
                        except Exception:
                            log.exception("on_load hook %r failed for data version %s", hook, version)
                dataset = self._dataset
        return dataset


def _text(value) -> str:
    """A catalogue cell as text: '' for None or NaN."""
    return "" if value is None or pd.isna(value) else str(value).strip()


def _with_fingertips_ids(catalogue: pd.DataFrame, fingertips_ids: Mapping[str, str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """(the catalogue with each mapped indicator's empty fingertips_id set, {indicator id: Fingertips id} set).
    An id another indicator already holds is not set again: one Fingertips id joins one indicator."""
    if not fingertips_ids or catalogue.empty:
        return catalogue, {}
    held = {_text(f) for f in catalogue["fingertips_id"]} - {""}
    out, done = catalogue.copy(), {}
    for ind_id, ft in fingertips_ids.items():
        ft = str(ft or "").strip()
        at = out.index[out["id"] == ind_id]
        if not ft or not len(at) or ft in held or _text(out.at[at[0], "fingertips_id"]):
            continue
        out.at[at[0], "fingertips_id"] = ft
        held.add(ft)
        done[ind_id] = ft
    return out, done
