"""The store on SQLite and on a real PostgreSQL: seeding, versions, publish, conflicts, rollback."""
from __future__ import annotations

import pandas as pd
import pytest

from data.domain.dataset import load_bundled
from data.domain.status import indicator_status
from data.storage.store import PublishConflict, StoreSource

NO_NEW_INDICATORS = pd.DataFrame(columns=["id"])


def reception_2324(value: float) -> pd.DataFrame:
    """A typed York 2023/24 reception-overweight row, shaped like the store's own rows."""
    base = load_bundled().observations
    row = base[(base["indicator_id"] == "reception-overweight") & (base["period"] == "22/23")].copy()
    row["period"], row["period_type"], row["value"], row["source"] = "23/24", "academic year", value, "test upload"
    return row


def test_sto001_first_start_seeds_the_bundle_and_a_second_adds_nothing(store):
    bundled = load_bundled()
    assert store.head_version() == 1
    assert store.count_rows() == len(bundled.observations)
    store.setup()
    assert store.count_rows() == len(bundled.observations)
    assert [v["version"] for v in store.versions()] == [1]


def test_sto002_the_seeded_dataset_equals_the_bundle(store):
    bundled, stored = load_bundled(), store.load_dataset()
    key = ["indicator_id", "area_code", "period", "category_type", "category"]
    a = bundled.observations.sort_values(key).reset_index(drop=True)
    b = stored.observations.sort_values(key).reset_index(drop=True)
    pd.testing.assert_series_equal(a["value"], b["value"])
    assert list(a["period"]) == list(b["period"])
    assert set(bundled.indicators.index) == set(stored.indicators.index)


def test_sto003_publish_makes_a_new_version_that_clears_the_pending_flag(store):
    source = StoreSource(store)
    assert indicator_status(source.current()).at["reception-overweight", "pending"]
    version = store.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="ed@example.org", file_name="q3.csv", sha256="ab", base_version=1)
    assert version == 2
    fresh = source.current()
    assert fresh.version == 2
    assert not indicator_status(fresh).at["reception-overweight", "pending"]
    meta = store.versions()[0]
    assert (meta["created_by"], meta["file_name"], meta["rows_added"]) == ("ed@example.org", "q3.csv", 1)


def test_sto004_republishing_the_same_rows_changes_nothing_but_counts_them(store):
    store.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="a", file_name="f", sha256="x", base_version=1)
    store.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="a", file_name="f", sha256="x", base_version=2)
    assert store.versions()[0]["rows_unchanged"] == 1
    assert store.count_rows() == len(load_bundled().observations) + 1


def test_sto005_a_publish_from_a_stale_preview_is_told_to_retry(store):
    store.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="a", file_name="f", sha256="x", base_version=1)
    with pytest.raises(PublishConflict):
        store.publish(reception_2324(22.0), NO_NEW_INDICATORS, user="b", file_name="g", sha256="y", base_version=1)
    assert store.head_version() == 2
    value = store.load_dataset().observations.query("indicator_id == 'reception-overweight' and period == '23/24'")["value"]
    assert list(value) == [21.5]


def test_sto006_old_versions_stay_readable_and_restore_is_a_new_version(store):
    store.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="a", file_name="f", sha256="x", base_version=1)
    store.publish(reception_2324(23.0), NO_NEW_INDICATORS, user="a", file_name="f2", sha256="x2", base_version=2)
    pick = "indicator_id == 'reception-overweight' and period == '23/24'"
    assert list(store.load_dataset(2).observations.query(pick)["value"]) == [21.5]
    assert list(store.load_dataset(3).observations.query(pick)["value"]) == [23.0]
    new = store.restore(1, user="a")
    assert new == 4
    restored = store.load_dataset()
    assert restored.observations.query(pick).empty
    assert indicator_status(restored).at["reception-overweight", "pending"]
    assert store.versions()[0]["restored_from"] == 1
    with pytest.raises(LookupError):
        store.restore(99, user="a")


def test_sto020_a_request_reads_the_head_while_a_publish_holds_the_write_lock(store):
    """A long publish (~tens of seconds at 1M rows) must not stall every page: the head is read without
    taking SQLite's write lock. Before the reader engine, this read waited for the lock (busy_timeout 30 s)."""
    import threading

    from sqlalchemy import update

    from data.storage.tables import head

    version = store.head_version()
    with store.engine.begin() as conn:  # what publish holds: BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL
        conn.execute(update(head).where(head.c.id == 1).values(version=head.c.version))
        seen = {}
        reader = threading.Thread(target=lambda: seen.update(version=store.head_version()), daemon=True)
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "reading the head waited for the writer's lock"
    assert seen["version"] == version


def test_sto021_a_kept_head_connection_sees_another_workers_publish_at_once(store_url):
    """Each worker keeps one connection per thread for the head read: it must never serve a stale snapshot."""
    import threading

    from data.storage.store import Store

    reader, writer = Store(store_url), Store(store_url)
    reader.setup()
    assert reader.head_version() == 1  # opens and keeps this thread's connection
    writer.publish(reception_2324(21.5), NO_NEW_INDICATORS, user="ed@example.org", file_name="a.csv", sha256="a", base_version=1)
    assert reader.head_version() == 2
    seen = []
    other = threading.Thread(target=lambda: seen.append(reader.head_version()))
    other.start()
    other.join()
    writer.restore(1, user="ed@example.org")
    assert seen == [2] and reader.head_version() == 3
    assert len(reader._head._opened) == 2  # one per thread
    if not reader.is_sqlite:  # autocommit: never left "idle in transaction" (that would hold up VACUUM and migrations)
        from psycopg.pq import TransactionStatus

        assert all(c.info.transaction_status == TransactionStatus.IDLE for c in reader._head._opened)
    reader.dispose()
    assert reader._head._opened == [] and reader.head_version() == 3  # reopens after dispose
    reader.dispose()
    writer.dispose()


def test_sto022_a_broken_head_connection_is_replaced(store):
    assert store.head_version() == 1
    for conn in list(store._head._opened):
        conn.close()  # as if the database server had dropped it
    assert store.head_version() == 1
    assert store.head_version() == 1


def test_sto023_head_connections_of_finished_threads_are_closed(store):
    """`make run` serves each request on a new thread: one kept connection per thread must not pile up."""
    import threading

    for _ in range(30):
        t = threading.Thread(target=store.head_version)
        t.start()
        t.join()
    assert store.head_version() == 1
    assert len(store._head._opened) <= 2  # this thread's, and at most the last finished thread's
