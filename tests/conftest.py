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
import socket  # noqa: E402

import pytest  # noqa: E402
from dash.testing.application_runners import BaseDashRunner  # noqa: E402

from data.storage.store import Store  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

_db_names = itertools.count(1)


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
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"t{next(_db_names)}")


@pytest.fixture
def store(store_url):
    """A migrated and seeded store on each of the two databases."""
    s = Store(store_url)
    s.setup()
    yield s
    s.dispose()


def pytest_configure(config):
    """dash_duo numbers its servers' ports from 58050 in every process: under pytest-xdist (and with two
    test runs at once) the workers would fight over them, so each process starts from a port the OS
    has just handed out (free now; the next ones are tried in turn)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        BaseDashRunner._next_port = probe.getsockname()[1]
