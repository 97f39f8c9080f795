"""A served Dataset holds its text columns as Categoricals (issue 6: RSS per worker at 1M rows).

The compact frame must give readers exactly what the plain one gives: the same rows in the same order
once expanded, `str` columns from observations_for, and byte-identical pages, callbacks and downloads.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from data.domain.dataset import BUNDLED, expanded, load_bundled, prepare_observations, read_csv_text
from data.domain.periods import PeriodError
from data.domain.schema import NUMERIC_OBSERVATION_COLUMNS, OBSERVATION_COLUMNS
from data.domain.source import FixedSource
from data.storage.store import StoreSource

TEXT = [c for c in OBSERVATION_COLUMNS if c not in NUMERIC_OBSERVATION_COLUMNS] + ["unit", "indicator_name", "set"]


def _raw_bundled() -> pd.DataFrame:
    report_first = lambda path: ("fingertips" in path.name, path.name)  # noqa: E731
    return pd.concat([read_csv_text(p) for p in sorted(BUNDLED.glob("*_observations.csv"), key=report_first)], ignore_index=True)


def _assert_compact(frame: pd.DataFrame) -> None:
    for col in TEXT:
        dtype = frame[col].dtype
        assert isinstance(dtype, pd.CategoricalDtype), (col, dtype)
        cats = list(frame[col].cat.categories)
        assert cats == sorted(set(cats)), col  # sorted and distinct: sorting by codes is lexical
        assert frame[col].cat.codes.dtype.itemsize <= 2, col  # bundled: a few hundred values at most


def test_mem001_compact_prepare_is_the_plain_frame_once_expanded():
    catalogue = load_bundled().indicators
    raw = _raw_bundled()
    plain = prepare_observations(raw, catalogue)
    compact = prepare_observations(raw, catalogue, compact=True)
    _assert_compact(compact)
    pd.testing.assert_frame_equal(expanded(compact), plain)
    assert all(pd.api.types.is_string_dtype(plain[c]) and not isinstance(plain[c].dtype, pd.CategoricalDtype) for c in TEXT)


def test_mem002_awkward_text_sorts_and_reads_back_the_same():
    catalogue = load_bundled().indicators
    raw = _raw_bundled().head(30).copy()
    raw["indicator_id"] = raw["indicator_id"].astype(object)
    # Case, accents, formula starts, blanks, a NULL and an id the catalogue lacks (its unit is NaN).
    raw.loc[0:5, "area_name"] = ["b", "B", "É", "=1+1", "-x", ""]
    raw.loc[6:9, "category"] = ["z", "Z", "", "a"]
    raw.loc[6:9, "category_type"] = ["Sex", "Sex", "", "sex"]
    raw.loc[10, "note"] = None
    raw.loc[11, "indicator_id"] = "not-in-the-catalogue"
    raw.loc[12:14, "area_code"] = ["E0000000a", "E0000000A", "E06000014"]
    plain = prepare_observations(raw, catalogue)
    compact = prepare_observations(raw, catalogue, compact=True)
    pd.testing.assert_frame_equal(expanded(compact), plain)
    assert plain["unit"].isna().any()


def test_mem003_a_bad_period_raises_the_same_error_either_way():
    catalogue = load_bundled().indicators
    raw = _raw_bundled().head(10).copy()
    raw.loc[3, "period"], raw.loc[7, "period"] = "not a period", "also not one"
    with pytest.raises(PeriodError) as plain:
        prepare_observations(raw, catalogue)
    with pytest.raises(PeriodError) as compact:
        prepare_observations(raw, catalogue, compact=True)
    assert str(compact.value) == str(plain.value)


@pytest.mark.parametrize("chunk", [7, 10**9])
def test_mem004_the_store_streams_a_compact_dataset_equal_to_the_plain_one(store, monkeypatch, chunk):
    import data.storage.store as store_module

    monkeypatch.setattr(store_module, "_READ_CHUNK", chunk)
    plain, compact = store.load_dataset(), store.load_dataset(compact=True)
    _assert_compact(compact.observations)
    pd.testing.assert_frame_equal(expanded(compact.observations), plain.observations)
    pd.testing.assert_frame_equal(compact.indicators, plain.indicators)
    assert compact.updated == plain.updated and compact.version == plain.version


def test_mem005_the_served_dataset_is_compact_and_smaller(store):
    served = StoreSource(store).current()
    _assert_compact(served.observations)
    plain = store.load_dataset()
    size = lambda f: int(f[TEXT].memory_usage(index=False, deep=False).sum())  # noqa: E731
    assert size(served.observations) * 4 < size(plain.observations)


def test_mem006_readers_get_plain_str_rows_from_a_compact_dataset(store):
    served, plain = StoreSource(store).current(), store.load_dataset()
    ids = list(plain.indicators.index)
    for wanted in ([ids[0]], [ids[5], ids[1]], ids[:3] + ["no-such-id"], ["no-such-id"]):
        a, b = served.observations_for(wanted), plain.observations_for(wanted)
        pd.testing.assert_frame_equal(a, b)
        assert not any(isinstance(t, pd.CategoricalDtype) for t in a.dtypes)
    sets = [plain.indicators["set"].iloc[0]]
    for kwargs in ({"sets": sets}, {"areas": ["E92000001"]}, {"indicator_ids": ids[:2], "areas": ["E06000014"]}, {}):
        pd.testing.assert_frame_equal(served.observations_for(**kwargs), plain.observations_for(**kwargs))
    assert served.areas == plain.areas
    from data.domain.status import indicator_status
    from data.ingest.template import template_rows

    for year in ("2023/24", "2021/22"):
        pd.testing.assert_frame_equal(indicator_status(served, year), indicator_status(plain, year))
    assert template_rows(served) == template_rows(plain)


def _replies(app_source) -> dict:
    """Pages, replayed callbacks and downloads of an app on this source, as the bytes sent."""
    from dash._utils import to_json

    from app import create_app
    from bench import payloads
    from callbacks.routing import render_page

    server = create_app(source=app_source).server
    client = server.test_client()
    out = {}
    year6 = "?set=Aged+5-11&indicator=year6-overweight"
    for path, search in (("/", ""), ("/", "?year=2021/22"), ("/explore", ""), ("/explore", year6 + "&area=E06000014&area=E92000001"),
                         ("/explore", year6 + "&mode=compare"), ("/explore", year6 + "&mode=england")):
        with server.test_request_context(path + search):
            out[path + search] = to_json(render_page(path, search))
    for name in payloads.ACTION_NAMES:
        for i, body in enumerate(payloads.load(payloads.HERE / "bundled", name)):
            r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
            out[f"{name}[{i}]"] = (r.status_code, r.data)
    for url in ("/api/observations.csv", "/api/observations.csv?format=json", "/api/observations.csv?set=Aged+5-11&area=E06000014",
                "/api/indicators", "/api/indicators?reporting_year=2022/23", "/healthz"):
        r = client.get(url)
        out[url] = (r.status_code, r.data)
    return out


def test_mem007_pages_callbacks_and_downloads_are_byte_identical(store):
    source = StoreSource(store)
    served = source.current()
    _assert_compact(served.observations)
    compact, plain = _replies(source), _replies(FixedSource(store.load_dataset()))
    assert compact.keys() == plain.keys()
    for key in plain:
        assert compact[key] == plain[key], key
    assert all(v[0] in (200, 204) for k, v in plain.items() if isinstance(v, tuple))


def test_mem008_positions_index_matches_a_boolean_filter(store):
    served = StoreSource(store).current()
    obs = served.observations
    for ind in list(served.indicators.index)[:20]:
        rows = served._rows_of([ind])
        assert np.array_equal(rows.index.to_numpy(), np.flatnonzero((obs["indicator_id"] == ind).to_numpy()))


def test_mem009_a_worker_lets_the_old_version_go_once_the_new_one_is_served(store):
    import gc
    import weakref

    from app import create_app

    source = StoreSource(store)
    client = create_app(source=source).server.test_client()
    for body in json.loads((BUNDLED.parents[1] / "bench" / "payloads" / "bundled" / "overview_year.json").read_text())["chain"]:
        assert client.post("/_dash-update-component", json=body).status_code in (200, 204)
    r = client.get("/api/observations.csv?area=E06000014")
    assert r.status_code == 200, r.data[:300]
    old = weakref.ref(source.current())
    assert len(old().cache)  # per-version caches filled by the requests above
    rows = store.load_dataset().observations.head(1).copy()
    rows["period"], rows["period_type"], rows["value"] = "2030/31", "financial year", 1.0
    store.publish(rows, pd.DataFrame(columns=["id"]), user="t", file_name="f", sha256="x", base_version=1)
    assert client.get("/healthz").get_json()["data_version"] == 2
    for hook in source.on_load:  # the background warm-up (callbacks/warm.py) holds a version while a step runs
        assert getattr(hook, "wait_idle", lambda timeout: True)(60)
    gc.collect()
    assert old() is None  # nothing (caches, memo tables, the source) still holds version 1
    _assert_compact(source.current().observations)
