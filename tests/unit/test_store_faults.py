"""Store faults (issue 11, item 7): a store that existed is never silently re-seeded, /healthz says when the
store is gone or read-only, a locked store or a full disk answers 503 at once, and the files are private."""
from __future__ import annotations

import sqlite3
import stat
import threading
import time

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from data.storage import users
from data.storage.store import Store, StoreMissing, seeded_marker

ENV = ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB", "SESSION_HOURS", "DATABASE_URL", "SECRET_KEY")
EDITOR = "ed@example.org"


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def make_app(monkeypatch):
    """make_app(url) -> (app, store, editor headers): the real app on the store at `url`."""
    made = []

    def make(url: str):
        from app import create_app
        from callbacks.context import EXTENSION_KEY

        for name in ENV:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("SECRET_KEY", "test-secret-key-" + "f" * 32)
        app = create_app()
        store = app.server.extensions[EXTENSION_KEY].store
        made.append(store)
        if users.get_user_by_email(store.engine, EDITOR) is None:
            users.create_user(store.engine, EDITOR, "correct horse battery", role="editor")
        headers = {"Authorization": f"Bearer {users.create_token(store.engine, EDITOR)}"}
        return app, store, headers

    yield make
    for store in made:
        store.dispose()


# -- never seed a store that existed ----------------------------------------------------------------------

def test_flt001_a_missing_database_whose_marker_is_there_refuses_to_start(tmp_path):
    db = tmp_path / "store.sqlite3"
    first = Store(f"sqlite:///{db}")
    first.setup()
    assert seeded_marker(db).exists(), "the first seed leaves a marker next to the database"
    first.dispose()
    db.unlink()  # deleted while running, or lost: a respawned worker must not seed a new, empty store
    with pytest.raises(StoreMissing) as refused:
        Store(f"sqlite:///{db}").setup()
    assert str(db) in str(refused.value) and "refusing to start" in str(refused.value)
    assert not db.exists(), "no new database was created"
    # Deleting the marker as well is the deliberate way to start afresh.
    seeded_marker(db).unlink()
    again = Store(f"sqlite:///{db}")
    again.setup()
    assert again.head_version() == 1 and seeded_marker(db).exists()
    again.dispose()


def test_flt002_a_store_made_before_the_marker_gets_it_on_its_next_start(tmp_path):
    db = tmp_path / "store.sqlite3"
    store = Store(f"sqlite:///{db}")
    store.setup()
    store.dispose()
    seeded_marker(db).unlink()  # as a store from before this change has none
    store = Store(f"sqlite:///{db}")
    store.setup()
    store.dispose()
    assert seeded_marker(db).exists()


# -- files readable by their owner only ----------------------------------------------------------------------

def test_flt003_instance_folder_is_0700_and_database_files_0600(tmp_path):
    instance = tmp_path / "instance"
    store = Store(None, instance=instance)
    store.setup()
    store.publish(store.load_dataset().observations.head(3).assign(value=1.0), _no_indicators(),
                  user=EDITOR, file_name="f", sha256="x", base_version=1)  # the WAL and shared-memory files exist now
    db = instance / "cyscp.sqlite3"
    assert _mode(instance) == 0o700
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        assert path.exists() and _mode(path) == 0o600, (path, oct(_mode(path)))
    store.dispose()


def test_flt004_an_older_world_readable_store_is_tightened(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    db = instance / "cyscp.sqlite3"
    sqlite3.connect(db).close()
    db.chmod(0o644)
    store = Store(None, instance=instance)
    store.setup()
    assert _mode(instance) == 0o700 and _mode(db) == 0o600
    store.dispose()


def _no_indicators():
    import pandas as pd

    return pd.DataFrame(columns=["id"])


# -- /healthz ---------------------------------------------------------------------------------------------

def test_flt005_healthz_is_503_when_the_database_file_is_gone(tmp_path, make_app):
    db = tmp_path / "store.sqlite3"
    app, store, _ = make_app(f"sqlite:///{db}")
    client = app.server.test_client()
    assert client.get("/healthz").get_json()["status"] == "ok"
    db.unlink()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable" and "missing" in response.get_json()["error"]


def test_flt006_healthz_is_503_read_only_when_sqlite_cannot_be_written(tmp_path, make_app, monkeypatch):
    """As root (CI) permissions do not stop writes, so the check itself is made to see a read-only file."""
    import os

    db = tmp_path / "store.sqlite3"
    app, store, _ = make_app(f"sqlite:///{db}")
    client = app.server.test_client()
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if mode == os.W_OK else real(path, mode, **kw))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "read-only"


def test_flt007_healthz_is_503_read_only_on_a_read_only_postgresql(postgres_server, make_app):
    url = postgres_server.create_database("faults_ro")
    app, store, _ = make_app(url)
    client = app.server.test_client()
    assert client.get("/healthz").status_code == 200
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER DATABASE faults_ro SET default_transaction_read_only = on")
    store.reader.dispose()
    store._head.close()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "read-only"


# -- locked and full: 503 at once --------------------------------------------------------------------------

def test_flt008_a_locked_database_answers_503_within_seconds(tmp_path, make_app):
    db = tmp_path / "store.sqlite3"
    app, store, editor = make_app(f"sqlite:///{db}")
    client = app.server.test_client()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        response = client.post("/api/versions/1/restore", headers=editor)
        took = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert "busy" in response.get_json()["error"] and response.headers["Retry-After"]
    assert took < 10, f"waited {took:.1f} s for the lock"
    assert client.post("/api/versions/1/restore", headers=editor).status_code == 200  # and works once free


def test_flt009_a_full_disk_answers_503_with_a_clear_message(tmp_path, make_app):
    db = tmp_path / "store.sqlite3"
    app, store, editor = make_app(f"sqlite:///{db}")
    client = app.server.test_client()
    with store.engine.connect() as conn:
        conn.exec_driver_sql("COMMIT")
        conn.exec_driver_sql("VACUUM")
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    @event.listens_for(store.engine, "connect")
    def _full(dbapi_conn, _):  # the disk is full: the database may not grow by one page
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    store.engine.dispose()
    rows = store.load_dataset().observations.assign(value=lambda f: f["value"].fillna(0) + 1.0)
    with pytest.raises((OperationalError, sqlite3.OperationalError)) as full:  # the store itself: SQLite's "database or disk is full"
        store.publish(rows, _no_indicators(), user=EDITOR, file_name="f", sha256="x", base_version=1)
    from data.storage.store import store_fault

    assert "disk is full" in (store_fault(full.value) or "")
    # Over HTTP: a JSON 503 under /api/, a plain page elsewhere.
    server = app.server

    @server.get("/test-fault-page")
    def _page():
        raise full.value

    @server.get("/api/test-fault")
    def _api():
        raise full.value

    api = client.get("/api/test-fault")
    assert api.status_code == 503 and "disk is full" in api.get_json()["error"]
    page = client.get("/test-fault-page")
    assert page.status_code == 503 and page.mimetype == "text/plain" and "disk is full" in page.get_data(as_text=True)


def test_flt010_a_locked_postgresql_head_answers_503_within_seconds(postgres_server, make_app):
    """Another publish holding the head row's lock: the restore waits BUSY_TIMEOUT, then a clear 503 (not a hang)."""
    from sqlalchemy import update

    from data.storage.tables import head

    url = postgres_server.create_database("faults_locked")
    app, store, editor = make_app(url)
    client = app.server.test_client()
    answered: dict = {}

    def restore():
        started = time.monotonic()
        answered["response"] = client.post("/api/versions/1/restore", headers=editor)
        answered["took"] = time.monotonic() - started

    with store.engine.begin() as conn:  # what a long publish holds
        conn.execute(update(head).where(head.c.id == 1).values(version=head.c.version))
        asking = threading.Thread(target=restore, daemon=True)
        asking.start()
        asking.join(timeout=15)
        waited = asking.is_alive()
    asking.join()  # the lock is released: an old build's waiting restore finishes now
    assert not waited, "the restore was still waiting for the lock after 15 s"
    response = answered["response"]
    assert response.status_code == 503, response.get_data(as_text=True)
    assert "busy" in response.get_json()["error"]
    assert answered["took"] < 10, f"waited {answered['took']:.1f} s for the lock"
    assert client.post("/api/versions/1/restore", headers=editor).status_code == 200
