"""Rollback always works (issue 11, item 1): restore to any earlier version, whatever came after it.

Every test runs on SQLite and on PostgreSQL (the `store` fixture). The data a version serves is
compared exactly: the indicators and observations frames of `Store.load_dataset()` and of what
`StoreSource.current()` serves, against a snapshot taken when that version was made.
"""
from __future__ import annotations

import functools
import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.domain.dataset import load_bundled
from data.domain.topics import deck
from data.storage.store import Store, StoreSource
from data.storage.topics import get_note, get_topic, save_note, save_topic

NO_NEW_INDICATORS = pd.DataFrame(columns=["id"])
BASE = "reception-overweight"
_names = itertools.count(1)


@functools.cache
def _bundled():
    return load_bundled()


def _bundled_rows() -> pd.DataFrame:
    obs = _bundled().observations
    return obs[obs["indicator_id"] == BASE].reset_index(drop=True)


def new_indicator(slug: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A new indicator (a copy of reception-overweight's definition) and its rows."""
    cat = _bundled().indicators.reset_index(drop=True)
    ind = cat[cat["id"] == BASE].copy()
    ind["id"], ind["name"] = slug, f"Test indicator {slug}"
    rows = _bundled_rows()
    rows["indicator_id"], rows["indicator_name"] = slug, f"Test indicator {slug}"
    return ind.reset_index(drop=True), rows


def changed_values(store: Store, delta: float) -> pd.DataFrame:
    """The head's rows of reception-overweight with every value moved by `delta` and the note changed."""
    rows = store.load_dataset().observations
    rows = rows[rows["indicator_id"] == BASE].copy()
    rows["value"] = rows["value"] + delta
    rows["note"] = f"changed by {delta}"
    return rows


def publish(store: Store, rows: pd.DataFrame, new: pd.DataFrame = NO_NEW_INDICATORS) -> int:
    return store.publish(rows, new, user="ed@example.org", file_name="f.csv", sha256="x", base_version=store.head_version())


def snapshot(store: Store, source: StoreSource) -> tuple[pd.DataFrame, ...]:
    """What the head serves: the stored frames and the served (compact) frames."""
    stored, served = store.load_dataset(), source.current()
    return stored.indicators, stored.observations, served.indicators, served.observations


def assert_serves(store: Store, source: StoreSource, expected: tuple[pd.DataFrame, ...], version: int) -> None:
    got = snapshot(store, source)
    for a, b in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    # Byte for byte, as the CSV export gives them.
    assert got[1].to_csv(index=False).encode() == expected[1].to_csv(index=False).encode()
    assert got[0].to_csv().encode() == expected[0].to_csv().encode()
    # The version itself stays readable unchanged.
    old = store.load_dataset(version)
    pd.testing.assert_frame_equal(old.indicators, expected[0], check_exact=True)
    pd.testing.assert_frame_equal(old.observations, expected[1], check_exact=True)


def test_rst001_restore_to_before_a_publish_that_added_an_indicator(store):
    """Today: ValueError 'id' is both an index level and a column label (the 500 of the issue)."""
    ind, rows = new_indicator("test-added")
    publish(store, rows, ind)
    new = store.restore(1, user="ed@example.org")
    assert new == 3 and store.head_version() == 3
    restored = store.load_dataset()
    assert "test-added" not in restored.indicators.index
    assert not (restored.observations["indicator_id"] == "test-added").any()
    store.restore(2, user="ed@example.org")
    assert "test-added" in store.load_dataset().indicators.index


def test_rst002_restore_to_every_earlier_version_after_adds_and_changes(store):
    """Publishes that add indicators, change values and remove nothing; then a restore to each earlier version."""
    source = StoreSource(store)
    seen = {1: snapshot(store, source)}
    ind_a, rows_a = new_indicator("test-a")
    ind_b, rows_b = new_indicator("test-b")

    def step(rows: pd.DataFrame, new: pd.DataFrame = NO_NEW_INDICATORS) -> None:
        made = publish(store, rows, new)
        seen[made] = snapshot(store, source)  # (not seen[publish(...)] = ...: the right side runs first)

    step(rows_a, ind_a)  # v2: adds an indicator
    step(changed_values(store, 1.5))  # v3: changes values and notes
    step(rows_b, ind_b)  # v4: adds another
    step(pd.concat([changed_values(store, -0.5), rows_a.assign(value=rows_a["value"] * 2)]))  # v5: changes both
    assert sorted(seen) == [1, 2, 3, 4, 5]
    for target in (4, 3, 2, 1, 5, 1, 3, 2, 4):
        new = store.restore(target, user="ed@example.org")
        assert store.head_version() == new
        assert store.versions()[0]["restored_from"] == target
        assert_serves(store, source, seen[target], target)
        seen[new] = seen[target]
    # A restore of a restore, and publishing on top of a restored version, work too.
    store.restore(max(seen) - 1, user="ed@example.org")
    publish(store, changed_values(store, 3.0))
    store.restore(1, user="ed@example.org")
    assert_serves(store, source, seen[1], 1)


def test_rst003_an_indicator_re_added_keeps_the_order_of_the_version_restored(store):
    """v3 has a, b in that order; later b comes back first, a after it: a restore to v3 gives a, b again."""
    source = StoreSource(store)
    ind_a, rows_a = new_indicator("test-order-a")
    ind_b, rows_b = new_indicator("test-order-b")
    publish(store, rows_a, ind_a)
    v3 = publish(store, rows_b, ind_b)
    expected = snapshot(store, source)
    store.restore(1, user="ed@example.org")
    publish(store, rows_b, ind_b)  # b alone, now stored before a
    store.restore(v3, user="ed@example.org")
    assert_serves(store, source, expected, v3)


def test_rst004_restore_keeps_topics_and_notes_and_never_fails_because_of_them(store):
    """Topics and presenter notes are not data versions: a restore leaves them as they are, and a topic that
    names an indicator the restored version lacks still builds its deck (without that indicator)."""
    ind, rows = new_indicator("test-topic-ind")
    publish(store, rows, ind)
    dataset = store.load_dataset()
    save_topic(store.engine, "test-topic", "A test topic", "Intro", [BASE, "test-topic-ind"], 5, "ed@example.org", dataset)
    save_note(store.engine, "test-topic", "Say this", "ed@example.org")
    save_note(store.engine, "test-topic", "Say this instead", "ed@example.org")
    store.restore(1, user="ed@example.org")
    topic = get_topic(store.engine, "test-topic")
    assert topic is not None and topic.indicator_ids == (BASE, "test-topic-ind")
    assert get_note(store.engine, "test-topic")["note"] == "Say this instead"
    restored = store.load_dataset()
    assert "test-topic-ind" not in restored.indicators.index
    slides = deck(restored, topic)
    assert slides  # the deck builds from what the restored data has
    store.restore(2, user="ed@example.org")
    assert "test-topic-ind" in store.load_dataset().indicators.index


# -- property: random publishes and restores ------------------------------------------------------------

_step = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 3)),  # a new indicator (or the same id again: then only its rows)
    st.tuples(st.just("change"), st.sampled_from([-2.0, 0.25, 1.0, 7.5])),
    st.tuples(st.just("restore"), st.integers(0, 50)),  # to the n-th version made so far (modulo)
)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(_step, min_size=2, max_size=4))
def test_rst005_property_after_any_publishes_a_restore_serves_that_versions_data_exactly(store, steps):
    source = StoreSource(store)
    start = store.head_version()
    seen = {start: snapshot(store, source)}  # versions made in this example (the store lives across examples)
    run = next(_names)
    for kind, arg in steps:
        if kind == "add":
            slug = f"test-p{run}-{arg}"
            ind, rows = new_indicator(slug)
            known = slug in store.load_dataset().indicators.index
            made = publish(store, rows, NO_NEW_INDICATORS if known else ind)
            seen[made] = snapshot(store, source)
        elif kind == "change":
            made = publish(store, changed_values(store, arg))
            seen[made] = snapshot(store, source)
        else:
            versions = sorted(seen)
            target = versions[arg % len(versions)]
            new = store.restore(target, user="ed@example.org")
            assert_serves(store, source, seen[target], target)
            seen[new] = seen[target]
    # And back to where the example started, from whatever it did.
    store.restore(start, user="ed@example.org")
    assert_serves(store, source, seen[start], start)


ENV = ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB", "SESSION_HOURS", "DATABASE_URL", "SECRET_KEY")


@pytest.mark.parametrize("target", [1, 2])
def test_rst006_restore_over_http_answers_200_after_a_publish_that_added_indicators(store, store_url, monkeypatch, target):
    """The route of the issue, POST /api/versions/<n>/restore: 500 today, 200 with the version's data now."""
    from app import create_app
    from callbacks.context import EXTENSION_KEY
    from data.storage import users

    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", store_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-" + "r" * 32)
    app = create_app()
    served = app.server.extensions[EXTENSION_KEY].store
    try:
        users.create_user(store.engine, "ed@example.org", "correct horse battery", role="editor")
        token = users.create_token(store.engine, "ed@example.org")
        ind, rows = new_indicator("test-http")
        publish(store, rows, ind)
        publish(store, changed_values(store, 1.0))
        expected = snapshot_of(store, target)
        client = app.server.test_client()
        response = client.post(f"/api/versions/{target}/restore", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["data_version"] == 4
        assert_serves(store, StoreSource(store), expected, target)
        csv_now = client.get("/api/observations.csv").get_data()
        assert csv_now == client.get("/api/observations.csv").get_data()
        assert (b"test-http" in csv_now) == (target == 2)
    finally:
        served.dispose()


def snapshot_of(store: Store, version: int) -> tuple[pd.DataFrame, ...]:
    """A version's frames read afresh (stored and compact), for the tests that do not keep their own."""
    stored, served = store.load_dataset(version), store.load_dataset(version, compact=True)
    return stored.indicators, stored.observations, served.indicators, served.observations
