"""A worker warms each data version it loads in the background (issue 15: callbacks/warm.py).

StoreSource.on_load runs once per newly loaded version; the Warmer builds the overview's per-version parts in
its own thread, never twice at once with a request (VersionCache builds a key once at a time), never keeping
an old version alive, logging (not raising) its own failures, and not at all with WARM_VERSIONS=0.
"""
from __future__ import annotations

import gc
import json
import logging
import threading
import time
import weakref

import pandas as pd
import pytest

from app import create_app
from bench import payloads
from callbacks import warm
from data.domain.cache import VersionCache
from data.settings import Settings, SettingsError
from data.storage.store import Store, StoreSource
from layouts import overview

OVERVIEW_YEAR = payloads.load(payloads.HERE / "bundled", "overview_year")
PER_VERSION = ("status_fixed", "status_fixed_frame", "overview_rows_fixed", "overview_table_base", "overview_table",
               "areas", "area_options", "year_range")


@pytest.fixture
def sqlite_store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}", instance=tmp_path)
    s.setup()
    yield s
    s.dispose()


def _settings(tmp_path, **kwargs) -> Settings:
    return Settings(instance=tmp_path, secret_key="test-key", **kwargs)


def _publish_one_row(store: Store, base_version: int) -> None:
    rows = store.load_dataset().observations.head(1).copy()
    rows["period"], rows["period_type"], rows["value"] = "2030/31", "financial year", 1.0
    store.publish(rows, pd.DataFrame(columns=["id"]), user="t", file_name="f", sha256="x", base_version=base_version)


def _warmer(source) -> warm.Warmer:
    (hook,) = [h for h in source.on_load if isinstance(h, warm.Warmer)]
    return hook


def _post_overview_year(client) -> bytes:
    r = client.post("/_dash-update-component", data=json.dumps(OVERVIEW_YEAR[0]), content_type="application/json")
    assert r.status_code == 200, r.data[:300]
    return r.data


def test_wrm001_the_hook_runs_once_per_new_version(sqlite_store):
    source = StoreSource(sqlite_store)
    seen: list[int] = []
    source.on_load.append(lambda ds: seen.append(ds.version))
    for _ in range(3):
        source.current()
    assert seen == [1]
    _publish_one_row(sqlite_store, 1)
    for _ in range(3):
        assert source.current().version == 2
    assert seen == [1, 2]


def test_wrm002_create_app_warms_the_overview_of_each_loaded_version(sqlite_store, tmp_path):
    source = StoreSource(sqlite_store)
    create_app(_settings(tmp_path), source=source)
    warmer = _warmer(source)
    dataset = source.current()  # the load hands the version to the warm-up and returns at once
    assert warmer.wait_idle(60)
    sizes = dataset.cache.sizes()
    assert all(sizes.get(name) for name in PER_VERSION), sizes
    assert sizes["option_facts"] == len(dataset.indicators)  # every indicator's explore options
    assert [v for v, _ in warmer.done] == [1]
    assert gc.isenabled()  # the collector, paused while warming, is on again
    _publish_one_row(sqlite_store, 1)
    assert source.current().version == 2
    assert warmer.wait_idle(60)
    assert [v for v, _ in warmer.done] == [1, 2]
    assert all(source.current().cache.sizes().get(name) for name in PER_VERSION)


def test_wrm003_off_when_disabled(sqlite_store, tmp_path):
    assert Settings.from_env({}).warm_versions is True  # on under gunicorn (the Procfile) and `python app.py`
    assert Settings.from_env({"WARM_VERSIONS": "0"}).warm_versions is False
    assert Settings.from_env({"WARM_VERSIONS": "off"}).warm_versions is False
    assert Settings.from_env({"WARM_VERSIONS": "1"}).warm_versions is True
    with pytest.raises(SettingsError, match="WARM_VERSIONS"):
        Settings.from_env({"WARM_VERSIONS": "sometimes"})
    source = StoreSource(sqlite_store)
    create_app(_settings(tmp_path, warm_versions=False), source=source)
    assert source.on_load == []
    dataset = source.current()
    time.sleep(0.2)  # room for a thread that should not exist (the assertion holds with or without the wait)
    assert not any(name in dataset.cache.sizes() for name in PER_VERSION)


def test_wrm004_a_failing_warm_up_is_logged_and_the_request_still_answers(sqlite_store, tmp_path, caplog):
    source = StoreSource(sqlite_store)
    client = create_app(_settings(tmp_path, warm_versions=False), source=source).server.test_client()

    def broken(dataset):
        raise RuntimeError("warm-up broke")

    warmer = warm.Warmer([broken])
    source.on_load.append(warmer)
    source.on_load.append(lambda ds: 1 / 0)  # a hook that fails in the loading thread itself
    with caplog.at_level(logging.ERROR):
        r = client.get("/healthz")
        assert r.status_code == 200 and r.get_json()["data_version"] == 1
        assert warmer.wait_idle(60)
        assert len(_post_overview_year(client)) > 1000
    messages = [rec.getMessage() for rec in caplog.records]
    assert any("warming data version 1" in m and "broken" in m for m in messages), messages
    assert any("on_load hook" in m for m in messages), messages
    assert not warmer.done  # nothing counted as warmed
    _publish_one_row(sqlite_store, 1)
    assert client.get("/healthz").get_json()["data_version"] == 2  # the thread survived: it takes the next version
    assert warmer.wait_idle(60)
    assert sum("warming data version 2" in rec.getMessage() for rec in caplog.records) == 1


def test_wrm005_a_request_racing_the_warm_up_gets_the_same_bytes_and_nothing_is_built_twice(sqlite_store, tmp_path, monkeypatch):
    plain_store = Store(f"sqlite:///{tmp_path / 'plain.sqlite3'}", instance=tmp_path)
    plain_store.setup()
    plain = create_app(_settings(tmp_path, warm_versions=False), source=StoreSource(plain_store)).server.test_client()
    expected = _post_overview_year(plain)
    plain_store.dispose()

    builds: list[str] = []
    entered, release = threading.Event(), threading.Event()
    table_base = overview._table_base

    def slow_base(*args):  # the warm-up stops inside the per-version build until the request is under way
        builds.append(threading.current_thread().name)
        entered.set()
        release.wait(30)
        return table_base(*args)

    monkeypatch.setattr(overview, "_table_base", slow_base)
    source = StoreSource(sqlite_store)
    client = create_app(_settings(tmp_path), source=source).server.test_client()
    warmer = _warmer(source)
    source.current()  # loads version 1: the warm-up starts
    assert entered.wait(30)
    answers: list[bytes] = []
    request = threading.Thread(target=lambda: answers.append(_post_overview_year(client)))
    request.start()
    time.sleep(0.2)  # let the request reach the build under way (the assertions hold either way)
    release.set()
    request.join(60)
    assert warmer.wait_idle(60)
    assert answers == [expected]
    assert builds == ["warm-versions"]  # one build, by the warm-up; the request waited for it


def test_wrm006_no_old_version_is_kept_by_the_warm_up(sqlite_store, tmp_path):
    source = StoreSource(sqlite_store)
    client = create_app(_settings(tmp_path), source=source).server.test_client()
    warmer = _warmer(source)
    assert client.get("/healthz").get_json()["data_version"] == 1
    assert warmer.wait_idle(60)
    old = weakref.ref(source.current())
    assert old().cache.sizes().get("overview_table_base") == 1  # warmed
    _publish_one_row(sqlite_store, 1)
    assert client.get("/healthz").get_json()["data_version"] == 2
    assert warmer.wait_idle(60)
    gc.collect()
    assert old() is None  # neither the warm-up thread nor its queue holds version 1
    assert [v for v, _ in warmer.done] == [1, 2]


def test_wrm007_a_newer_version_waiting_stops_the_older_warm_up(sqlite_store):
    source = StoreSource(sqlite_store)
    started, release = threading.Event(), threading.Event()
    ran: list[tuple[str, int]] = []

    def first(dataset):
        ran.append(("first", dataset.version))
        started.set()
        release.wait(30)

    def second(dataset):
        ran.append(("second", dataset.version))

    warmer = warm.Warmer([first, second])
    source.on_load.append(warmer)
    source.current()
    assert started.wait(30)
    _publish_one_row(sqlite_store, 1)
    source.current()  # version 2 waits while version 1's first step runs
    release.set()
    assert warmer.wait_idle(60)
    assert ran == [("first", 1), ("first", 2), ("second", 2)]  # version 1's second step skipped
    assert [v for v, _ in warmer.done] == [2]


def test_wrm008_version_cache_builds_a_key_once_at_a_time():
    cache = VersionCache()
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def build():
        calls.append(1)
        entered.set()
        release.wait(30)
        return object()

    got: list[object] = []
    first = threading.Thread(target=lambda: got.append(cache.once("t", build)))
    first.start()
    assert entered.wait(30)
    second = threading.Thread(target=lambda: got.append(cache.once("t", build)))
    second.start()
    time.sleep(0.1)  # the second caller now waits on the first build (the assertions hold either way)
    release.set()
    first.join(30)
    second.join(30)
    assert len(calls) == 1 and len(got) == 2 and got[0] is got[1]


def test_wrm009_a_failed_build_lets_a_waiting_caller_build_it_itself():
    cache = VersionCache()
    entered, release = threading.Event(), threading.Event()

    def failing():
        entered.set()
        release.wait(30)
        raise ValueError("no")

    errors: list[Exception] = []

    def first_caller():
        try:
            cache.once("t", failing)
        except ValueError as e:
            errors.append(e)

    first = threading.Thread(target=first_caller)
    first.start()
    assert entered.wait(30)
    got: list[str] = []
    second = threading.Thread(target=lambda: got.append(cache.once("t", lambda: "built")))
    second.start()
    time.sleep(0.1)
    release.set()
    first.join(30)
    second.join(30)
    assert len(errors) == 1 and got == ["built"] and cache.once("t", lambda: "again") == "built"
    assert cache.remember("r", 1, lambda: cache.remember("r", 1, lambda: "inner")) == "inner"  # its own key again: no deadlock


def test_wrm010_a_big_version_is_frozen_once_warmed_and_the_next_version_lets_it_go(sqlite_store, tmp_path):
    source = StoreSource(sqlite_store)
    client = create_app(_settings(tmp_path), source=source).server.test_client()
    warmer = _warmer(source)
    warmer.freeze_rows = 1  # the bundled version counts as big here
    try:
        assert client.get("/healthz").get_json()["data_version"] == 1
        assert warmer.wait_idle(60)
        assert warmer.frozen and gc.get_freeze_count() > 0  # the version's objects are out of the collector's sight
        old = weakref.ref(source.current())
        _publish_one_row(sqlite_store, 1)
        assert client.get("/healthz").get_json()["data_version"] == 2
        assert warmer.wait_idle(60)
        gc.collect()
        assert old() is None  # unfrozen before the next version was warmed: version 1 is gone
        assert warmer.frozen  # and version 2 is frozen in its turn
        warmer.freeze_rows = 10**12  # a small version: nothing frozen after its warm-up
        _publish_one_row(sqlite_store, 2)
        assert client.get("/healthz").get_json()["data_version"] == 3
        assert warmer.wait_idle(60)
        assert not warmer.frozen and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()  # leave the test process's collector as it was
