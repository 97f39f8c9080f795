"""Honest comparisons (issue 13), in the data layer: series and breaks, change since, staleness,
significance against England, the chi-squared test for trend, and the status every page reads."""
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data.domain.series import age_in_years, gap_phrase, in_years, latest_change, source_basis, with_series
from data.domain.significance import (
    BETTER,
    BY_CI,
    CHI2_CRITICAL,
    DECREASING,
    HIGHER,
    INCREASING,
    LOWER,
    NO_CHANGE,
    NOT_COMPARED,
    SIMILAR,
    STATED,
    WORSE,
    chi2_trend,
    ci_comparison,
    compare_with_england,
    stated_comparison,
    trend_test,
)
from data.domain.status import OUT_OF_DATE, RECENT, indicator_status
from data.settings import Settings, SettingsError

RAW = Path(__file__).resolve().parents[1] / "data" / "fingertips" / "raw-download-example.csv"
AFTER_DUE = date(2026, 12, 1)


@pytest.fixture(scope="module")
def raw_download():
    return pd.read_csv(RAW, dtype=str, keep_default_na=False)


# ---- point 1/2: series, breaks, change since ----------------------------------------------------

def test_hon001_source_basis_groups_fingertips_by_indicator():
    assert source_basis("OHID Fingertips, OGL v3.0 (indicator 20601, extract excess_weight_reception.csv)") == \
        "OHID Fingertips (indicator 20601)"
    assert source_basis("OHID Fingertips, OGL v3.0 (indicator 20601, upload.csv)") == "OHID Fingertips (indicator 20601)"
    assert source_basis("Annual Report 2023/24, A snapshot of children and young people in York: Aged 2-5") == \
        "Annual Report 2023/24"


def test_hon002_report_figure_after_fingertips_extract_is_a_break(bundled):
    rows = bundled.observations_for(["reception-overweight"], None, ["E06000014"])
    rows = rows[rows["category_type"] == ""]
    shaped = with_series(rows)
    assert shaped["segment"].nunique() == 2
    change = latest_change(rows)
    assert change.latest["period"] == "22/23" and not change.comparable and change.delta is None
    assert "source changed after 2017/18" in change.phrase


def test_hon003_no_change_claimed_across_a_break_in_the_status(bundled):
    row = indicator_status(bundled, "2023/24", today=AFTER_DUE).loc["reception-overweight"]
    assert pd.isna(row["change"]) and row["change_text"] == "" and pd.isna(row["previous_value"])
    assert "source changed" in row["change_note"]


def test_hon004_change_says_how_far_back_the_previous_value_is(bundled):
    # Five-year-old dental survey values come every two years: "since 2014/15, two years earlier".
    row = indicator_status(bundled, "2023/24").loc["fingertips-dental-decay-free-5"]
    assert row["previous_period"] == "2014/15"
    assert "since 2014/15, two years earlier" in row["change_text"]
    row = indicator_status(bundled, "2023/24").loc["fingertips-active-children"]
    assert row["change_text"].endswith("since 2023/24 (better)")  # the period just before: no gap words


@pytest.mark.parametrize("prev, prev_start, prev_end, start, end, expected", [
    ("2021/22", "2021-04-01", "2022-03-31", "2022-04-01", "2023-03-31", "since 2021/22"),
    ("2017/18", "2017-04-01", "2018-03-31", "2022-04-01", "2023-03-31", "since 2017/18, five years earlier"),
    ("2022", "2022-01-01", "2022-12-31", "2024-01-01", "2024-12-31", "since 2022, two years earlier"),
    ("Feb 2022", "2022-02-01", "2022-02-28", "2023-06-01", "2023-06-30", "since Feb 2022, one year earlier"),
])
def test_hon005_gap_phrase(prev, prev_start, prev_end, start, end, expected):
    assert gap_phrase(prev, pd.Timestamp(prev_end), pd.Timestamp(prev_start), pd.Timestamp(start), pd.Timestamp(end)) == expected


def test_hon006_from_year_compares_period_starts_on_their_basis():
    rows = pd.DataFrame({
        "period": ["2017/18", "2018/19", "2017/18", "2018", "2017"],
        "period_type": ["financial year", "financial year", "academic year", "calendar year", "calendar year"],
        "period_start": pd.to_datetime(["2017-04-01", "2018-04-01", "2017-09-01", "2018-01-01", "2017-01-01"]),
    })
    kept = rows[in_years(rows, 2018, None)]["period"].tolist()
    assert kept == ["2018/19", "2018"]  # "From 2018" no longer shows 2017/18
    assert rows[in_years(rows, None, 2017)]["period"].tolist() == ["2017/18", "2017/18", "2017"]
    quarters = pd.DataFrame({"period": ["Q4 2017/18", "Q1 2018/19"], "period_type": ["quarter", "quarter"],
                             "period_start": pd.to_datetime(["2018-01-01", "2018-04-01"])})
    assert quarters[in_years(quarters, 2018, None)]["period"].tolist() == ["Q1 2018/19"]


# ---- point 3: staleness -------------------------------------------------------------------------

@pytest.mark.parametrize("start, end, age", [
    ("2023-04-01", "2024-03-31", 0), ("2022-04-01", "2023-03-31", 1), ("2017-04-01", "2018-03-31", 6),
    ("2016-01-01", "2016-12-31", 7), ("2024-04-01", "2025-03-31", 0),
])
def test_hon007_age_against_the_reporting_year(start, end, age):
    assert age_in_years(pd.Timestamp(start), pd.Timestamp(end), "2023/24") == age


@pytest.mark.parametrize("ind_id", ["fingertips-low-income-families", "fingertips-neet-16-17",
                                    "fingertips-school-readiness-fsm", "fingertips-self-harm-admissions-10-24-asr"])
def test_hon008_values_from_2016_to_2018_are_out_of_date(bundled, ind_id):
    row = indicator_status(bundled, "2023/24").loc[ind_id]
    assert row["status"] == OUT_OF_DATE and bool(row["stale"])
    assert row["status_label"] == "Out of date"
    assert "older than the reporting year 2023/24" in row["age_text"]


def test_hon009_the_span_is_configurable(bundled):
    # Census 2021 is two years older than 2023/24: recent with a span of 2, out of date with 1.
    assert indicator_status(bundled, "2023/24", stale=2).at["census-male", "status"] == RECENT
    assert indicator_status(bundled, "2023/24", stale=1).at["census-male", "status"] == OUT_OF_DATE


def test_hon010_setting_stale_after_years():
    assert Settings.from_env({}).stale_after_years == 2
    assert Settings.from_env({"STALE_AFTER_YEARS": "3"}).stale_after_years == 3
    with pytest.raises(SettingsError, match="STALE_AFTER_YEARS"):
        Settings.from_env({"STALE_AFTER_YEARS": "two"})


# ---- point 4: significance against England ------------------------------------------------------

@pytest.mark.parametrize("note, expected", [
    ("Compared with England: Similar", SIMILAR), ("Compared with England: Worse", WORSE),
    ("Compared to England value or percentiles: Better", BETTER), ("No value in the Fingertips extract (NA)", None),
    ("", None),
])
def test_hon011_stated_comparison(note, expected):
    assert stated_comparison(note) == expected


@pytest.mark.parametrize("lower, upper, england, polarity, expected", [
    (60.9, 84.6, 94.7, "lower is better", BETTER),
    (60.9, 84.6, 94.7, "higher is better", WORSE),
    (60.9, 84.6, 94.7, "no judgement", LOWER),
    (100.0, 120.0, 94.7, "no judgement", HIGHER),
    (83.6, 110.8, 94.7, "lower is better", SIMILAR),
    (None, None, 94.7, "lower is better", NOT_COMPARED),
    (60.9, 84.6, None, "lower is better", NOT_COMPARED),
])
def test_hon012_ci_against_englands_value(lower, upper, england, polarity, expected):
    assert ci_comparison(lower, upper, england, polarity) == expected


def test_hon013_ci_comparison_agrees_with_fingertips_own_column(raw_download):
    """Every area total in the real download: our CI comparison = Fingertips' "Compared to England" column
    (campylobacter: lower is better)."""
    raw = raw_download
    totals = raw[(raw["Category Type"] == "") & (raw["Lower CI 95.0 limit"] != "")]
    england = totals[totals["Area Code"] == "E92000001"].set_index(["Time period", "Age"])["Value"].astype(float)
    areas = totals[(totals["Area Code"] != "E92000001") &
                   totals["Compared to England value or percentiles"].isin([BETTER, SIMILAR, WORSE])]
    assert len(areas) > 300
    ours = [ci_comparison(float(r["Lower CI 95.0 limit"]), float(r["Upper CI 95.0 limit"]), england[(r["Time period"], r["Age"])],
                          "lower is better") for _, r in areas.iterrows()]
    assert ours == areas["Compared to England value or percentiles"].tolist()


def test_hon014_stated_comparison_comes_first():
    c = compare_with_england("Compared with England: Worse", 1.0, 2.0, 10.0, "lower is better", "2017/18")
    assert (c.result, c.basis) == (WORSE, STATED)
    assert c.sentence() == "York was significantly worse than England in 2017/18 (as the source states)."
    c = compare_with_england("", 1.0, 2.0, 10.0, "lower is better", "2017/18")
    assert (c.result, c.basis) == (BETTER, BY_CI)
    assert "by its 95% confidence interval" in c.sentence()


def test_hon015_status_carries_the_comparison(bundled):
    row = indicator_status(bundled, "2023/24").loc["fingertips-self-harm-admissions-10-24-asr"]
    assert (row["comparison"], row["comparison_basis"]) == (WORSE, STATED)
    assert row["comparison_text"] == "York was significantly worse than England in 2017/18 (as the source states)."


# ---- point 5: chi-squared test for trend ---------------------------------------------------------

def test_hon016_chi2_trend_worked_example_by_hand():
    """counts 1, 2, 3 of 10 each, scores 1, 2, 3: N=30, R=6, p=0.2; T = 14 - 0.2 * 60 = 2;
    V = 0.2 * 0.8 * (140 - 60^2/30) = 3.2; chi2 = 2^2 / 3.2 = 1.25."""
    chi2, t = chi2_trend([1, 2, 3], [10, 10, 10])
    assert t == pytest.approx(2.0) and chi2 == pytest.approx(1.25)


def _n_r_squared(counts, denominators):
    """The same statistic by another road: N times the squared correlation of score and outcome over the
    N individuals (each a 0/1 outcome scored by its group), from sums of squares."""
    n = sum(denominators)
    xs = list(range(1, len(counts) + 1))
    sx = sum(d * x for d, x in zip(denominators, xs, strict=True))
    sxx = sum(d * x * x for d, x in zip(denominators, xs, strict=True))
    sy = sum(counts)
    sxy = sum(c * x for c, x in zip(counts, xs, strict=True))
    cov = sxy / n - (sx / n) * (sy / n)
    var_x = sxx / n - (sx / n) ** 2
    var_y = sy / n - (sy / n) ** 2
    return n * cov * cov / (var_x * var_y)


def test_hon017_chi2_trend_on_real_counts(raw_download):
    """England 2015, campylobacter by deprivation decile (most to least deprived): real counts and
    denominators from the download; incidence rises as deprivation falls."""
    raw = raw_download
    rows = raw[(raw["Area Code"] == "E92000001") & (raw["Time period"] == "2015") & (raw["Category Type"] != "")]
    rows = rows[rows["Category Type"] == rows["Category Type"].iloc[0]]
    assert len(rows) == 10 and rows["Category"].iloc[0].startswith("Most deprived")
    counts = rows["Count"].astype(float).tolist()
    dens = rows["Denominator"].astype(float).tolist()
    chi2, t = chi2_trend(counts, dens)
    assert chi2 == pytest.approx(_n_r_squared(counts, dens), rel=1e-9)
    assert t > 0 and chi2 > CHI2_CRITICAL


def test_hon018_trend_test_needs_five_points_and_gives_direction():
    periods = ["2018/19", "2019/20", "2020/21", "2021/22", "2022/23"]
    assert trend_test(periods[:4], [1, 2, 3, 4], [10, 10, 10, 10]) is None
    up = trend_test(periods, [100, 150, 200, 250, 300], [1000] * 5)
    assert up is not None and up.direction == INCREASING
    assert up.judgement("lower is better") == "worse" and up.judgement("higher is better") == "better"
    down = trend_test(periods, [300, 250, 200, 150, 100], [1000] * 5)
    assert down is not None and down.direction == DECREASING
    flat = trend_test(periods, [100, 101, 99, 100, 100], [1000] * 5)
    assert flat is not None and flat.direction == NO_CHANGE
    assert "No significant change over the five periods 2018/19 to 2022/23" in flat.sentence("lower is better")


def test_hon019_no_trend_claimed_without_counts(bundled):
    """The bundled extracts have no counts or denominators: no indicator claims a tested trend."""
    status = indicator_status(bundled, "2023/24")
    assert (status["trend"] == "").all() and (status["trend_text"] == "").all()


# ---- the API says the same (one status, one change, one comparison) ---------------------------

def test_hon020_api_indicators_carry_status_change_and_comparison(client, bundled):
    items = {i["id"]: i for i in client.get("/api/indicators").get_json()}
    status = indicator_status(bundled, "2023/24")
    neet = items["fingertips-neet-16-17"]
    assert (neet["status"], neet["out_of_date"], neet["latest_age_years"]) == ("out_of_date", True, 5)
    assert neet["compared_with_england"] == "Better" and neet["comparison_basis"] == "stated by the source"
    reception = items["reception-overweight"]
    assert reception["status"] == "overdue" and reception["expected_by"] == "2024-11"
    assert reception["status_label"] == "Overdue: expected November 2024"
    assert reception["change"] is None and reception["change_text"] is None
    assert reception["change_note"].startswith("no change stated: the source changed after 2017/18")
    dental = items["fingertips-dental-decay-free-5"]
    assert dental["change_since"] == "2014/15" and dental["change_text"] == status.at["fingertips-dental-decay-free-5", "change_text"]
    for ind_id, item in items.items():  # the API's words are the status frame's
        assert item["status"] == status.at[ind_id, "status"]
        assert item["compared_with_england"] == status.at[ind_id, "comparison"]


def test_hon021_one_value_is_a_headline_with_england_in_words(bundled):
    from data.domain.views import headline, indicator_rows

    rows = indicator_rows(bundled, "teenage-mothers", ["E06000014", "E92000001"])
    assert headline(rows, bundled.indicator("teenage-mothers")) == {
        "value": "1.0%", "caption": "York, 2022/23",
        "lines": ["Source: Annual Report 2023/24, A snapshot of children and young people in York: Aged 12+.",
                  "England: no value for 2022/23 in the data."],
    }
    # More than one period: a chart, not a headline.
    assert headline(indicator_rows(bundled, "fingertips-active-children"), bundled.indicator("fingertips-active-children")) is None


def test_hon022_year_filter_on_the_bundle(bundled):
    from data.domain.views import indicator_rows

    periods = set(indicator_rows(bundled, "fingertips-dental-decay-free-5", ["E06000014"], 2015)["period"])
    assert "2014/15" not in periods and "2016/17" in periods
    # Calendar years on their own basis: from 2016 keeps 2016.
    assert "2016" in set(indicator_rows(bundled, "fingertips-neet-16-17", ["E06000014"], 2016)["period"])


def test_hon023_compare_two_periods_states_no_change_across_a_break(bundled):
    from data.domain.views import compare_periods, compare_summary, indicator_rows

    ind = bundled.indicator("reception-overweight")
    table = compare_periods(indicator_rows(bundled, "reception-overweight", ["E06000014"]), "2017/18", "22/23")
    row = table.iloc[0]
    assert row["change"] is None or pd.isna(row["change"])
    assert row["note"] == "not comparable: 2017/18 is from OHID Fingertips (indicator 20601), 22/23 from Annual Report 2023/24"
    assert "no change is stated" in compare_summary(table, ind)
    same = compare_periods(indicator_rows(bundled, "reception-overweight", ["E06000014"]), "2016/17", "2017/18")
    assert same.iloc[0]["change"] == pytest.approx(24.1 - 20.8) and same.iloc[0]["note"] == ""
