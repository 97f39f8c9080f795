"""Fingertips' own "Compared to England" kept in each area-total row's note (issue 12 leftovers), and read
back as the stated comparison in the status (data/domain/significance.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.domain.significance import STATED, stated_comparison
from data.domain.status import indicator_status
from data.ingest import upload_jobs
from data.ingest.formats.fingertips import comparison_word, with_comparison
from data.ingest.indicator_choices import read_choices

RAW = Path(__file__).resolve().parents[1] / "data" / "fingertips" / "raw-download-example.csv"
HEADER = "source_id,map_to,name,unit,polarity,set,age_band,period_basis\n"
EDITOR = "editor@example.org"
YORK = "E06000014"


@pytest.fixture
def store(sqlite_store):
    return sqlite_store  # SQLite only (tests/unit/conftest.py)


@pytest.mark.parametrize(("cell", "word"), [
    ("Better", "Better"), ("Better 95%", "Better"), ("Worse 99.8%", "Worse"), ("similar", "Similar"),
    ("Higher 95%", "Higher"), ("Lower", "Lower"), ("Not compared", ""), ("", ""), ("  ", ""),
    ("Highest quintile", ""), ("Lowest", ""), ("Middle quintile", ""), ("Betterment", ""),
])
def test_ftc001_comparison_word_normalises_fingertips_labels(cell, word):
    assert comparison_word(cell) == word


def test_ftc002_with_comparison_appends_to_totals_only():
    notes = np.array(["", "Value suppressed", "", "", ""], dtype=object)
    compared = np.array(["Better 95%", "Worse 99.8%", "Not compared", "Similar", "Lower"], dtype=object)
    types = np.array(["", "", "", "Deprivation decile", ""], dtype=object)
    out = with_comparison(notes, compared, types)
    assert out.tolist() == ["Compared with England: Better", "Value suppressed; Compared with England: Worse", "", "",
                            "Compared with England: Lower"]
    assert notes.tolist() == ["", "Value suppressed", "", "", ""]  # the input is not changed
    assert [stated_comparison(n) for n in out] == ["Better", "Worse", None, None, "Lower"]


def test_ftc003_raw_download_york_status_uses_the_files_own_comparison(store):
    job = upload_jobs.preview_upload(store, RAW.read_bytes(), RAW.name, EDITOR)
    job = upload_jobs.choose(store, job["id"], read_choices(HEADER + "93356,,,,,Fingertips indicators,,\n"), EDITOR)
    upload_jobs.publish_job(store, job["id"], EDITOR)
    ds = store.load_dataset()

    raw = pd.read_csv(RAW, dtype=str, keep_default_na=False, index_col=False)
    york_raw = raw[(raw["Area Code"] == YORK) & (raw["Age"] == "All ages") & (raw["Category Type"] == "")]
    latest = york_raw.sort_values("Time period Sortable").iloc[-1]
    expected = comparison_word(latest["Compared to England value or percentiles"])
    assert expected  # the file states one for York's latest period

    st = indicator_status(ds).loc["fingertips-93356"]
    assert st["latest_period"] == latest["Time period"]
    assert (st["comparison"], st["comparison_basis"]) == (expected, STATED)

    obs = ds.observations
    mine = obs[obs["indicator_id"] == "fingertips-93356"]
    totals = mine[mine["category_type"] == ""].set_index(["area_code", "period"])["note"]
    every_total = raw[raw["Age"] == "All ages"]  # the headline age: the area totals
    for _, r in every_total.iterrows():
        word = comparison_word(r["Compared to England value or percentiles"])
        assert stated_comparison(totals.loc[(r["Area Code"], r["Time period"])]) == (word or None), (r["Area Code"], r["Time period"])
    breakdowns = mine[mine["category_type"] != ""]
    assert len(breakdowns) and not breakdowns["note"].str.contains("Compared with England").any()
