"""Columnar snapshots of served versions (data/storage/snapshot.py), on SQLite and PostgreSQL, and the
per-request pin that keeps one request on one version (callbacks/context.current_dataset)."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import select

from callbacks.context import EXTENSION_KEY, current_dataset
from data.storage import snapshot
from data.storage.store import Store, StoreSource
from data.storage.tables import data_versions
from tests.unit.test_store import NO_NEW_INDICATORS, reception_2324


@pytest.fixture
def store(store_url, tmp_path):
    s = Store(store_url, instance=tmp_path / "instance")
    s.setup()
    yield s
    s.dispose()


def _from_db(store: Store, version: int):
    with store.reader.connect() as conn:
        return store.load_dataset_in(conn, version, compact=True)


def _meta(store: Store, version: int):
    with store.reader.connect() as conn:
        return conn.execute(select(data_versions).where(data_versions.c.version == version)).mappings().one()


def _assert_same(a, b) -> None:
    pd.testing.assert_frame_equal(a.observations, b.observations, check_exact=True)
    pd.testing.assert_frame_equal(a.indicators, b.indicators, check_exact=True)
    assert a.version == b.version
    ids = list(a.indicators.index[:3])
    pd.testing.assert_frame_equal(a.observations_for(ids), b.observations_for(ids), check_exact=True)
    assert a.areas == b.areas


def test_snap001_the_snapshot_equals_the_version_in_the_store(store):
    served = store.load_dataset(compact=True)  # the first load writes the snapshot
    folder = store.snapshot_folder(1, _meta(store, 1))
    assert (folder / snapshot.MANIFEST).exists()
    from_snapshot = snapshot.read(folder, 1, served.updated)
    assert from_snapshot is not None
    _assert_same(from_snapshot, _from_db(store, 1))
    again = store.load_dataset(compact=True)  # now from the snapshot
    _assert_same(again, _from_db(store, 1))
    assert again.updated == served.updated


def test_snap002_a_publish_writes_the_new_versions_snapshot_before_head_moves(store):
    new = store.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="ed@example.org", file_name="q3.csv", sha256="ab", base_version=1)
    folder = store.snapshot_folder(new, _meta(store, new))
    got = snapshot.read(folder, new)
    assert got is not None
    _assert_same(got, _from_db(store, new))
    row = got.observations_for(["reception-overweight"])
    assert 21.5 in set(row[row["period"] == "23/24"]["value"])
    changed = store.publish(reception_2324(22.0), NO_NEW_INDICATORS, user="ed@example.org", file_name="q4.csv", sha256="cd", base_version=new)
    got = snapshot.read(store.snapshot_folder(changed, _meta(store, changed)), changed)  # built from memory: a value changed
    assert got is not None
    _assert_same(got, _from_db(store, changed))
    row = got.observations_for(["reception-overweight"])
    assert list(row[(row["period"] == "23/24") & (row["area_code"] == "E06000014")]["value"]) == [22.0]
    restored = store.restore(1, user="ed@example.org")
    back = snapshot.read(store.snapshot_folder(restored, _meta(store, restored)), restored)
    assert back is not None
    _assert_same(back, _from_db(store, restored))


def test_snap003_a_snapshot_of_another_version_or_with_a_missing_or_short_file_is_not_read(store, tmp_path):
    served = store.load_dataset(compact=True)
    folder = store.snapshot_folder(1, _meta(store, 1))
    assert snapshot.read(folder, 2) is None  # asked for another version
    manifest = json.loads((folder / snapshot.MANIFEST).read_text())
    first = folder / manifest["columns"][0]["file"]
    first.write_bytes(first.read_bytes()[:-8])  # a truncated column
    assert snapshot.read(folder, 1) is None
    # The store then reads the version from the database, and gives the same rows.
    pd.testing.assert_frame_equal(store.load_dataset(compact=True).observations, served.observations, check_exact=True)
    assert snapshot.read(tmp_path / "nowhere", 1) is None


def test_snap004_two_stores_on_one_instance_folder_never_share_a_snapshot(tmp_path):
    instance = tmp_path / "instance"
    a = Store(f"sqlite:///{tmp_path / 'a.sqlite3'}", instance=instance)
    b = Store(f"sqlite:///{tmp_path / 'b.sqlite3'}", instance=instance)
    try:
        a.setup()
        b.setup()
        a.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="a", file_name="f", sha256="x", base_version=1)
        assert a.snapshot_folder(1, _meta(a, 1)) != b.snapshot_folder(1, _meta(b, 1))
        assert a.snapshot_folder(2, _meta(a, 2)) != a.snapshot_folder(1, _meta(a, 1))
        assert b.load_dataset(compact=True).version == 1
        assert a.load_dataset(compact=True).version == 2
    finally:
        a.dispose()
        b.dispose()


def test_snap005_a_source_serves_each_version_from_its_snapshot_and_follows_head(store):
    source = StoreSource(store)
    first = source.current()
    assert first.version == 1
    store.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="a", file_name="f", sha256="x", base_version=1)
    second = source.current()
    assert second.version == 2
    _assert_same(second, _from_db(store, 2))


class _Moving:
    """A data source whose head moves on every call (as if a publish landed between two reads)."""

    def __init__(self):
        self.calls = 0

    def current(self):
        self.calls += 1
        return type("D", (), {"version": self.calls})()


def test_snap006_one_request_never_reads_two_versions():
    app = Flask(__name__)
    source = _Moving()
    app.extensions[EXTENSION_KEY] = source
    with app.test_request_context("/"):
        seen = {current_dataset().version for _ in range(5)}
    assert seen == {1}
    with app.test_request_context("/"):  # the next request reads the new head
        assert current_dataset().version == 2
    with app.app_context():  # outside a request (a CLI command): every call asks the source
        assert [current_dataset().version for _ in range(2)] == [3, 4]


def test_snap007_expanded_equals_astype_str_on_every_subset(bundled):
    from data.domain.dataset import build_from_typed, expanded

    compact = build_from_typed(bundled.indicators.reset_index(drop=True), bundled.observations, compact=True).observations
    subsets = [compact, compact.iloc[0:0], compact.iloc[::7], compact.iloc[[5, 3, 1]],
               compact.assign(note=pd.Categorical([None] + ["x"] * (len(compact) - 1)))]  # a missing cell
    for frame in subsets:
        cats = [c for c, t in frame.dtypes.items() if isinstance(t, pd.CategoricalDtype)]
        want = frame.astype({c: str for c in cats})
        got = expanded(frame)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert list(got.dtypes) == list(want.dtypes)


def test_snap008_publish_and_restore_read_the_current_version_from_its_snapshot_as_from_the_store(store):
    store.load_dataset(compact=True)  # version 1's snapshot
    with store.reader.connect() as conn:
        via_snapshot = store._version_in(conn, 1)
        from_db = store.load_dataset_in(conn, 1)
    pd.testing.assert_frame_equal(via_snapshot.observations, from_db.observations, check_exact=True)
    pd.testing.assert_frame_equal(via_snapshot.indicators, from_db.indicators, check_exact=True)
    # A publish and a restore on top of snapshots give the versions the store holds.
    new = store.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="a", file_name="f", sha256="x", base_version=1)
    back = store.restore(1, user="a")
    for version in (new, back):
        got = snapshot.read(store.snapshot_folder(version, _meta(store, version)), version)
        assert got is not None
        _assert_same(got, _from_db(store, version))
    _assert_same(store.load_dataset(compact=True), _from_db(store, back))
