"""The publish's bulk insert (issue 15, round 4): SQLite statements of many rows in which a value all the
statement's rows share is bound once; the changed rows' text factorized once (_coded). The rows stored must be
exactly the rows published, on SQLite and on PostgreSQL (COPY), and a failure part way leaves nothing."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from data.domain.dataset import expanded, load_bundled
from data.domain.schema import OBSERVATION_COLUMNS
from data.storage import store as store_module
from data.storage.store import _coded, _column_values, _shared_values
from data.storage.tables import observations

NO_NEW_INDICATORS = pd.DataFrame(columns=["id"])
TEXT = [c for c in OBSERVATION_COLUMNS if c not in ("value", "lower_ci", "upper_ci", "count", "denominator")]
AREA_NAMES = ["York", "Ynys Môn", "O'Brien's ward", "?1 and ?2", "名前", "emoji 😀 area", "tab\tand\nnewline", "York"]


def awkward_rows(n: int, dtype: str) -> pd.DataFrame:
    """n new York-indicator rows (new area codes, so all are added) whose values run in and out of statements:
    runs of one area name, a CI missing for whole runs and for single rows, notes alike or not, odd floats."""
    base = load_bundled().observations
    row = base[(base["indicator_id"] == "reception-overweight") & (base["period"] == "22/23")].iloc[[0]]
    rows = pd.concat([row] * n, ignore_index=True)
    i = np.arange(n)
    rows["area_code"] = [f"X{k:05d}" for k in range(n)]
    rows["area_name"] = [AREA_NAMES[(k // 3) % len(AREA_NAMES)] for k in range(n)]
    rows["note"] = ["" if k % 7 < 4 else f"note {k % 5}" for k in range(n)]
    rows["source"] = "test upload, ünïcode"
    rows["value"] = [(0.1 + 0.2) * k if k % 11 else 1e-300 for k in range(n)]
    rows["lower_ci"] = np.where((i // 8) % 2 == 0, np.nan, i * 1.5)  # missing for whole runs of 8
    rows["upper_ci"] = np.where(i % 5 == 0, np.nan, i * 2.25)  # missing here and there
    rows["count"] = np.nan
    rows["denominator"] = np.where(i % 2 == 0, 1e15 + i, -0.5)
    text = [c for c in TEXT if c in rows.columns]
    if dtype == "category":
        return rows.astype({c: "category" for c in text})
    return rows.astype({c: dtype for c in text})


def stored_rows(store, version: int) -> list[tuple]:
    query = select(*[observations.c[c] for c in OBSERVATION_COLUMNS]).where(observations.c.valid_from == version).order_by(observations.c.row_id)
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def expected_rows(frame: pd.DataFrame) -> list[tuple]:
    """Each row's values as Python scalars, missing ones None (what the store must hold), built without the store's code."""
    out = []
    for record in frame[list(OBSERVATION_COLUMNS)].astype(object).itertuples(index=False, name=None):
        out.append(tuple(None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in record))
    return out


@pytest.mark.parametrize("dtype", ["str", "object", "category"])
@pytest.mark.parametrize(("per", "chunk", "n"), [(4, 12, 37), (200, 50_000, 437)])
def test_ins201_a_publish_stores_exactly_the_rows_published(store, monkeypatch, dtype, per, chunk, n):
    monkeypatch.setattr(store_module, "_SQLITE_ROWS_A_STATEMENT", per)
    monkeypatch.setattr(store_module, "_INSERT_CHUNK", chunk)
    rows = awkward_rows(n, dtype)
    version = store.publish(rows, NO_NEW_INDICATORS, user="t", file_name="f", sha256="x", base_version=1)
    assert version == 2
    assert stored_rows(store, 2) == expected_rows(rows)
    # The new version's snapshot (built in memory from the codes) equals the version read back from the store.
    served = store.load_dataset(2, compact=True)
    with store.engine.connect() as conn:
        from_db = store.load_dataset_in(conn, 2, compact=True)
    pd.testing.assert_frame_equal(expanded(served.observations), expanded(from_db.observations))


def test_ins202_an_insert_that_fails_part_way_leaves_nothing(store, monkeypatch):
    monkeypatch.setattr(store_module, "_SQLITE_ROWS_A_STATEMENT", 4)
    monkeypatch.setattr(store_module, "_INSERT_CHUNK", 12)
    before = store.count_rows()
    snapshots = set(store.snapshots.glob("*")) if store.snapshots.exists() else set()
    rows = awkward_rows(30, "str")
    rows.loc[21, "area_name"] = None  # NOT NULL: the sixth statement (or the COPY's 22nd row) fails
    with pytest.raises(Exception, match="(?i)not null|null value") as failed:
        store.publish(rows, NO_NEW_INDICATORS, user="t", file_name="f", sha256="x", base_version=1)
    assert "area_name" in str(failed.value)
    assert store.head_version() == 1
    assert store.count_rows() == before
    assert [v["version"] for v in store.versions()] == [1]
    assert (set(store.snapshots.glob("*")) if store.snapshots.exists() else set()) == snapshots  # no snapshot written
    # and the store takes the same rows, fixed, at once
    rows.loc[21, "area_name"] = "York"
    assert store.publish(rows, NO_NEW_INDICATORS, user="t", file_name="f", sha256="x", base_version=1) == 2
    assert stored_rows(store, 2) == expected_rows(rows)


def test_ins203_a_shared_column_is_one_numbered_parameter_every_row_names():
    assert _shared_values((True, False, True, False), 2) == "(?1, ?3, ?2, ?4), (?1, ?5, ?2, ?6)"
    assert _shared_values((False, False), 2) == "(?1, ?2), (?3, ?4)"


def test_ins204_coded_text_gives_the_same_values_and_leaves_other_columns_alone():
    frame = pd.DataFrame({
        "indicator_id": pd.Series(["a", "b", None, "a", ""], dtype="str"),
        "area_name": pd.Series(["x", 1, None, "x", "y"], dtype=object),  # object: not coded
        "value": [1.0, np.nan, 2.0, 3.0, -0.0],
    })
    coded = _coded(frame)
    assert isinstance(coded["indicator_id"].dtype, pd.CategoricalDtype)
    assert coded["area_name"].dtype == object and coded["value"].dtype == "float64"
    columns = ["indicator_id", "area_name", "value"]
    assert _column_values(coded, columns, 3, 0, 5) == _column_values(frame, columns, 3, 0, 5)
    assert _column_values(coded, columns, 3, 0, 5)[0] == ["a", "b", None, "a", ""]
