"""Two workers starting on a fresh SQLite store (found by the benchmarks, issue 6).

The second gunicorn worker connects while the first holds the write lock (migrating and
seeding); switching the journal to WAL must wait for it, not fail the worker's boot.
"""
from __future__ import annotations

import sqlite3
import threading
import time

from data.storage.store import make_engine


def test_boot001_wal_switch_waits_for_a_writer_instead_of_failing(tmp_path):
    path = tmp_path / "store.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    released = threading.Event()

    def release():
        time.sleep(0.5)
        writer.execute("COMMIT")
        released.set()

    threading.Thread(target=release, daemon=True).start()
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert released.is_set()
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
    finally:
        engine.dispose()
        writer.close()


def test_boot002_other_sqlite_errors_still_raise(tmp_path):
    folder = tmp_path / "not-a-database"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder}")  # a directory: "unable to open database file"
    try:
        started = time.monotonic()
        try:
            engine.connect().close()
        except Exception as exc:  # noqa: BLE001
            assert "unable to open" in str(exc)
        else:
            raise AssertionError("connecting to a directory should fail")
        assert time.monotonic() - started < 5
    finally:
        engine.dispose()
