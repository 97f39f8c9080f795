"""The version a publish builds in memory (data/storage/store._published) against the plain build it replaced:
the kept rows and the changed rows concatenated and typed again, as a load from the store types them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.domain.dataset import SORT_KEY, Dataset, _text_categorical, build_from_typed, combined_text, expanded, load_bundled
from data.domain.schema import INDICATOR_COLUMNS, NUMERIC_OBSERVATION_COLUMNS, OBSERVATION_COLUMNS, OBSERVATION_KEY
from data.storage.store import _has_ties, _published


def _reference(existing: Dataset, changed: pd.DataFrame, catalogue: pd.DataFrame, version: int) -> Dataset | None:
    """The build before round 3 (main e678927), on plain text columns."""
    key = list(OBSERVATION_KEY)
    kept = expanded(existing.observations)
    if len(changed) and len(kept):
        closed = kept[key].merge(expanded(changed[key]).drop_duplicates(), on=key, how="left", indicator=True)["_merge"].to_numpy() == "both"
        kept = kept[~closed]
    raw = pd.concat([kept.reindex(columns=list(OBSERVATION_COLUMNS)), expanded(changed).reindex(columns=list(OBSERVATION_COLUMNS))],
                    ignore_index=True)
    dataset = build_from_typed(catalogue, raw, version, compact=True)
    if dataset.observations.duplicated(list(SORT_KEY)).any():
        return None
    return dataset


@pytest.fixture(scope="module")
def bundled():
    return load_bundled()


def _catalogue(dataset: Dataset) -> pd.DataFrame:
    return dataset.indicators.reset_index(drop=True)


def _changed(bundled: Dataset) -> pd.DataFrame:
    """Awkward changed rows: some close kept rows (same key, new value), some are new keys, a new area whose
    name sorts before every other, text with missing cells, a number missing, non-ASCII text."""
    obs = bundled.observations
    same_key = obs.iloc[[0, 5, 17]].copy()
    same_key["value"] = [1.25, np.nan, -3.0]
    new_keys = obs.iloc[[2, 3, 40]].copy()
    new_keys["area_code"] = ["E0000000A", "E0000000B", "E0000000C"]
    new_keys["area_name"] = ["Åland (test)", "  leading space", "York"]
    new_keys["note"] = [np.nan, "note é", None]
    new_keys["source"] = pd.array([None, "s", "s"], dtype=object)
    changed = pd.concat([same_key, new_keys])
    changed.index = [7, 3, 99, 1, 1000, 2]  # a filtered frame's index, not 0..n
    return changed


@pytest.mark.parametrize("compact_existing", [True, False])
@pytest.mark.parametrize("compact_changed", [True, False])
def test_pub001_the_published_build_equals_the_plain_build(bundled, compact_existing, compact_changed):
    catalogue = _catalogue(bundled)
    held = bundled.observations.copy()
    held.loc[0, "note"] = "only on a row the publish closes"  # a category the new version must not keep
    existing = build_from_typed(catalogue, held, 1, compact=True)
    if not compact_existing:
        existing = Dataset(existing.indicators, expanded(existing.observations), 1)
    changed = _changed(bundled)
    if compact_changed:
        changed = changed.astype({c: "category" for c in ("indicator_id", "area_code", "area_name", "period", "category")})
    want = _reference(existing, changed, catalogue, 2)
    got = _published(existing, changed, catalogue, 2)
    assert want is not None and got is not None
    pd.testing.assert_frame_equal(got.observations, want.observations, check_exact=True)
    pd.testing.assert_frame_equal(got.indicators, want.indicators, check_exact=True)
    # It did close the three rows with a changed key, and kept the rest.
    assert len(got.observations) == len(bundled.observations) + 3
    assert (got.observations["area_name"] == "Åland (test)").sum() == 1
    assert "only on a row the publish closes" not in set(got.observations["note"].astype(str))


def test_pub002_a_changed_row_of_a_new_indicator_or_a_missing_column_builds_as_before(bundled):
    catalogue = _catalogue(bundled)
    existing = build_from_typed(catalogue, bundled.observations, 1, compact=True)
    new = bundled.observations.iloc[:4].copy()
    new["indicator_id"] = "zz-new"
    new["area_code"] = ["E1", "E2", "E3", "E4"]
    new = new.drop(columns=["note", "count"])  # absent: missing everywhere, as reindex gives
    extra = catalogue.iloc[:1].assign(id="zz-new", name="A new one")
    catalogue = pd.concat([catalogue, extra], ignore_index=True)
    want, got = _reference(existing, new, catalogue, 2), _published(existing, new, catalogue, 2)
    assert want is not None and got is not None
    pd.testing.assert_frame_equal(got.observations, want.observations, check_exact=True)
    assert len(got.observations) == len(bundled.observations) + 4


def test_pub003_rows_alike_in_every_sort_key_give_none_as_before(bundled):
    catalogue = _catalogue(bundled)
    existing = build_from_typed(catalogue, bundled.observations, 1, compact=True)
    twins = bundled.observations.iloc[[0, 0]].copy()
    twins["area_code"] = "E0000000Z"
    twins["source"] = ["one", "two"]  # differ outside the sort key only
    assert _reference(existing, twins, catalogue, 2) is None
    assert _published(existing, twins, catalogue, 2) is None
    assert _published(existing, twins.iloc[:1], catalogue, 2) is not None


_CELLS = ["a", "b", "", " b", "é", None, np.nan, 3, b"by"]


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.tuples(st.lists(st.sampled_from(_CELLS), max_size=8), st.booleans(), st.booleans()), min_size=1, max_size=4))
def test_pub004_combined_text_is_the_text_categorical_of_the_concatenation(parts):
    columns, series = [], []
    for cells, as_category, absent in parts:
        column = pd.Series(cells, dtype=object)
        if as_category:  # with categories no cell holds (a filtered Categorical keeps them): never in the result
            text = [c if isinstance(c, str) or c is None else None for c in cells]
            column = pd.Series(pd.Categorical(text, categories=sorted({c for c in text if c} | {"unused", "zz"})))
        series.append(pd.Series(np.nan, index=range(len(cells)), dtype=object) if absent else column.astype(object))
        columns.append((None if absent else column, len(cells)))
    want = _text_categorical(pd.concat(series, ignore_index=True))
    got = combined_text(columns)
    assert list(got.categories) == list(want.categories)
    assert (got.codes == want.codes).all()


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "b", ""]), st.sampled_from([None, "2020-01-01", "2021-06-30"])), max_size=12))
def test_pub005_ties_on_the_sorted_frame_are_what_duplicated_finds(rows):
    frame = pd.DataFrame({"t": pd.Categorical([r[0] for r in rows], categories=["", "a", "b"]),
                          "d": pd.to_datetime([r[1] for r in rows])}).sort_values(["t", "d"], na_position="first", kind="stable")
    assert _has_ties(frame.reset_index(drop=True), ["t", "d"]) == bool(frame.duplicated(["t", "d"]).any())


def test_pub006_awkward_cells_are_stored_as_given_by_insert_and_by_copy(store):
    """SQLite stores rows with executemany, PostgreSQL with COPY: both give back exactly the records
    (tabs, newlines, backslashes, a literal \\N, quotes, non-ASCII, '' apart from NULL, floats to the last bit)."""
    from sqlalchemy import select

    from data.storage.store import _insert_frame, _records
    from data.storage.tables import indicators, observations

    texts = ["tab\there", "new\nline", "back\\slash", "\\N", "'quote\" ,", "é ü 中", "", "  ", "end\r"]
    n = len(texts)
    frame = pd.DataFrame({
        "indicator_id": [f"awk-{k}" for k in range(n)], "area_code": texts, "area_name": texts[::-1], "period": ["2020"] * n,
        "period_type": [""] * n, "category_type": texts, "category": [""] * n,
        "value": [0.1 + 0.2, -0.0, 1e-300, 1.7976931348623157e308, np.nan, 5e-324, 1 / 3, -2.5, 123456789.123456789],
        "lower_ci": [np.nan] * n, "upper_ci": [1.0] * n, "count": [3.0] * n, "denominator": [np.nan] * n,
        "source": pd.Series(["", "s", "\\", "t", "u", "", "v", "w", "x"], dtype="str"), "note": texts,
    })
    frame = pd.concat([frame] * 12, ignore_index=True)  # 108 rows: two statements of 50 rows on SQLite, then 8 one by one
    frame["indicator_id"] = [f"awk-{k}" for k in range(len(frame))]
    columns = list(OBSERVATION_COLUMNS)
    catalogue = pd.DataFrame({c: [f"{c}-{k}" for k in range(120)] for c in INDICATOR_COLUMNS})  # 17 values a row, 120 rows
    with store.engine.begin() as conn:
        _insert_frame(conn, observations, frame, columns, 7)
        _insert_frame(conn, indicators, catalogue, list(INDICATOR_COLUMNS), 7)
    with store.engine.connect() as conn:
        got = conn.execute(select(*[observations.c[c] for c in columns]).where(observations.c.valid_from == 7)
                           .order_by(observations.c.row_id)).all()
    want = [tuple(r.values()) for r in _records(frame, columns)]
    assert [tuple(r) for r in got] == want
    with store.engine.connect() as conn:
        stored = conn.execute(select(*[indicators.c[c] for c in INDICATOR_COLUMNS]).where(indicators.c.valid_from == 7)
                              .order_by(indicators.c.row_id)).all()
    assert [tuple(r) for r in stored] == [tuple(r) for r in catalogue.itertuples(index=False, name=None)]
    assert got[0][columns.index("lower_ci")] is None and got[6][columns.index("area_code")] == ""


def test_pub007_the_insert_pauses_garbage_collection_and_restores_it_as_it_was(store):
    import gc
    import sqlite3

    import psycopg

    from data.storage.store import _insert_frame
    from data.storage.tables import observations

    seen = []
    frame = pd.DataFrame({c: [1.0] if c in NUMERIC_OBSERVATION_COLUMNS else ["x"] for c in OBSERVATION_COLUMNS})
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            with store.engine.begin() as conn:
                _insert_frame(conn, observations, frame.assign(indicator_id=f"gc-{enabled}"), list(OBSERVATION_COLUMNS), 5)
            seen.append(gc.isenabled())
        gc.enable()
        refused = (sqlite3.IntegrityError, psycopg.errors.NotNullViolation)  # a NOT NULL column left out
        with pytest.raises(refused), store.engine.begin() as conn:
            _insert_frame(conn, observations, frame.assign(source=[None]), list(OBSERVATION_COLUMNS), 5)
        seen.append(gc.isenabled())
    finally:
        gc.enable()
    assert seen == [True, False, True]


def test_pub008_a_publish_of_rows_held_as_categoricals_stores_and_serves_what_plain_rows_do(store_url, tmp_path):
    """publish takes the typed rows compact (Categorical text columns) as well as plain: the same stored rows,
    and a new version's snapshot equal to a load from the store."""
    from sqlalchemy import select

    from data.storage.store import Store, _records
    from data.storage.tables import observations
    from tests.unit.test_store import NO_NEW_INDICATORS

    store = Store(store_url, instance=tmp_path / "instance")
    store.setup()
    try:
        obs = store.load_dataset().observations
        plain = obs[obs["indicator_id"] == "reception-overweight"].copy()
        plain["value"] = plain["value"] + 1.5  # every row changed
        plain["note"] = "changed"
        extra = plain.iloc[:2].assign(area_code=["E0000000X", "E0000000Y"], area_name=["Zed", "Ay"])  # two rows added
        plain = pd.concat([plain, extra])
        text = [c for c in plain.columns if plain[c].dtype != "float64" and plain[c].dtype.kind != "M"]
        version = store.publish(plain.astype({c: "category" for c in text}), NO_NEW_INDICATORS, user="t", file_name="f",
                                sha256="x", base_version=1)
        columns = list(OBSERVATION_COLUMNS)
        with store.engine.connect() as conn:
            got = conn.execute(select(*[observations.c[c] for c in columns]).where(observations.c.valid_from == version)
                               .order_by(observations.c.row_id)).all()
            from_db = store.load_dataset_in(conn, version, compact=True)
        assert [tuple(r) for r in got] == [tuple(r.values()) for r in _records(plain, columns)]
        served = store.load_dataset(compact=True)  # the snapshot the publish wrote
        pd.testing.assert_frame_equal(served.observations, from_db.observations, check_exact=True)
        assert (served.observations["area_name"] == "Zed").sum() == 1
    finally:
        store.dispose()


_ANY_CELL = ["a", "b", "", " b", "é", None, np.nan, pd.NA, 3, 3.0, 2.5, b"by", "3", "nan", "None"]


def _old_text_categorical(column: pd.Series) -> pd.Categorical:
    """_text_categorical before round 3: pd.factorize of the column itself."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, values = column.cat.codes.to_numpy(), column.cat.categories
    else:
        codes, values = pd.factorize(column)
    text = [v if isinstance(v, str) else (v.decode() if isinstance(v, bytes) else str(v)) for v in values]
    codes = np.asarray(codes, dtype=np.int64)
    if len(codes) and codes.min() < 0:
        text.append("")
        codes = np.where(codes < 0, len(text) - 1, codes)
    if not text:
        return pd.Categorical.from_codes(np.full(len(codes), -1), categories=pd.Index([], dtype=str))
    distinct, inverse = np.unique(np.array(text, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(np.append(inverse.astype(np.int64), -1)[codes], categories=pd.Index(distinct, dtype=str))


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(st.sampled_from(_ANY_CELL), max_size=10),
       kind=st.sampled_from(["object", "str", "string[python]", "category"]))
def test_pub009_text_categorical_is_as_before_and_fillna_then_astype_str(cells, kind):
    """_text_categorical (which now factorizes the Python objects of an object or python-string column) against
    the code before it and against the plain definition, column.fillna("").astype(str) with its distinct values
    sorted as categories (except that 3 and 3.0 in one object column are one value to factorize, as before)."""
    column = pd.Series(cells, dtype=object)
    if kind != "object":
        column = pd.Series([c for c in cells if isinstance(c, str) or c is None or c is np.nan], dtype=object)
        column = column.astype(kind)
    got, before = _text_categorical(column), _old_text_categorical(column)
    assert list(got.categories) == list(before.categories)
    assert (got.codes == before.codes).all()
    if not (any(type(c) is int for c in cells) and any(type(c) is float and c == 3.0 for c in cells)):
        plain = column.astype(object).fillna("").astype(str)
        assert list(got.astype(object)) == list(plain)
        assert list(got.categories) == sorted(set(plain))
