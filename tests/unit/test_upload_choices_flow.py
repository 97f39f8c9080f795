"""Upload -> preview with names, units, periods -> confirm -> publish -> history -> rollback, at the
store level (issue 12 points 1, 4, 7), for the two real Fingertips files in tests/data/:
the raw download (indicator 93356) and the file built from the shared extracts."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from data.domain.periods import ACADEMIC_YEAR, CALENDAR_YEAR
from data.ingest import upload_jobs
from data.ingest.indicator_choices import ChoiceError, read_choices
from data.storage.store import Store
from data.storage.tables import uploads

DATA = Path(__file__).resolve().parents[1] / "data"
RAW = DATA / "fingertips" / "raw-download-example.csv"
EXTRACTS_FILE = DATA / "fingertips-from-extracts.csv"
HEADER = "source_id,map_to,name,unit,polarity,set,age_band,period_basis\n"
EDITOR = "editor@example.org"


@pytest.fixture
def store(sqlite_store):
    return sqlite_store  # SQLite only (tests/unit/conftest.py)


def frames(store: Store, version: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    ds = store.load_dataset(version)
    key = ["indicator_id", "area_code", "period", "category_type", "category"]
    return ds.indicators.reset_index(drop=True), ds.observations.sort_values(key).reset_index(drop=True)


def test_ing101_raw_download_preview_confirm_publish_history_and_rollback(store):
    first = store.head_version()
    before = frames(store)
    content = RAW.read_bytes()
    job = upload_jobs.preview_upload(store, content, RAW.name, EDITOR)
    assert job["stage"] == "ready"
    summary = job["summary"]
    (entry,) = summary["indicators"]
    assert entry["fields"]["name"]["value"] == "Campylobacter incidence rate/100,000"
    assert entry["fields"]["unit"]["value"] == "rate per 100,000" and entry["periods"] == ["2015", "2016", "2017"]
    assert [w["field"] for w in summary["needs_choice"]] == ["set"]

    with pytest.raises(ValueError, match="choose first"):
        upload_jobs.publish_job(store, job["id"], EDITOR)
    assert store.head_version() == first

    with pytest.raises(ChoiceError):  # a set the schema lacks: the job is left as it was
        upload_jobs.choose(store, job["id"], read_choices(HEADER + "93356,,,,,Campylobacter,,\n"), EDITOR)
    assert upload_jobs.get_job(store, job["id"])["summary"] == summary

    job = upload_jobs.choose(store, job["id"], read_choices(HEADER + "93356,,Campylobacter notifications,,,Fingertips indicators,,\n"), EDITOR)
    assert job["summary"]["needs_choice"] == []
    version = upload_jobs.publish_job(store, job["id"], EDITOR)
    assert version == first + 1

    cat, obs = frames(store)
    made = cat.set_index("id").loc["fingertips-93356"]
    assert (made["name"], made["unit"], made["polarity"], made["set"], made["period_basis"], made["fingertips_id"]) == (
        "Campylobacter notifications", "rate per 100,000", "lower is better", "Fingertips indicators", CALENDAR_YEAR, "93356")
    mine = obs[obs["indicator_id"] == "fingertips-93356"]
    raw = pd.read_csv(RAW, dtype=str, keep_default_na=False, index_col=False)
    assert len(mine) == len(raw) and set(mine["area_code"]) == set(raw["Area Code"])
    totals = mine[mine["category_type"] == ""]
    assert not totals.duplicated(["area_code", "period"]).any()  # deprivation rows never pose as totals
    (published,) = [v for v in store.versions() if v["version"] == version]
    assert (published["action"], published["new_indicators"], published["pending_cleared"]) == ("publish", 1, "")

    restored = store.restore(first, user=EDITOR)
    after_cat, after_obs = frames(store, restored)
    pd.testing.assert_frame_equal(after_cat, before[0])
    pd.testing.assert_frame_equal(after_obs, before[1])


def test_ing102_extracts_file_joins_catalogue_indicators_every_area_academic_years_kept(store):
    first = store.head_version()
    content = EXTRACTS_FILE.read_bytes()
    job = upload_jobs.preview_upload(store, content, EXTRACTS_FILE.name, EDITOR)
    assert job["stage"] == "ready", job["errors"][:3]
    summary = job["summary"]
    assert summary["indicators"] == [] and summary["needs_choice"] == [] and summary["new_indicators"] == []
    names = {m["indicator_id"]: m["name"] for m in summary["matched"]}
    assert len(names) == 7 and names["reception-overweight"].startswith("reception year children")
    version = upload_jobs.publish_job(store, job["id"], EDITOR)
    assert version == first + 1
    _, obs = frames(store)
    raw = pd.read_csv(EXTRACTS_FILE, dtype=str, keep_default_na=False)
    assert set(raw["Area Code"]) <= set(obs["area_code"])
    reception = obs[(obs["indicator_id"] == "reception-overweight") & (obs["period"] == "2016/17")]
    assert len(reception) == int(((raw["Indicator ID"] == "20601") & (raw["Time period"] == "2016/17")).sum()) > 300
    assert set(reception["period_type"]) == {ACADEMIC_YEAR}
    assert set(reception["period_start"]) == {pd.Timestamp("2016-09-01")}


def test_ing103_choices_sent_with_the_file_and_a_wrong_one_makes_the_job_invalid(store):
    content = RAW.read_bytes()
    job = upload_jobs.preview_upload(store, content, RAW.name, EDITOR, HEADER + "93356,,,,,Aged 2-5,,\n")
    assert job["stage"] == "ready" and job["summary"]["needs_choice"] == []
    assert job["summary"]["indicators"][0]["fields"]["set"]["value"] == "Aged 2-5"
    bad = upload_jobs.preview_upload(store, content, RAW.name, EDITOR, HEADER + "93356,,,,sideways,,,\n")
    assert bad["stage"] == "invalid"
    assert [(e["row"], e["column"]) for e in bad["errors"]] == [(1, "polarity")]
    with pytest.raises(ChoiceError):
        upload_jobs.preview_upload(store, content, RAW.name, EDITOR, "colour\nred\n")


def test_ing104_mapping_the_file_indicator_onto_a_catalogue_one_joins_its_history(store):
    first = store.head_version()
    job = upload_jobs.preview_upload(store, RAW.read_bytes(), RAW.name, EDITOR,
                                     HEADER + "93356,dental-caries-admissions-0-5,,,,,,\n")
    summary = job["summary"]
    assert summary["needs_choice"] == [] and summary["indicators"][0]["map_to"] == "dental-caries-admissions-0-5"
    # the payload keeps the file's rows as read; the choices are applied on publish
    with store.engine.connect() as conn:
        assert conn.execute(select(uploads.c.payload).where(uploads.c.id == job["id"])).scalar()
    upload_jobs.publish_job(store, job["id"], EDITOR)
    cat, obs = frames(store)
    assert "fingertips-93356" not in set(cat["id"]) and len(cat) == len(frames(store, first)[0])
    assert int((obs["indicator_id"] == "dental-caries-admissions-0-5").sum()) > 800
    assert json.loads(json.dumps(store.versions()[0]))["new_indicators"] == 0


def test_ing105_mapping_onto_an_indicator_of_another_unit_is_refused_naming_the_row(store):
    first = store.head_version()
    # Campylobacter rates per 100,000 (up to ~1,467) cannot join reception-overweight, a percentage.
    job = upload_jobs.preview_upload(store, RAW.read_bytes(), RAW.name, EDITOR, HEADER + "93356,reception-overweight,,,,,,\n")
    assert job["stage"] == "invalid"
    assert job["errors"] and all(e["column"] == "map_to" for e in job["errors"])
    assert "cannot join reception-overweight" in job["errors"][0]["message"] and "0-100" in job["errors"][0]["message"]
    ready = upload_jobs.preview_upload(store, RAW.read_bytes(), RAW.name, EDITOR)
    with pytest.raises(ChoiceError):
        upload_jobs.choose(store, ready["id"], read_choices(HEADER + "93356,reception-overweight,,,,,,\n"), EDITOR)
    assert upload_jobs.get_job(store, ready["id"])["summary"]["indicators"][0]["map_to"] == ""
    assert store.head_version() == first
