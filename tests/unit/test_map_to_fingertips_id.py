"""A map_to choice gives the catalogue indicator the upload's Fingertips id (issue 12 point 7, leftovers):
set at publish when it has none, recorded in the version history, undone by a rollback."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.ingest import upload_jobs
from data.storage.store import Store
from layouts.upload import pending_moves

RAW = Path(__file__).resolve().parents[1] / "data" / "fingertips" / "raw-download-example.csv"
HEADER = "source_id,map_to,name,unit,polarity,set,age_band,period_basis\n"
EDITOR = "editor@example.org"
TARGET = "dental-caries-admissions-0-5"


@pytest.fixture
def store(sqlite_store):
    return sqlite_store  # SQLite only (tests/unit/conftest.py)


def fingertips_id(store: Store, ind_id: str, version: int | None = None) -> str:
    cat = store.catalogue(version)
    return str(cat.loc[cat["id"] == ind_id, "fingertips_id"].iloc[0] or "")


def test_ftid001_map_to_sets_the_fingertips_id_history_and_rollback(store):
    first = store.head_version()
    order = list(store.catalogue()["id"])
    assert fingertips_id(store, TARGET) == ""
    job = upload_jobs.preview_upload(store, RAW.read_bytes(), RAW.name, EDITOR, HEADER + f"93356,{TARGET},,,,,,\n")
    version = upload_jobs.publish_job(store, job["id"], EDITOR)

    assert fingertips_id(store, TARGET) == "93356"
    assert list(store.catalogue()["id"]) == order  # the catalogue keeps its order; no indicator added
    (published,) = [v for v in store.versions() if v["version"] == version]
    assert published["fingertips_ids_set"] == f"{TARGET}=93356"
    assert pending_moves(published) == f"Fingertips id set: {TARGET} takes 93356"
    ds = store.load_dataset()
    assert ds.indicators.loc[TARGET, "fingertips_id"] == "93356"  # the snapshot readers serve has it too

    # The next upload of that id joins the indicator by itself: no new indicator, no choice to make.
    again = upload_jobs.preview_upload(store, RAW.read_bytes(), RAW.name, EDITOR)
    assert again["stage"] == "ready"
    assert again["summary"]["needs_choice"] == [] and again["summary"]["new_indicators"] == []

    restored = store.restore(first, user=EDITOR)
    assert fingertips_id(store, TARGET, restored) == ""
    assert store.load_dataset(restored).indicators.loc[TARGET, "fingertips_id"] == ""


def test_ftid002_store_sets_only_an_empty_id_no_other_indicator_holds(store):
    cat = store.catalogue()
    held = cat[cat["fingertips_id"].astype(str).str.strip() != ""].iloc[0]
    empty = cat[cat["fingertips_id"].astype(str).str.strip() == ""]["id"].tolist()
    no_rows = pd.DataFrame(columns=store.load_dataset().observations.columns)
    no_new = cat.iloc[0:0]
    version = store.publish(no_rows.iloc[0:0], no_new, user=EDITOR, file_name="x.csv", sha256="0" * 64, base_version=None,
                            fingertips_ids={held["id"]: "99999", empty[0]: str(held["fingertips_id"]), empty[1]: "88888",
                                            "no-such-indicator": "77777"})
    after = store.catalogue(version).set_index("id")["fingertips_id"]
    assert after[held["id"]] == held["fingertips_id"]  # an id it has is kept
    assert after[empty[0]] == ""  # another indicator holds that id
    assert after[empty[1]] == "88888"
    (v,) = [v for v in store.versions() if v["version"] == version]
    assert v["fingertips_ids_set"] == f"{empty[1]}=88888"
