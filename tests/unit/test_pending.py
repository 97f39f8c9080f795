"""Pending flags (data/domain/status.py): the report's footnote, computed from the data, cleared by new data."""
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data.domain.dataset import build_dataset
from data.domain.status import CURRENT, OUT_OF_DATE, OVERDUE, PENDING, RECENT, indicator_status

BEFORE_DUE = date(2024, 6, 1)  # the report's December 2024 world: the values are still expected
AFTER_DUE = date(2026, 12, 1)

SEED = Path(__file__).resolve().parents[1] / "data" / "report" / "annual-report-2023-24.txt"
FOOTNOTE_START = "*There are no 23/24 values"
# The lines the report marks with its footnote asterisk.
FOOTNOTED = ["smoking-at-delivery", "infant-mortality", "reception-overweight", "year6-overweight",
             "dental-caries-admissions-0-5", "teenage-mothers"]
YORK = {"area_code": "E06000014", "area_name": "York"}


@pytest.fixture(scope="module")
def footnote():
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.startswith(FOOTNOTE_START)]
    assert lines, f"no footnote in {SEED}"
    assert len(set(lines)) == 1  # printed twice in the report, identically
    return lines[0].lstrip("*").strip()


def with_rows(raw_indicators, raw_observations, *rows):
    """The bundle plus extra York observation rows, built like any upload."""
    extra = pd.DataFrame([{c: r.get(c, "") for c in raw_observations.columns} for r in rows])
    return build_dataset(raw_indicators, pd.concat([raw_observations, extra], ignore_index=True))


def new_value(indicator_id, period, period_type=""):
    return {"indicator_id": indicator_id, **YORK, "period": period, "period_type": period_type,
            "value": "20.1", "source": "Test upload"}


def test_pnd001_footnote_is_the_catalogue_reason(footnote, bundled):
    assert "available around November 24" in footnote
    for ind_id in FOOTNOTED:
        assert bundled.indicator(ind_id)["expected_update"] == footnote, ind_id


@pytest.mark.parametrize("ind_id", FOOTNOTED)
def test_pnd002_footnoted_indicator_is_pending(bundled, footnote, ind_id):
    row = indicator_status(bundled, "2023/24", today=BEFORE_DUE).loc[ind_id]
    own = bundled.indicator(ind_id)["pending_reason"]
    assert own and own != footnote and len(own) < len(footnote)
    assert (row["status"], bool(row["pending"]), row["pending_reason"]) == (PENDING, True, own)
    assert row["status_reason"] == own


def test_pnd003_only_the_footnoted_indicators_are_pending(bundled):
    status = indicator_status(bundled, "2023/24")
    assert sorted(status.index[status["pending"]]) == sorted(FOOTNOTED)


def test_pnd004_breastfeeding_is_current(bundled):
    row = indicator_status(bundled, "2023/24").loc["breastfeeding-6-8-weeks"]
    assert (row["status"], bool(row["pending"]), row["pending_reason"]) == (CURRENT, False, None)


def test_pnd005_low_birth_weight_is_not_pending(bundled):
    # Its asterisk is inside the brackets, not the footnote's line-end mark.
    row = indicator_status(bundled, "2023/24").loc["low-birth-weight-term"]
    assert row["status"] != PENDING and not row["pending"] and row["pending_reason"] is None


def api_status(client, reporting_year="2023/24"):
    response = client.get("/api/indicators", query_string={"reporting_year": reporting_year})
    assert response.status_code == 200
    return {item["id"]: item for item in response.get_json()}


def test_pnd006_pending_through_the_api(client, bundled):
    items = api_status(client)  # today's date: November 2024 has passed, so each flag is overdue
    for ind_id in FOOTNOTED:
        own = bundled.indicator(ind_id)["pending_reason"]
        assert (items[ind_id]["status"], items[ind_id]["pending"], items[ind_id]["pending_reason"]) == (OVERDUE, True, own)
        assert items[ind_id]["expected_by"] == "2024-11"
    assert (items["breastfeeding-6-8-weeks"]["status"], items["breastfeeding-6-8-weeks"]["pending"]) == (CURRENT, False)
    assert items["breastfeeding-6-8-weeks"]["pending_reason"] is None
    assert items["low-birth-weight-term"]["pending"] is False


# ---- a 2023/24 value clears the flag, with no other change ------------------------------------

@pytest.fixture
def cleared(raw_indicators, raw_observations):
    return with_rows(raw_indicators, raw_observations, new_value("reception-overweight", "2023/24", "academic year"))


def test_pnd007_new_value_clears_pending(cleared):
    status = indicator_status(cleared, "2023/24", today=BEFORE_DUE)
    assert status.at["reception-overweight", "status"] == CURRENT
    assert not status.at["reception-overweight", "pending"]
    assert status.at["reception-overweight", "latest_period"] == "2023/24"
    others = [i for i in FOOTNOTED if i != "reception-overweight"]
    assert list(status.loc[others, "status"]) == [PENDING] * len(others)


def test_pnd008_new_value_clears_pending_through_the_api(cleared, client_for):
    items = api_status(client_for(cleared))
    assert (items["reception-overweight"]["status"], items["reception-overweight"]["pending"]) == (CURRENT, False)
    assert items["reception-overweight"]["latest_value"] == 20.1
    assert all(items[i]["pending"] for i in FOOTNOTED if i != "reception-overweight")


@pytest.mark.parametrize("period, period_type, clears", [
    ("Q4 22/23", "", False),  # Jan-Mar 2023: before the reporting year
    ("22/23", "academic year", False),  # midpoint 1 March 2023
    ("Q1 23/24", "", True),
    ("Sept 2023", "", True),
    ("Q1 24/25", "", True),  # later than the reporting year also counts
    ("not stated", "", False),  # undated: never current
])
def test_pnd009_midpoint_in_or_after_the_year_clears(raw_indicators, raw_observations, period, period_type, clears):
    dataset = with_rows(raw_indicators, raw_observations, new_value("infant-mortality", period, period_type))
    assert indicator_status(dataset, "2023/24", today=BEFORE_DUE).at["infant-mortality", "status"] == (CURRENT if clears else PENDING)


# ---- other reporting years ---------------------------------------------------------------------

def test_pnd010_smoking_is_current_for_2022_23(bundled):
    row = indicator_status(bundled, "2022/23").loc["smoking-at-delivery"]
    assert (row["status"], bool(row["pending"])) == (CURRENT, False)


@pytest.mark.parametrize("ind_id, expected", [
    ("infant-mortality", OUT_OF_DATE),  # 20-22: three years older than 2024/25
    ("dental-caries-admissions-0-5", OUT_OF_DATE),  # 20/21-22/23: three years older
    ("teenage-mothers", RECENT),  # 22/23: two years older, within the default span
])
def test_pnd011_expected_for_another_year_is_not_pending(bundled, client, ind_id, expected):
    assert bundled.indicator(ind_id)["expected_update_for"] == "2023/24"
    row = indicator_status(bundled, "2024/25").loc[ind_id]
    assert (row["status"], bool(row["pending"]), row["pending_reason"]) == (expected, False, None)
    item = api_status(client, "2024/25")[ind_id]
    assert (item["status"], item["pending"]) == (expected, False)


# ---- overdue (issue 13, point 7) -----------------------------------------------------------------

@pytest.mark.parametrize("today, status", [
    (date(2024, 11, 30), PENDING),  # the last day of the month it was expected by
    (date(2024, 12, 1), OVERDUE),
    (AFTER_DUE, OVERDUE),
])
def test_pnd012_overdue_once_expected_by_has_passed(bundled, today, status):
    row = indicator_status(bundled, "2023/24", today=today).loc["smoking-at-delivery"]
    assert row["status"] == status and bool(row["pending"])
    if status == OVERDUE:
        assert row["status_label"] == "Overdue: expected November 2024"
        assert row["status_reason"].startswith("Overdue: expected November 2024")
    else:
        assert row["status_label"] == "Pending 2023/24: expected November 2024"


def test_pnd013_each_pending_indicator_has_its_own_reason(bundled):
    status = indicator_status(bundled, "2023/24", today=AFTER_DUE)
    for ind_id in ("reception-overweight", "year6-overweight"):
        assert "National Child Measurement Programme" in status.at[ind_id, "pending_reason"]
    assert "hospital admissions" in status.at["dental-caries-admissions-0-5", "pending_reason"]
    for ind_id in ("smoking-at-delivery", "teenage-mothers", "infant-mortality"):
        reason = status.at[ind_id, "pending_reason"]
        assert "hospital" not in reason and "Measurement" not in reason and "2023/24 value was not available" in reason


def test_pnd014_overdue_flag_clears_when_the_value_arrives(cleared):
    status = indicator_status(cleared, "2023/24", today=AFTER_DUE)
    assert status.at["reception-overweight", "status"] == CURRENT
    assert not status.at["reception-overweight", "overdue"]
    assert status.at["year6-overweight", "status"] == OVERDUE
