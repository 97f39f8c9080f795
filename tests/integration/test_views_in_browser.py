"""The Breakdown and Compare-areas views in a real browser, after publishing the real Fingertips
"Download data" file (tests/data/fingertips/raw-download-example.csv: indicator 93356, every County & UA
area, England by deprivation decile; OHID Fingertips, OGL v3.0) to a fresh store."""
from __future__ import annotations

import csv
import io
import os

import pandas as pd
import pytest
from dash.testing.wait import until

from tests.integration.conftest import (
    BLOCKING_IMPACTS,
    ENGLAND,
    RAW_DOWNLOAD,
    WAIT,
    YORK,
    axe_violations,
    card_table,
    checked_values,
    choose,
    click,
    console_errors,
    describe_violations,
    explore_url,
    option_input,
    settle,
    table_records,
    wait_for_query,
    wait_for_traces,
)

RAW = RAW_DOWNLOAD
FT = "fingertips-93356"
DEPRIVATION = "County & UA deprivation deciles in England (IMD2015)"
LEEDS = "E08000035"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]


def assert_accessible(dash_duo) -> None:
    blocking = [v for v in axe_violations(dash_duo, WCAG_TAGS) if v["impact"] in BLOCKING_IMPACTS]
    assert blocking == [], describe_violations(blocking)


@pytest.fixture
def site(raw_published):
    app, _ = raw_published
    return app


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    frame = pd.read_csv(RAW, dtype=str, keep_default_na=False)
    frame["Value"] = pd.to_numeric(frame["Value"].replace("", None))
    return frame


def _download(dash_duo, ind: str) -> list[dict]:
    target = os.path.join(dash_duo.download_path, f"{ind}.csv")
    if os.path.exists(target):
        os.remove(target)
    click(dash_duo, dash_duo.find_element(f"#card-{ind} button.download-button"))
    until(lambda: os.path.exists(target) and not os.path.exists(target + ".crdownload") and os.path.getsize(target) > 0,
          WAIT, msg=f"no {ind}.csv in {os.listdir(dash_duo.download_path)}")
    with open(target, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(io.StringIO(fh.read())))


def test_vwb101_breakdown_view_shows_englands_deprivation_deciles_in_order(dash_duo, site, raw):
    dash_duo.start_server(site)
    dash_duo.wait_for_page(explore_url(dash_duo, indicator=FT))
    traces = wait_for_traces(dash_duo, FT, lambda ts: {t["name"] for t in ts} == {"York", "England"}, what="York and England lines")
    totals = raw[(raw["Category Type"] == "") & (raw["Age"] == "All ages")].set_index(["Area Name", "Time period"])["Value"]
    for trace in traces:  # the trend is the area totals: no decile took a total's place
        assert trace["y"] == pytest.approx([totals[(trace["name"], p)] for p in ("2015", "2016", "2017")])
    trend_rows = table_records(card_table(dash_duo, FT))  # a row per period, a column per area (issue 14)
    assert [r["Period"] for r in trend_rows] == ["2015", "2016", "2017"]
    assert all(set(r) >= {"York", "England"} for r in trend_rows)  # one total per area and year, never two
    click(dash_duo, option_input(dash_duo, "explore-mode", "breakdown"))  # the view is a choice of "Show"
    wait_for_query(dash_duo, "mode", "breakdown")
    choose(dash_duo, "explore-breakdown-area", "England")
    wait_for_query(dash_duo, "breakdown_area", ENGLAND)
    choose(dash_duo, "explore-breakdown-kind", DEPRIVATION)
    wait_for_query(dash_duo, "breakdown_kind", DEPRIVATION)
    choose(dash_duo, "explore-breakdown-period", "2016")
    wait_for_query(dash_duo, "breakdown_period", "2016")

    expected = raw[(raw["Category Type"] == DEPRIVATION) & (raw["Time period"] == "2016")]
    traces = wait_for_traces(dash_duo, FT, lambda ts: any(t["name"] == "Categories" and len(t["y"]) == 10 for t in ts), what="the deciles")
    bars = next(t for t in traces if t["name"] == "Categories")
    assert [label.replace("<br>", " ") for label in bars["y"]] == expected["Category"].tolist()  # most -> least deprived
    assert bars["x"] == pytest.approx(expected["Value"].tolist())
    assert any(t["name"].startswith("England as a whole") for t in traces)

    table = card_table(dash_duo, FT)
    assert DEPRIVATION in table["caption"] and "2016" in table["caption"]
    records = table_records(table)
    assert [r["Category"] for r in records][:10] == expected["Category"].tolist()
    assert {"Count", "Denominator"} <= set(table["headers"])
    summary = dash_duo.find_element(f"#card-{FT} figcaption").text
    assert "England, 2016, by " + DEPRIVATION in summary and "highest" in summary

    csv_rows = _download(dash_duo, FT)
    deciles = [r for r in csv_rows if r["category_type"] == DEPRIVATION]
    assert len(deciles) == 10 and all(r["count"] and r["denominator"] for r in deciles)
    assert {r["area_code"] for r in csv_rows} == {ENGLAND} and {r["period"] for r in csv_rows} == {"2016"}
    assert_accessible(dash_duo)
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_vwb102_compare_areas_ranks_the_group_with_york_marked_and_any_area_can_be_chosen(dash_duo, site, raw):
    dash_duo.start_server(site)
    dash_duo.wait_for_page(explore_url(dash_duo, indicator=FT, mode="areas"))
    wait_for_traces(dash_duo, FT, lambda ts: any(t["name"] == "York" for t in ts), what="the ranked areas")
    choose(dash_duo, "explore-compare-areas-group", "Yorkshire and The Humber")
    wait_for_query(dash_duo, "areas_group", "Yorkshire and The Humber")
    choose(dash_duo, "explore-compare-areas-period", "2015")
    wait_for_query(dash_duo, "areas_period", "2015")

    totals = raw[(raw["Category Type"] == "") & (raw["Age"] == "All ages") & (raw["Time period"] == "2015")]
    region = totals[(totals["Parent Code"] == "E12000003") & (totals["Area Type"] == "County & UA")]
    traces = wait_for_traces(dash_duo, FT, lambda ts: sum(len(t["y"]) for t in ts if t["type"] == "bar") == len(region),
                             what="the 15 areas of the group")
    york = next(t for t in traces if t["name"] == "York")
    york_value = region.loc[region["Area Code"] == YORK, "Value"].iloc[0]
    rank = int((region["Value"] > york_value).sum()) + 1
    assert york["x"] == pytest.approx([york_value]) and york["y"] == [f"{rank} ► York"]
    england = totals.loc[totals["Area Code"] == ENGLAND, "Value"].iloc[0]
    assert any(t["name"].startswith("England") and t["type"] == "scatter" for t in traces)

    table = card_table(dash_duo, FT)
    assert {"Rank", "Area", "Value", "95% CI", "Count", "Denominator"} <= set(table["headers"])
    records = table_records(table)
    assert [r["Area"] for r in records][-1] == "England (reference, not ranked)"
    assert records[rank - 1]["Area"] == "► York" and records[rank - 1]["95% CI"]
    summary = dash_duo.find_element(f"#card-{FT} figcaption").text
    assert f"ranks {rank} of the {len(region)} areas in the Yorkshire and The Humber group" in summary
    assert f"England {england:.1f} per 100,000" in summary
    csv_rows = _download(dash_duo, FT)
    assert len(csv_rows) == len(region) + 1 and all(r["lower_ci"] and r["upper_ci"] for r in csv_rows)
    assert_accessible(dash_duo)

    # Any area in the data: filter the list, tick Leeds; the address keeps it.
    box = dash_duo.find_element("#explore-area-filter")
    box.send_keys("Leeds")
    until(lambda: dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#explore-areas .form-check')).filter(e => !e.hidden).length") == 3,
        WAIT, msg="the filter should leave Leeds and the two ticked areas")
    click(dash_duo, option_input(dash_duo, "explore-areas", LEEDS))
    until(lambda: LEEDS in checked_values(dash_duo, "explore-areas"), WAIT)
    settle(dash_duo)
    until(lambda: LEEDS in dash_duo.driver.current_url, WAIT, msg="Leeds not in the address")
    click(dash_duo, option_input(dash_duo, "explore-mode", "trend"))
    wait_for_query(dash_duo, "mode", "trend")
    wait_for_traces(dash_duo, FT, lambda ts: {t["name"] for t in ts} == {"York", "England", "Leeds"}, what="York, England and Leeds")
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_vwb103_after_the_upload_every_view_draws_york_england_and_a_chosen_area(dash_duo, site, raw):
    """Issue 12's "done when": once the real download is published, trend, compare-two-periods and
    compare-with-England draw the area totals of York, England and any chosen area (Leeds), on time axes."""
    totals = raw[(raw["Category Type"] == "") & (raw["Age"] == "All ages")]
    value = totals.set_index(["Area Code", "Time period"])["Value"]
    names = {YORK: "York", ENGLAND: "England", LEEDS: "Leeds"}
    dash_duo.start_server(site)

    dash_duo.wait_for_page(explore_url(dash_duo, indicator=FT, area=list(names)))
    traces = wait_for_traces(dash_duo, FT, lambda ts: set(names.values()) <= {t["name"] for t in ts}, what="York, England and Leeds lines")
    for code, name in names.items():
        line = next(t for t in traces if t["name"] == name)
        assert line["y"] == pytest.approx([value[(code, p)] for p in ("2015", "2016", "2017")]), name

    axis_type = "const g = document.querySelector('#card-' + arguments[0] + ' .js-plotly-plot'); return g._fullLayout.xaxis.type"
    assert dash_duo.driver.execute_script(axis_type, FT) == "date"  # time is time (issue 13)

    dash_duo.wait_for_page(explore_url(dash_duo, indicator=FT, area=list(names), mode="compare", a="2015", b="2017"))
    traces = wait_for_traces(dash_duo, FT, lambda ts: {t["name"] for t in ts} >= {"2015", "2017"}, what="bars for 2015 and 2017")
    for period in ("2015", "2017"):
        bars = next(t for t in traces if t["name"] == period)
        shown = dict(zip(bars["x"], bars["y"], strict=True))
        assert {n: shown[n] for n in names.values()} == pytest.approx({n: value[(c, period)] for c, n in names.items()}), period

    dash_duo.wait_for_page(explore_url(dash_duo, indicator=FT, mode="england"))
    traces = wait_for_traces(dash_duo, FT, lambda ts: {"York", "England"} <= {t["name"] for t in ts}, what="York and England lines")
    york = next(t for t in traces if t["name"] == "York")
    assert york["y"] == pytest.approx([value[(YORK, p)] for p in ("2015", "2016", "2017")])
    assert dash_duo.driver.execute_script(axis_type, FT) == "date"
    assert_accessible(dash_duo)
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)
