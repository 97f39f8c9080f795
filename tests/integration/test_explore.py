"""Explore page in a real browser: controls, URL state, charts, tables, pending cards, downloads."""
from __future__ import annotations

import csv
import io
import os

import pandas as pd
from dash.testing.wait import until

from app import create_app
from data.domain.formatting import format_change, format_period
from data.domain.status import OVERDUE, indicator_status
from tests.integration.conftest import (
    ENGLAND,
    WAIT,
    YORK,
    card_table,
    card_traces,
    checked_values,
    choose,
    click,
    console_errors,
    count,
    explore_url,
    non_null,
    normalise_space,
    number,
    option_input,
    select_value,
    served_dataset,
    settle,
    table_records,
    wait_for_query,
    wait_for_traces,
)

HSB_SET = "Harmful Sexual Behaviour survey"
HSB = "hsb-shared-understanding"


def _totals(dataset, indicator_id: str, area: str) -> pd.DataFrame:
    """Dated area totals with a value, oldest first."""
    obs = dataset.observations
    rows = obs[(obs["indicator_id"] == indicator_id) & (obs["area_code"] == area) & (obs["category_type"] == "")]
    rows = rows[rows["value"].notna() & rows["period_end"].notna()]
    return rows.sort_values(["period_end", "period_start"])


def _area_name(dataset, code: str) -> str:
    return dataset.areas[code]


def _tick_only(dash_duo, group_id: str, wanted: str) -> None:
    """Tick `wanted` in a checklist and untick every other box, waiting for each change to settle."""
    box = option_input(dash_duo, group_id, wanted)
    if not box.is_selected():
        click(dash_duo, box)
        until(lambda: wanted in checked_values(dash_duo, group_id), WAIT)
    for other in [v for v in checked_values(dash_duo, group_id) if v != wanted]:
        click(dash_duo, option_input(dash_duo, group_id, other))
        until(lambda o=other: o not in checked_values(dash_duo, group_id), WAIT)
    until(lambda: checked_values(dash_duo, group_id) == [wanted], WAIT,
          msg=f"{group_id}: ticked {checked_values(dash_duo, group_id)}")


def test_exp001_choose_set_and_indicator_plots_york_values(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    york = _totals(dataset, HSB, YORK)
    assert len(york) >= 2, "the test needs a York series"

    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo))
    dash_duo.wait_for_element("#explore-results section.indicator-card", timeout=WAIT)
    settle(dash_duo)

    choose(dash_duo, "explore-set", HSB_SET)
    wait_for_query(dash_duo, "set", HSB_SET)
    _tick_only(dash_duo, "explore-indicators", HSB)
    wait_for_query(dash_duo, "indicator", HSB)

    dash_duo.wait_for_element(f"section#card-{HSB}", timeout=WAIT)
    traces = wait_for_traces(dash_duo, HSB, lambda ts: any(t["name"] == _area_name(dataset, YORK) for t in ts), what="a York trace")
    york_trace = next(t for t in traces if t["name"] == _area_name(dataset, YORK))
    assert non_null(york_trace["y"]) == york["value"].tolist()
    # Only areas with a value are drawn (the survey has no England figure).
    drawn = {t["name"] for t in traces}
    expected = {_area_name(dataset, a) for a in (YORK, ENGLAND) if not _totals(dataset, HSB, a).empty}
    assert drawn == expected
    assert [c.get_attribute("id") for c in dash_duo.find_elements("#explore-results section.indicator-card")] == [f"card-{HSB}"]
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_exp002_compare_two_periods(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    york = _totals(dataset, HSB, YORK).set_index("period")["value"]
    period_a, period_b = "Feb 2022", "June 2023"
    value_a, value_b = float(york[period_a]), float(york[period_b])
    change = value_b - value_a
    change_text = format_change(change, "%")  # one precision per unit: "+4.0 percentage points"
    # The report: 91% in Feb 2022, 95% in June 2023, so "+4 percentage points".

    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo, set=HSB_SET, indicator=HSB))
    wait_for_traces(dash_duo, HSB, lambda ts: bool(ts) and ts[0]["type"] == "scatter", what="the trend")
    assert not dash_duo.find_element("#explore-compare-fields").is_displayed(), "period selects hidden in trend mode"

    click(dash_duo, option_input(dash_duo, "explore-mode", "compare"))
    wait_for_query(dash_duo, "mode", "compare")
    until(lambda: dash_duo.find_element("#explore-compare-fields").is_displayed(), WAIT)

    # Reverse the periods first so that choosing A and B below are real changes.
    choose(dash_duo, "explore-period-a", period_b)
    choose(dash_duo, "explore-period-b", period_a)
    wait_for_query(dash_duo, "b", period_a)
    wait_for_traces(dash_duo, HSB, lambda ts: [t["name"] for t in ts] == [period_b, period_a]
                    and [t["y"] for t in ts] == [[value_b], [value_a]], what="the reversed bars")

    choose(dash_duo, "explore-period-a", period_a)
    choose(dash_duo, "explore-period-b", period_b)
    q = wait_for_query(dash_duo, "b", period_b)
    assert q["a"] == [period_a] and q["mode"] == ["compare"]
    traces = wait_for_traces(dash_duo, HSB, lambda ts: [t["name"] for t in ts] == [period_a, period_b], what="A then B")
    assert all(t["type"] == "bar" for t in traces)
    assert [t["x"] for t in traces] == [[_area_name(dataset, YORK)], [_area_name(dataset, YORK)]]
    assert [t["y"] for t in traces] == [[value_a], [value_b]]

    card = dash_duo.find_element(f"#card-{HSB}")
    summary = card.find_element("css selector", "figcaption").text
    assert change_text in summary, summary
    rows = table_records(card_table(dash_duo, HSB))
    assert [r["Area"] for r in rows] == [_area_name(dataset, YORK)]
    assert number(rows[0][period_a]) == value_a and number(rows[0][period_b]) == value_b
    assert rows[0]["Change"] == change_text
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def trend_records(table: dict) -> list[dict]:
    """The trend table (a row per period, a column per area, "value (CI)" cells) as one record per period and
    area with a value, period by period in the table's order."""
    out = []
    for record in table_records(table):
        for area, cell in record.items():
            if area != "Period" and cell != "no value":
                out.append({"Period": record["Period"], "Area": area, "Value": cell.split(" (")[0].split("; ")[0]})
    return out


def test_exp003_table_matches_the_plotted_values(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    ind = "year6-overweight"
    areas = [YORK, ENGLAND]
    expected = {_area_name(dataset, a): _totals(dataset, ind, a)["value"].tolist() for a in areas}
    assert all(expected.values()), "the test needs values for both areas"

    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo, set="Aged 5-11", indicator=ind, area=areas, mode="trend"))
    # York's line breaks where its source changes (issue 13): two York traces, named "York: <source>".
    traces = wait_for_traces(dash_duo, ind, lambda ts: len(ts) == 3, what="two areas, York's line broken at its change of source")
    plotted: dict[str, list] = {}
    for t in traces:
        plotted.setdefault(t["name"].split(":")[0], []).extend(non_null(t["y"]))
    assert plotted == expected

    panel = dash_duo.find_element(f"#card-{ind} details.table-panel")
    table_el = panel.find_element("css selector", "table")
    assert not table_el.is_displayed(), "the table starts closed"
    click(dash_duo, panel.find_element("css selector", "summary"))
    until(lambda: panel.get_attribute("open") is not None and table_el.is_displayed(), WAIT)

    table = card_table(dash_duo, ind)
    assert table["caption"], "the table has a caption"
    assert set(table["header_scopes"]) == {"col"} and set(table["row_scopes"]) == {"row"}
    records = trend_records(table)
    for name, values in plotted.items():
        cells = [number(r["Value"]) for r in records if r["Area"] == name]
        assert cells == [round(v, 2) for v in values], f"{name}: table values differ from the chart"
    assert {r["Area"] for r in records} == set(plotted)
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def _england_comparison(dataset, ind: str):
    """Periods (by end date) where York or England has a value, with both values (None if missing)."""
    york = _totals(dataset, ind, YORK).set_index("period")
    eng = _totals(dataset, ind, ENGLAND).set_index("period")
    ends = pd.concat([york["period_end"], eng["period_end"]])
    periods = list(dict.fromkeys(ends.sort_values(kind="stable").index))
    get = lambda frame, p: float(frame.at[p, "value"]) if p in frame.index else None  # noqa: E731
    return periods, [get(york, p) for p in periods], [get(eng, p) for p in periods]


def test_exp004_deep_link_and_back_button(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    ind = "fingertips-dental-decay-free-5"
    periods, york, england = _england_comparison(dataset, ind)
    assert periods and any(v is not None for v in england)

    def shows_england_comparison(ts):
        # Lines on a time axis (issue 13): York and England (x are dates), with significance markers named in the legend.
        lines = [t for t in ts if t["name"] in ("York", "England")]
        return ([t["name"] for t in lines] == ["York", "England"] and all(t["type"] == "scatter" for t in ts)
                and all(x is None or "T" in str(x) for t in lines for x in t["x"])
                and [non_null(t["y"]) for t in lines] == [non_null(york), non_null(england)]
                and any(t["name"].endswith("England") and t["name"] != "England" for t in ts))

    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo, set="Aged 2-5", indicator=ind, mode="england"))
    wait_for_traces(dash_duo, ind, shows_england_comparison, what="York and England lines")
    assert select_value(dash_duo, "explore-set") == "Aged 2-5"
    assert checked_values(dash_duo, "explore-indicators") == [ind]
    assert checked_values(dash_duo, "explore-mode") == ["england"]
    assert checked_values(dash_duo, "explore-areas") == [YORK, ENGLAND]

    click(dash_duo, option_input(dash_duo, "explore-mode", "trend"))
    q = wait_for_query(dash_duo, "mode", "trend")
    assert q["indicator"] == [ind] and q["set"] == ["Aged 2-5"]
    wait_for_traces(dash_duo, ind, lambda ts: bool(ts) and all(t["type"] == "scatter" for t in ts), what="the trend lines")

    dash_duo.driver.back()
    wait_for_query(dash_duo, "mode", "england")
    until(lambda: checked_values(dash_duo, "explore-mode") == ["england"], WAIT,
          msg=f"mode radio after back: {checked_values(dash_duo, 'explore-mode')}")
    wait_for_traces(dash_duo, ind, shows_england_comparison, what="York and England lines after back()")
    assert checked_values(dash_duo, "explore-indicators") == [ind]
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_exp005_pending_card_says_what_is_missing(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    status = indicator_status(dataset, "2023/24")
    ind = "year6-overweight"
    assert status.at[ind, "status"] == OVERDUE  # November 2024 has passed with no value
    assert not status.at["breastfeeding-6-8-weeks", "pending"]

    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo, set="Aged 5-11", indicator=ind))
    dash_duo.wait_for_element(f"section#card-{ind}", timeout=WAIT)
    settle(dash_duo)
    card = dash_duo.find_element(f"section#card-{ind}")
    badge = card.find_element("css selector", "strong.badge-pending")
    assert badge.is_displayed() and badge.text == "Overdue: expected November 2024"
    visible = normalise_space(card.text)
    assert normalise_space(status.at[ind, "pending_reason"]) in visible
    assert f"The 2023/24 value is missing from this chart: the latest is for {format_period(status.at[ind, 'latest_period'])}." in visible

    dash_duo.wait_for_page(explore_url(dash_duo, set="First 1001 days", indicator="breastfeeding-6-8-weeks"))
    dash_duo.wait_for_element("#card-breastfeeding-6-8-weeks .headline-figure", timeout=WAIT)  # one value: a number
    card = dash_duo.find_element("section#card-breastfeeding-6-8-weeks")
    assert count(dash_duo, "#card-breastfeeding-6-8-weeks .badge-pending") == 0
    assert "Pending" not in card.text and "Overdue" not in card.text and "is missing from this chart" not in card.text
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_exp006_unpublished_values_have_no_chart(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    ind = "webinar-understanding-rating"
    obs = dataset.observations
    rows = obs[obs["indicator_id"] == ind]
    assert not rows.empty and rows["value"].isna().all(), "the report does not publish these values"
    note = next(n for n in rows["note"] if n)
    assert note.startswith("Not published in the report text")

    dash_duo.start_server(app)
    set_name = dataset.indicator(ind)["set"]
    dash_duo.wait_for_page(explore_url(dash_duo, set=set_name, indicator=ind))
    dash_duo.wait_for_element(f"section#card-{ind}", timeout=WAIT)
    settle(dash_duo)
    card = dash_duo.find_element(f"section#card-{ind}")
    assert "Not published in the report text" in card.text
    assert normalise_space(note) in normalise_space(card.text)
    assert count(dash_duo, f"#card-{ind} .js-plotly-plot, #card-{ind} .dash-graph") == 0
    assert count(dash_duo, f"#card-{ind} details.table-panel") == 0
    assert card_traces(dash_duo, ind) is None
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_exp007_download_csv_matches_the_table(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    ind = "year6-overweight"
    areas = [YORK, ENGLAND]

    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo, set="Aged 5-11", indicator=ind, area=areas, mode="trend"))
    wait_for_traces(dash_duo, ind, lambda ts: len(ts) == 3, what="two areas, York's line broken at its change of source")
    table = trend_records(card_table(dash_duo, ind))
    assert table

    target = os.path.join(dash_duo.download_path, f"{ind}.csv")
    assert not os.path.exists(target)
    click(dash_duo, dash_duo.find_element(f"#card-{ind} button.download-button"))
    until(lambda: os.path.exists(target) and not os.path.exists(target + ".crdownload") and os.path.getsize(target) > 0,
          WAIT, msg=f"no {ind}.csv in {os.listdir(dash_duo.download_path)}")
    with open(target, encoding="utf-8", newline="") as fh:
        text = fh.read()
    records = list(csv.DictReader(io.StringIO(text)))

    # Formula-safe: no text cell a spreadsheet would run as a formula.
    for rec in records:
        for col, cell in rec.items():
            if cell.startswith(FORMULA_STARTS):
                try:
                    float(cell)  # a negative number is a number, not a formula
                except ValueError:
                    raise AssertionError(f"formula-like cell {col}={cell!r}") from None

    assert {r["indicator_id"] for r in records} == {ind}
    assert {r["area_code"] for r in records} <= set(areas)
    with_value = [r for r in records if r["value"] != ""]
    # The table reads by period (a column per area), the CSV a row per value: the same values, in any order.
    assert sorted((r["period"], r["area_name"], float(r["value"])) for r in with_value) == sorted(
        (t["Period"], t["Area"], number(t["Value"])) for t in table
    ), "the CSV's values are the table's"
    # ... and the data's: every York/England row of the indicator, blanks included.
    obs = dataset.observations
    expected = obs[(obs["indicator_id"] == ind) & obs["area_code"].isin(areas)]
    assert len(records) == len(expected)
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_exp008_charts_draw_with_the_vendored_basic_plotly_and_never_fetch_the_full_bundle(dash_duo):
    """Page weight (issue 6): assets/vendor/plotly-basic.min.js defines window.Plotly, so dcc.Graph does not
    fetch Dash's 4.7 MB plotly.min.js. Every trace type the app draws must still draw with it: a trend
    with error bars, patterned bars, horizontal bars."""
    from plotly.offline import get_plotlyjs_version

    app = create_app()
    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo, indicator=["year6-overweight", "reception-overweight"], mode="compare"))
    wait_for_traces(dash_duo, "year6-overweight", lambda ts: len(ts) == 2 and all(t["type"] == "bar" for t in ts), what="compare bars")
    dash_duo.wait_for_page(explore_url(dash_duo, set="Training"))
    dash_duo.wait_for_element("#explore-results section.indicator-card .js-plotly-plot", timeout=WAIT)
    dash_duo.wait_for_page(explore_url(dash_duo, indicator="year6-overweight"))
    wait_for_traces(dash_duo, "year6-overweight", lambda ts: bool(ts) and ts[0]["type"] == "scatter", what="the trend")
    # The bundled rows carry no CIs, but uploaded Fingertips rows do: the bundle must draw error bars too.
    drawn = dash_duo.driver.execute_async_script("""
        const done = arguments[arguments.length - 1], div = document.createElement('div');
        document.body.appendChild(div);
        Plotly.newPlot(div, [{type: 'scatter', x: [1, 2], y: [3, 4],
                              error_y: {type: 'data', array: [0.5, 0.5], visible: true}}])
          .then(() => { const n = div.querySelectorAll('g.errorbar path').length; Plotly.purge(div); div.remove(); done(n); });
    """)
    assert drawn == 2, drawn
    info = dash_duo.driver.execute_script(
        "return {version: window.Plotly && window.Plotly.version,"
        " basic: !!document.querySelector('script[src*=\"plotly-basic.min.js\"]'),"
        " fetched: performance.getEntriesByType('resource').map(e => e.name)};")
    assert info["basic"] and info["version"] == get_plotlyjs_version()
    assert not [u for u in info["fetched"] if "plotly.min.js" in u], info["fetched"]
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)
