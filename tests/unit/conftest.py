"""Fixtures for the unit tests: the bundled files, raw and built, and an API client on them."""
import pandas as pd
import pytest

from data.domain.dataset import BUNDLED, load_bundled, read_csv_text
from data.domain.source import FixedSource

INDICATOR_FILES = sorted(BUNDLED.glob("indicators*.csv"))
OBSERVATION_FILES = sorted(BUNDLED.glob("*_observations.csv"))


def _read_all(paths):
    return pd.concat([read_csv_text(p) for p in paths], ignore_index=True)


@pytest.fixture
def raw_indicators():
    """Every bundled catalogue row as text (a fresh copy: tests may change it)."""
    return _read_all(INDICATOR_FILES)


@pytest.fixture
def raw_observations():
    """Every bundled observation row as text (a fresh copy: tests may change it)."""
    return _read_all(OBSERVATION_FILES)


@pytest.fixture(scope="session")
def bundled():
    return load_bundled()


def _client(dataset):
    from app import create_app

    return create_app(source=FixedSource(dataset)).server.test_client()


@pytest.fixture(scope="session")
def client_for():
    """client_for(dataset): a test client of a fresh app on that dataset."""
    return _client


@pytest.fixture(scope="session")
def client(bundled):
    return _client(bundled)


@pytest.fixture
def sqlite_store(tmp_path):
    """A migrated, seeded store on a fresh SQLite file: for tests that need one database, not both."""
    from data.storage.store import Store

    made = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    made.setup()
    yield made
    made.dispose()
