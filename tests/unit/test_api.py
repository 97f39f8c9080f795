"""The data API (callbacks/api.py) on the bundled data, end to end through Flask's test client."""
import csv
import io
import json

import pandas as pd
import pytest

from callbacks.context import EXTENSION_KEY
from data.domain.dataset import BUNDLED, build_dataset, read_csv_text
from data.domain.export import EXPORT_COLUMNS

YORK = "E06000014"
REPORT = "Annual Report 2023/24"
STATUSES = {"current", "recent", "pending", "overdue", "out_of_date"}
INDICATOR_FIELDS = {"id", "name", "set", "unit", "polarity", "latest_period", "latest_value",
                    "status", "pending", "pending_reason", "source"}


def csv_rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture(scope="module")
def all_rows(client):
    return csv_rows(client.get("/api/observations.csv"))


def test_api001_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "data_version": 1}


# ---- report figures, pinned to the numbers printed in the report ------------------------------

PINNED = [
    # indicator_id, period, value, unit   (York area totals, as printed in the report text)
    ("smoking-at-delivery", "22/23", 8.1, "%"),
    ("breastfeeding-6-8-weeks", "Q2 23/24", 50, "%"),
    ("infant-mortality", "20-22", 3.1, "rate per 1,000"),
    ("reception-overweight", "22/23", 19.9, "%"),
    ("year6-overweight", "22/23", 32.5, "%"),
    ("dental-caries-admissions-0-5", "20/21-22/23", 126.6, "rate per 100,000"),
    ("hsb-shared-understanding", "Feb 2022", 91, "%"),
    ("hsb-shared-understanding", "June 2023", 95, "%"),
    ("nrm-decision-time", "2023/24", 45, "days"),
    ("webinar-attendees", "2023/24", 937, "count"),
    ("webinar-responses", "2023/24", 489, "count"),
    ("elearning-completions", "2023/24", 681, "count"),
    ("training-attendees", "2023/24", 410, "count"),
    ("partnership-income", "2023/24", 161522, "£"),
    ("children-in-care", "Q1 24/25", 245, "count"),
    ("x-followers", "not stated", 1150, "count"),
]


@pytest.mark.parametrize("indicator, period, value, unit", PINNED, ids=[f"{p[0]}@{p[1]}" for p in PINNED])
def test_api002_report_figure_end_to_end(all_rows, indicator, period, value, unit):
    matches = [r for r in all_rows if r["indicator_id"] == indicator and r["period"] == period
               and r["area_code"] == YORK and r["category"] == ""]
    assert len(matches) == 1, matches
    row = matches[0]
    assert float(row["value"]) == value
    assert row["unit"] == unit
    assert row["source"].startswith(REPORT)


def test_api003_every_bundled_observation_is_reachable(all_rows):
    bundled_rows = sum(len(read_csv_text(p)) for p in BUNDLED.glob("*_observations.csv"))
    assert len(all_rows) == bundled_rows
    assert all(r["source"].strip() for r in all_rows)


def test_api004_csv_has_the_export_columns(client):
    header = client.get("/api/observations.csv").get_data(as_text=True).splitlines()[0]
    assert header.split(",") == list(EXPORT_COLUMNS)


def _same_cell(csv_text, json_value):
    if json_value is None:
        return csv_text == ""
    if isinstance(json_value, (int, float)):
        return float(csv_text) == json_value
    return csv_text == json_value


@pytest.mark.parametrize("query", ["", "indicator=partnership-income", "area=E92000001&set=Aged%202-5"])
def test_api005_json_gives_the_same_rows_as_csv(client, query):
    rows = csv_rows(client.get(f"/api/observations.csv?{query}"))
    json_rows = client.get(f"/api/observations.csv?{query}&format=json").get_json()
    assert rows and len(json_rows) == len(rows)
    for csv_row, json_row in zip(rows, json_rows, strict=True):
        assert set(json_row) == set(csv_row)
        assert all(_same_cell(csv_row[k], json_row[k]) for k in csv_row), (csv_row, json_row)


@pytest.mark.parametrize("param, value, column", [
    ("indicator", "smoking-at-delivery", "indicator_id"),
    ("set", "Partnership finance", "set"),
    ("area", "E92000001", "area_code"),
])
def test_api006_filters_select_only_matching_rows(client, all_rows, param, value, column):
    rows = csv_rows(client.get("/api/observations.csv", query_string={param: value}))
    assert len(rows) == sum(r[column] == value for r in all_rows) > 0
    assert {r[column] for r in rows} == {value}


def test_api007_unpublished_webinar_ratings_are_empty_with_a_note(all_rows):
    raw = read_csv_text(BUNDLED / "report_observations.csv")
    rows = [r for r in all_rows if r["indicator_id"] == "webinar-understanding-rating"]
    assert len(rows) == (raw["indicator_id"] == "webinar-understanding-rating").sum() > 0
    for row in rows:
        assert row["value"] == ""
        assert "Not published in the report text" in row["note"]


# ---- /api/indicators ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def api_indicators(client):
    response = client.get("/api/indicators")
    assert response.status_code == 200
    return response.get_json()


def test_api008_every_indicator_listed_once(api_indicators, bundled):
    ids = [i["id"] for i in api_indicators]
    assert sorted(ids) == sorted(bundled.indicators.index)


def test_api009_indicator_fields_and_status(api_indicators):
    for item in api_indicators:
        assert INDICATOR_FIELDS <= set(item), item["id"]
        assert item["status"] in STATUSES
        assert item["pending"] == (item["status"] in ("pending", "overdue"))
        assert (item["pending_reason"] is not None) == item["pending"]


def test_api010_latest_value_is_a_york_total_for_the_latest_period(api_indicators, all_rows):
    york_totals = {(r["indicator_id"], r["period"], float(r["value"])) for r in all_rows
                   if r["area_code"] == YORK and r["category"] == "" and r["value"] != ""}
    for item in api_indicators:
        if item["latest_value"] is not None:
            assert (item["id"], item["latest_period"], item["latest_value"]) in york_totals


# ---- formula safety ----------------------------------------------------------------------------

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.fixture(scope="module")
def formula_rows(client_for):
    cols_i = ["id", "name", "set", "unit", "polarity", "source"]
    cols_o = ["indicator_id", "area_code", "area_name", "period", "value", "source", "note"]
    ind = [[f"formula-{i}", f"{s}SUM(A1:A9)", "Partnership finance", "£", "no judgement", "Annual Report 2023/24, Test"]
           for i, s in enumerate(FORMULA_STARTS)]
    ind.append(["plain", "Plain name", "Partnership finance", "£", "no judgement", "Annual Report 2023/24, Test"])
    obs = [[f"formula-{i}", YORK, "York", "2023/24", "100", "Annual Report 2023/24, Test", f"{s}cmd|' /C calc'!A0"]
           for i, s in enumerate(FORMULA_STARTS)]
    obs.append(["plain", YORK, "York", "2023/24", "-500", "Annual Report 2023/24, Test", "plain note"])
    dataset = build_dataset(pd.DataFrame(ind, columns=cols_i), pd.DataFrame(obs, columns=cols_o))
    rows = csv_rows(client_for(dataset).get("/api/observations.csv"))
    return {r["indicator_id"]: r for r in rows}


@pytest.mark.parametrize("index", range(len(FORMULA_STARTS)), ids=[repr(s) for s in FORMULA_STARTS])
def test_api011_formula_like_text_is_prefixed(formula_rows, index):
    row = formula_rows[f"formula-{index}"]
    start = FORMULA_STARTS[index]
    assert row["indicator_name"] == "'" + start + "SUM(A1:A9)"
    assert row["note"] == "'" + start + "cmd|' /C calc'!A0"
    assert row["value"] == "100.0"


def test_api012_numbers_are_never_prefixed(formula_rows):
    plain = formula_rows["plain"]
    assert float(plain["value"]) == -500  # a negative £ value stays a number, not "'-500"
    assert (plain["indicator_name"], plain["note"]) == ("Plain name", "plain note")
    assert not plain["period_start"].startswith("'")


# ---- errors are JSON, never 500 ----------------------------------------------------------------

@pytest.mark.parametrize("path, status, word", [
    ("/api/observations.csv?indicator=no-such-indicator", 404, "no-such-indicator"),
    ("/api/observations.csv?set=No%20such%20set", 404, "No such set"),
    ("/api/observations.csv?area=E99999999", 404, "E99999999"),
    ("/api/observations.csv?indicator=smoking-at-delivery&indicator=nope", 404, "nope"),
    ("/api/observations.csv?format=xlsx", 400, "xlsx"),
    ("/api/observations.csv?colour=red", 400, "colour"),
    ("/api/indicators?year=2023/24", 400, "year"),
    ("/api/indicators?reporting_year=2023", 400, "2023"),
    ("/api/indicators?reporting_year=banana", 400, "banana"),
    ("/api/indicators?reporting_year=2023/25", 400, "2023/25"),
])
def test_api013_client_errors_are_json(client, path, status, word):
    response = client.get(path)
    assert response.status_code == status
    body = response.get_json()
    assert body["status"] == status and word in body["error"]


def test_api014_wrong_method_is_json(client):
    response = client.post("/api/indicators")
    assert response.status_code == 405
    assert response.get_json()["status"] == 405


@pytest.mark.parametrize("path", ["/api/nope", "/api/observations"])
def test_api015_unknown_api_path_is_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


ODD_QUERIES = [
    "indicator=" + "x" * 20000,
    "set=" + "%C3%A9" * 2000,
    "indicator=%F0%9F%98%80",
    "indicator=",
    "area=&set=&indicator=",
    "format=",
    "format=json&format=csv",
    "&".join(["indicator=smoking-at-delivery"] * 300),
    "indicator=%00",
    "%00=1",
    "area=E06000014%00",
    "indicator[]=x",
    "=&&&==",
    "indicator=%ff%fe&format=json",
    "set=%25%25%25",
    "indicator=%",
]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=range(len(ODD_QUERIES)))
def test_api016_odd_observation_queries_never_500(client, query):
    response = client.get("/api/observations.csv?" + query)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.get_json()["status"] == response.status_code


@pytest.mark.parametrize("value", ["", "%00", "2023/24%00", "9" * 5000, "%C3%A9", "Q1 23/24", "2023/24 - 2024/25", "not stated"])
def test_api017_odd_reporting_years_are_400(client, value):
    response = client.get("/api/indicators?reporting_year=" + value)
    assert response.status_code == 400
    assert response.get_json()["status"] == 400


@pytest.mark.parametrize("value", ["0000/01", "Sept 0000"])
def test_api018_out_of_range_reporting_year_is_400(client, value):
    assert client.get("/api/indicators", query_string={"reporting_year": value}).status_code == 400


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


@pytest.mark.parametrize("path", ["/api/indicators", "/api/indicators?reporting_year=2024/25", "/api/observations.csv?format=json"])
def test_api019_json_is_strict(client, path):
    # NaN/Infinity are not JSON: browsers' JSON.parse rejects the whole answer.
    json.loads(client.get(path).get_data(as_text=True), parse_constant=_refuse_constant)


@pytest.mark.parametrize("value", ["0001/02", "1999/00", "9998/99", "2040/41"])
def test_api025_well_formed_years_outside_the_data_are_400_naming_the_range(client, value):
    response = client.get("/api/indicators", query_string={"reporting_year": value})
    assert response.status_code == 400
    assert "outside the data's range" in response.get_json()["error"]


def test_api026_many_reporting_years_keep_the_status_cache_bounded(client):
    from data.domain.status import reporting_years

    dataset = client.application.extensions[EXTENSION_KEY].current()
    years = reporting_years(dataset)
    for year in years + [f"{y}/{(y + 1) % 100:02d}" for y in range(1000, 1100)]:
        client.get("/api/indicators", query_string={"reporting_year": year})
    assert dataset.cache.sizes()["status"] == min(len(years), 16)
