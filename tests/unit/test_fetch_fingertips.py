"""Fetch from Fingertips (data/ingest/fetch_fingertips.py) against a local server of recorded answers.

No test reaches the network: tests/fingertips_server.py serves the files in tests/data/fingertips_api/
(the data answers are real Fingertips files; the metadata answers are fixtures constructed in the API's
CSV layout, their text fields assumptions: see tests/data/README.md) from 127.0.0.1 on an ephemeral port.
"""
from __future__ import annotations

import csv
import io
import socket

import pandas as pd
import pytest
from sqlalchemy import func, select

from data.domain.dataset import load_bundled
from data.ingest.fetch_fingertips import (
    INDICATOR_CSV_COLUMNS,
    FetchError,
    age_band,
    fetch,
    map_period_basis,
    map_polarity,
    map_unit,
    parse_ids,
    run_job,
)
from data.ingest.importer import read_upload
from data.ingest.indicator_choices import read_choices
from data.ingest.upload_jobs import READY, choose, publish_job
from data.storage.tables import uploads
from tests.fingertips_server import RECORDED, recorded_fingertips

TIMEOUT = 5.0


@pytest.fixture(scope="module")
def server():
    with recorded_fingertips() as s:
        yield s


@pytest.fixture
def faults(server):
    server.faults.clear()
    yield server.faults
    server.faults.clear()


@pytest.fixture(scope="module")
def catalogue():
    return load_bundled().indicators


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# -- the pure mappings ----------------------------------------------------------------------------

@pytest.mark.parametrize(("unit", "value_type", "expected"), [
    ("per 100,000", "Crude rate", "rate per 100,000"),
    ("per 100,000", "Directly standardised rate", "rate per 100,000"),
    ("per 1,000", "Crude rate", "rate per 1,000"),
    ("%", "Proportion", "%"),
    ("", "Proportion", "%"),
    ("", "Count", "count"),
    ("Count", "Count", "count"),
    ("per 10,000", "Crude rate", None),
    ("years", "Life expectancy", None),
    ("per 100", "Crude rate", None),
])
def test_fch001_unit_from_fingertips_unit_and_value_type(unit, value_type, expected):
    assert map_unit(unit, value_type) == expected


@pytest.mark.parametrize(("polarity", "expected"), [
    ("RAG - Low is good", "lower is better"),
    ("RAG - Low is good   ", "lower is better"),
    ("RAG - High is good", "higher is better"),
    ("BOB - Blue orange blue", "no judgement"),
    ("Not applicable", "no judgement"),
    ("RAG - Middle is good", None),
    ("", None),
])
def test_fch002_polarity_from_fingertips_polarity(polarity, expected):
    assert map_polarity(polarity) == expected


def test_fch003_period_basis_and_age_band():
    assert [map_period_basis(y) for y in ("Financial", "Academic", "Calendar", "Financial year end point", "")] == [
        "financial year", "academic year", "calendar year", "financial year", ""]
    assert age_band(["10-24 yrs"] * 3) == "10-24"
    assert age_band(["4-5 yrs"]) == "4-5"
    assert age_band(["All ages", "All ages"]) == ""
    assert age_band(["All ages", "0-9 yrs"]) == ""  # several ages: the preview asks
    assert age_band(["16+ yrs"]) == "16+"


@pytest.mark.parametrize(("text", "message"), [
    ("", "at least one"),
    ("93356, abc", "'abc' is not a Fingertips indicator id"),
    ("93356 -1", "'-1' is not"),
    (" ".join(str(i) for i in range(1, 30)), "at most 20"),
])
def test_fch004_ids_that_are_not_ids_are_refused_by_name(text, message):
    with pytest.raises(ValueError, match=message):
        parse_ids(text)


def test_fch004b_ids_are_read_in_order_once():
    assert parse_ids("93356, 20601;93356\n0090813") == ["93356", "20601", "90813"]


# -- fetching from the recorded server -------------------------------------------------------------

def test_fch005_fetch_gives_the_download_csv_and_the_indicator_metadata(server, faults, catalogue):
    fetched = fetch("93356", 102, base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue)
    recorded = [r for r in _rows((RECORDED / "all_data_93356.csv").read_bytes()) if r]
    got = _rows(fetched.data_csv)
    assert got[0] == recorded[0]  # the Download-data header, as Fingertips wrote it
    # every recorded row, cell for cell (the short 25-field rows padded to the header's 26)
    assert [r[:25] for r in got[1:]] == [r[:25] for r in recorded[1:]]
    assert fetched.rows == {"93356": 852}
    ind = pd.read_csv(io.BytesIO(fetched.indicators_csv), dtype=str, keep_default_na=False)
    assert tuple(ind.columns) == INDICATOR_CSV_COLUMNS
    rec = ind.iloc[0].to_dict()
    assert rec["source_id"] == "93356" and rec["map_to"] == ""
    assert rec["name"] == "Campylobacter incidence rate/100,000"
    assert (rec["unit"], rec["polarity"], rec["period_basis"]) == ("rate per 100,000", "lower is better", "calendar year")
    assert rec["source"] == "OHID Fingertips, OGL v3.0 (indicator 93356)"
    assert rec["set"] == ""  # a new indicator: the editor chooses its set
    assert any("choose its set" in w for w in fetched.warnings)
    # the query fingertips_py's get_data_by_indicator_ids makes
    assert any("all_data/csv/by_indicator_id?indicator_ids=93356&child_area_type_id=102&parent_area_type_id=15" in p
               for p in server.requests)
    # the importer reads the fetched data as it reads the same file uploaded
    result = read_upload(fetched.data_csv, fetched.file_name, catalogue)
    assert result.valid, result.problems[:3]
    assert result.row_count == 852


def test_fch006_an_indicator_the_catalogue_holds_maps_onto_it(server, faults, catalogue):
    fetched = fetch(["20601", "93356"], "102", base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue)
    ind = fetched.indicators.set_index("source_id")
    assert ind.loc["20601", "map_to"] == "reception-overweight"
    assert ind.loc["20601", "unit"] == catalogue.loc["reception-overweight", "unit"]
    assert ind.loc["20601", "age_band"] in ("4-5", catalogue.loc["reception-overweight", "age_band"])
    assert ind.loc["93356", "map_to"] == ""
    got = _rows(fetched.data_csv)
    assert [r[0] for r in got[1:]].count("20601") == fetched.rows["20601"] > 0
    assert [r[0] for r in got[1:]].count("93356") == 852
    result = read_upload(fetched.data_csv, fetched.file_name, catalogue)
    assert result.valid, result.problems[:3]
    assert set(result.rows["indicator_id"]) == {"reception-overweight", "fingertips-93356"}


FAULTS = [
    (("data", "93356"), "http500", "indicator 93356 (data, area type 102): Fingertips answered HTTP 500"),
    (("metadata", "93356"), "http404", "indicator 93356 (metadata): Fingertips answered HTTP 404"),
    (("data", "93356"), "html", "indicator 93356 (data, area type 102): Fingertips answered with an HTML page"),
    (("metadata", "93356"), "json", "indicator 93356 (metadata): Fingertips answered with JSON"),
    (("data", "93356"), "no-value-column", "lacks the column(s) 'Value'"),
    (("data", "93356"), "not-utf8", "not UTF-8 text"),
    (("data", "93356"), "other-indicator", "2 of Fingertips' 854 rows are not indicator 93356"),
]


@pytest.mark.parametrize(("where", "fault", "message"), FAULTS, ids=[f[1] for f in FAULTS])
def test_fch007_http_errors_and_unexpected_formats_name_the_id_and_change_nothing(
        server, faults, catalogue, sqlite_store, where, fault, message):
    faults[where] = fault
    head = sqlite_store.head_version()
    with pytest.raises(FetchError) as raised:
        fetch(["20601", "93356"], 102, base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue)
    assert message in str(raised.value)
    assert "nothing was changed" in str(raised.value)
    assert sqlite_store.head_version() == head
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(uploads)).scalar_one() == 0


def test_fch008_a_server_that_does_not_answer_times_out_with_a_clear_message(server, faults, catalogue):
    faults[("metadata", "93356")] = "hang"
    with pytest.raises(FetchError, match=r"indicator 93356 \(metadata\): Fingertips did not answer within 0.3 seconds"):
        fetch("93356", 102, base_url=server.base_url, timeout=0.3, catalogue=catalogue)


def test_fch009_an_unknown_id_and_an_empty_area_type_are_named(server, faults, catalogue):
    with pytest.raises(FetchError, match="Fingertips has no indicator 99999999"):
        fetch("99999999", 102, base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue)
    with pytest.raises(FetchError, match="Fingertips has no data for indicator 93356 at area type 7"):
        fetch("93356", 7, base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fch010_an_unreachable_server_is_named(catalogue):
    url = f"http://127.0.0.1:{_closed_port()}/api/"
    with pytest.raises(FetchError, match=r"indicator 93356 \(metadata\): could not reach Fingertips at http://127.0.0.1:\d+/api/"):
        fetch("93356", 102, base_url=url, timeout=TIMEOUT, catalogue=catalogue)


def test_fch011_the_fetch_becomes_an_upload_job_with_its_preview_and_publishes(server, faults, sqlite_store):
    dataset = sqlite_store.load_dataset()
    fetched = fetch(["93356"], 102, base_url=server.base_url, timeout=TIMEOUT, catalogue=dataset.indicators)
    job = run_job(sqlite_store, fetched, "editor@example.org")
    assert job["stage"] == READY, job["errors"]
    assert job["file_name"] == "Fingertips fetch: indicators 93356 (area type 102).csv"
    assert job["summary"]["rows"] == 852
    assert job["summary"]["new_indicators"] == ["fingertips-93356"]
    # What Fingertips says the indicator is reaches the preview; what it cannot say (the set) waits for the editor.
    (entry,) = job["summary"]["indicators"]
    assert entry["fields"]["name"]["value"] == "Campylobacter incidence rate/100,000"
    assert entry["fields"]["unit"]["value"] == "rate per 100,000"
    assert [n["field"] for n in job["summary"]["needs_choice"]] == ["set"]
    before = sqlite_store.head_version()
    with pytest.raises(ValueError, match="choose first"):
        publish_job(sqlite_store, job["id"], "editor@example.org")
    assert sqlite_store.head_version() == before
    choose(sqlite_store, job["id"], read_choices("source_id,set\n93356,Fingertips indicators\n"))
    version = publish_job(sqlite_store, job["id"], "editor@example.org")
    assert version == before + 1
    served = sqlite_store.load_dataset()
    assert (served.observations["indicator_id"] == "fingertips-93356").sum() == 852
    assert served.indicator("fingertips-93356")["unit"] == "rate per 100,000"


def test_fch012_the_base_url_and_timeout_are_settings():
    from data.settings import Settings, SettingsError

    assert Settings.from_env({}).fingertips_api_url == "https://fingertips.phe.org.uk/api/"
    assert Settings.from_env({}).fingertips_timeout == 30.0
    got = Settings.from_env({"FINGERTIPS_API_URL": "http://127.0.0.1:9/api", "FINGERTIPS_TIMEOUT": "2.5"})
    assert (got.fingertips_api_url, got.fingertips_timeout) == ("http://127.0.0.1:9/api/", 2.5)
    with pytest.raises(SettingsError, match="FINGERTIPS_API_URL"):
        Settings.from_env({"FINGERTIPS_API_URL": "file:///etc/passwd"})
    with pytest.raises(SettingsError, match="FINGERTIPS_TIMEOUT"):
        Settings.from_env({"FINGERTIPS_TIMEOUT": "0"})


def test_fch013_our_endpoints_are_fingertips_py_s_and_it_reads_the_recorded_answers(server, faults, monkeypatch):
    """The maintained client (fingertips_py, a test dependency) asks the same URLs as our fetch, and reads
    the recorded answers as the same table: the local server speaks the API's real formats."""
    from fingertips_py import metadata as ftp_metadata
    from fingertips_py import retrieve_data as ftp_data

    from data.ingest.fetch_fingertips import data_url, metadata_url

    # fingertips_py copies base_url into each module at import: both must be pointed at the local server.
    monkeypatch.setattr(ftp_data, "base_url", server.base_url)
    monkeypatch.setattr(ftp_metadata, "base_url", server.base_url)
    frame, url = ftp_data.get_data_by_indicator_ids(93356, 102, is_test=True)
    assert url == data_url(server.base_url, "93356", 102)
    assert len(frame) == 852 and list(frame.columns[:2]) == ["Indicator ID", "Indicator Name"]
    meta, url = ftp_metadata.get_metadata_for_indicator_as_dataframe(93356, is_test=True)
    assert url == metadata_url(server.base_url, "93356")
    assert meta.loc[0, "Unit"] == "per 100,000" and meta.loc[0, "Polarity"] == "RAG - Low is good"
    fetched = fetch("93356", 102, base_url=server.base_url, timeout=TIMEOUT)
    ours = pd.read_csv(io.BytesIO(fetched.data_csv), low_memory=False)
    assert ours["Value"].equals(frame["Value"]) and ours["Area Code"].equals(frame["Area Code"])


def test_fch014_a_scheduled_fetch_may_name_the_set_of_new_indicators(server, faults, catalogue):
    fetched = fetch("93356", 102, base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue, new_set="Local context")
    assert fetched.indicators.loc[0, "set"] == "Local context"
    assert not any("choose its set" in w for w in fetched.warnings)
    with pytest.raises(FetchError, match="set 'Nowhere' is not one of"):
        fetch("93356", 102, base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue, new_set="Nowhere")


def test_fch015_a_fetch_stops_when_its_overall_budget_is_spent(server, faults, catalogue):
    faults[("data", "93356")] = "hang"  # the metadata answers; the data never does
    with pytest.raises(FetchError) as raised:
        fetch(["93356", "20601"], 102, base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue, budget=0.5)
    assert str(raised.value).startswith(
        "indicator 93356 (data, area type 102): the fetch took longer than 0.5 seconds in all, so it was stopped; nothing was changed")


def test_fch016_a_fetch_is_never_bigger_than_an_upload_may_be(server, faults, catalogue):
    size = len((RECORDED / "all_data_93356.csv").read_bytes())
    with pytest.raises(FetchError, match=r"indicator 93356 \(data, area type 102\): Fingertips' answer is larger than"):
        fetch("93356", 102, base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue, max_bytes=size - 1)
    each = max(size, len((RECORDED / "all_data_20601.csv").read_bytes())) + 10  # each answer fits, not both together
    with pytest.raises(FetchError, match=r"indicators 93356, 20601: the fetched data \(0.4 MB\) is larger than 0.214 MB"):
        fetch("93356, 20601", 102, base_url=server.base_url, timeout=TIMEOUT, catalogue=catalogue, max_bytes=each)
