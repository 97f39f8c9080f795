"""Shared pytest configuration.

Makes the repository root importable (``import app``, ``import data`` ...)
whatever directory pytest is started from.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import itertools  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import tempfile  # noqa: E402

import pytest  # noqa: E402
from dash.testing.application_runners import BaseDashRunner  # noqa: E402

from data.storage.store import Store  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

_db_names = itertools.count(1)
_INSTANCE = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty database URL: every store test runs on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"t{next(_db_names)}"
    yield server.create_database(name)
    # Dropped at once: hundreds of 8 MB databases would otherwise pile up, to be deleted at the end of the run.
    server.drop_database(name, force=True)


# Migrating and seeding a store takes ~0.5 s on SQLite and ~1 s on PostgreSQL; hundreds of tests need one. Each test
# process does it once per database kind (a template) and every `store` starts as a copy of it: a file copy, or
# PostgreSQL's CREATE DATABASE ... TEMPLATE. The copy is the same schema and rows a fresh setup() writes (version 1
# seeded from the bundled CSVs, topics and area groups), and the fixture still runs setup() on it, as the app does.
_TEMPLATES: dict[str, str] = {}


def _sqlite_template(tmp_path_factory) -> Path:
    if "sqlite" not in _TEMPLATES:
        path = tmp_path_factory.mktemp("store-template") / "template.sqlite3"
        made = Store(f"sqlite:///{path}")
        made.setup()
        made.dispose()  # SQLite folds its WAL into the file: the one file is the whole store
        assert not path.with_name(path.name + "-wal").exists()
        _TEMPLATES["sqlite"] = str(path)
    return Path(_TEMPLATES["sqlite"])


def _postgres_template(server: PostgresServer) -> str:
    key = f"postgresql:{server.port}"
    if key not in _TEMPLATES:
        name = "store_template"
        made = Store(server.create_database(name))
        made.setup()
        made.dispose()  # no connection may stay open on a template database
        _TEMPLATES[key] = name
    return _TEMPLATES[key]


@pytest.fixture
def store(request, store_url, tmp_path_factory):
    """A migrated and seeded store on each of the two databases (store_url's database, now holding a copy of the
    per-process template; setup() runs on it as on any store the app opens)."""
    if store_url.startswith("sqlite:///"):
        shutil.copyfile(_sqlite_template(tmp_path_factory), store_url.removeprefix("sqlite:///"))
    else:
        server = request.getfixturevalue("postgres_server")
        name = store_url.rsplit("/", 1)[1]
        server.drop_database(name)
        server.create_database(name, template=_postgres_template(server))
    s = Store(store_url)
    s.setup()
    yield s
    s.dispose()


# The files whose tests take longest (a full run's --durations, tests/README.md), slowest first: they are
# collected first, so pytest-xdist starts them first and the last tests each worker gets are short ones (a
# 90-second file collected last would run alone at the end). Each file's tests stay together and in order
# (module-scoped fixtures are set up once). A file not named here keeps its place, after these.
SLOW_FIRST = (
    "integration/test_a11y.py",
    "integration/test_reflow.py",
    "unit/test_uploads_api.py",
    "unit/test_importer_fuzz.py",
    "unit/test_uploads_fuzz_http.py",
    "unit/test_importer_columnar.py",
    "integration/test_bench_smoke.py",
    "integration/test_views_in_browser.py",
    "integration/test_upload_flow.py",
    "integration/test_area_groups_editor.py",
    "unit/test_restore.py",
    "integration/test_fetch_catalogue.py",
    "integration/test_multiworker.py",
    "integration/test_spotlight.py",
    "unit/test_fast_paths.py",
    "integration/test_slow_clients.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}

    def key(item):
        path = Path(str(item.fspath)).resolve()
        try:
            relative = path.relative_to(ROOT / "tests").as_posix()
        except ValueError:
            return len(rank)
        return rank.get(relative, len(rank))

    items.sort(key=key)  # stable: every other order is kept


def pytest_configure(config):
    """Give every test process (each pytest-xdist worker, and each of two runs at once) its own ports and
    its own instance folder.

    dash_duo numbers its servers' ports from 58050 in every process, so the workers would fight over
    them: each process starts from a port the OS has just handed out (free now; the next ones are
    tried in turn).

    Importing app.py, and every create_app() without a source, opens the default store (SQLite under
    instance/, and instance/secret_key): the workers would migrate, seed and write one file at once,
    and the tests would write into the developer's own instance/ (or whatever DATABASE_URL the shell
    has). Each process gets a fresh temporary folder instead (INSTANCE_PATH), with DATABASE_URL pointing into it; a
    test that needs other settings sets them with monkeypatch as before."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        BaseDashRunner._next_port = probe.getsockname()[1]

    folder = Path(tempfile.mkdtemp(prefix="cyscp-test-instance-"))
    config.stash[_INSTANCE] = folder
    os.environ["INSTANCE_PATH"] = str(folder)
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'cyscp.sqlite3'}"


def pytest_unconfigure(config):
    folder = config.stash.get(_INSTANCE, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
