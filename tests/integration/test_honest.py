"""Honest comparisons (issue 13) as the user sees them: tiles, explore and decks say the one computed
status, change and comparison; time is a time axis; a break is visible; one value is a number."""
from __future__ import annotations

from app import create_app
from data.domain.status import indicator_status
from layouts.charts import SIGNIFICANCE_NAMES
from tests.integration.conftest import (
    ENGLAND,
    WAIT,
    YORK,
    card_table,
    console_errors,
    count,
    explore_url,
    normalise_space,
    served_dataset,
    settle,
    table_records,
    wait_for_traces,
)


def _tile_text(dash_duo, ind_id: str) -> str:
    return normalise_space(dash_duo.find_element(f"#tile-{ind_id}").text)


def test_hon101_tiles_say_overdue_out_of_date_breaks_and_the_comparison(dash_duo):
    app = create_app()
    status = indicator_status(served_dataset(app), "2023/24")
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/?view=tiles")  # the overview's tiles, its second view (issue 14)
    dash_duo.wait_for_element("#tile-smoking-at-delivery", timeout=WAIT)
    settle(dash_duo)
    # Overdue, with the indicator's own reason (not the report's whole footnote).
    smoking = _tile_text(dash_duo, "smoking-at-delivery")
    assert "Overdue: expected November 2024" in smoking
    assert normalise_space(status.at["smoking-at-delivery", "pending_reason"]) in smoking
    assert "hospital" not in smoking.lower() and "Measurement Programme" not in smoking
    # Out of date, in words, with its age.
    neet = _tile_text(dash_duo, "fingertips-neet-16-17")
    assert "Out of date: the latest value is five years older than the reporting year 2023/24." in neet
    # No change across a change of source.
    reception = _tile_text(dash_duo, "reception-overweight")
    assert "No change stated: the source changed after 2017/18" in reception and "since 2017/18:" not in reception
    # A change more than a period back says how far back.
    assert "since 2014/15, two years earlier" in _tile_text(dash_duo, "fingertips-dental-decay-free-5")
    # The comparison with England in words.
    assert "Worse than England (as the source states)." in _tile_text(dash_duo, "fingertips-self-harm-admissions-10-24-asr")
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_hon102_compare_with_england_is_lines_on_a_time_axis_with_named_markers(dash_duo):
    app = create_app()
    ind = "fingertips-self-harm-admissions-10-24-asr"
    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo, indicator=ind, mode="england"))
    traces = wait_for_traces(dash_duo, ind, lambda ts: any(t["name"] in SIGNIFICANCE_NAMES.values() for t in ts), what="significance markers")
    assert all(t["type"] == "scatter" for t in traces)
    names = [t["name"] for t in traces]
    assert names[:2] == ["York", "England"] and "Worse than England" in names
    axis = dash_duo.driver.execute_script(
        "const g = document.querySelector('#card-' + arguments[0] + ' .js-plotly-plot'); return g._fullLayout.xaxis.type", ind)
    assert axis == "date"
    rows = table_records(card_table(dash_duo, ind))
    assert rows[-1]["Period"] == "2017/18" and rows[-1]["Compared with England"] == "Worse (stated by the source)"
    caption = normalise_space(dash_duo.find_element(f"#card-{ind} figcaption").text)
    assert "York was significantly worse than England in 2017/18 (as the source states)." in caption
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_hon103_a_change_of_source_is_a_break_in_the_line(dash_duo):
    app = create_app()
    ind = "reception-overweight"
    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo, indicator=ind, area=[YORK, ENGLAND]))
    traces = wait_for_traces(dash_duo, ind, lambda ts: len(ts) == 3, what="two York traces and England")
    assert [t["name"] for t in traces] == ["York: OHID Fingertips (indicator 20601)", "York: Annual Report 2023/24", "England"]
    caption = normalise_space(dash_duo.find_element(f"#card-{ind} figcaption").text)
    assert "Break in the series." in caption and "no change is stated across it" in caption
    assert "up from" not in caption and "down from" not in caption
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_hon104_one_value_is_a_headline_figure_not_a_chart(dash_duo):
    app = create_app()
    ind = "teenage-mothers"
    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo, indicator=ind))
    dash_duo.wait_for_element(f"#card-{ind} .headline-figure", timeout=WAIT)
    settle(dash_duo)
    assert count(dash_duo, f"#card-{ind} .js-plotly-plot") == 0
    figure = normalise_space(dash_duo.find_element(f"#card-{ind} .headline-figure").text)
    assert figure.startswith("1.0% York, 2022/23")
    assert "Source: Annual Report 2023/24" in figure and "England: no value for 2022/23 in the data." in figure
    size = dash_duo.driver.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('#card-' + arguments[0] + ' .headline-number')).fontSize)", ind)
    assert size >= 40
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_hon105_compare_with_england_is_legible_at_390px(dash_duo):
    app = create_app()
    ind = "fingertips-self-harm-admissions-10-24-asr"
    dash_duo.start_server(app)
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.wait_for_page(explore_url(dash_duo, indicator=ind, mode="england"))
    wait_for_traces(dash_duo, ind, lambda ts: any(t["name"] in SIGNIFICANCE_NAMES.values() for t in ts), what="significance markers")
    sizes = dash_duo.driver.execute_script("""
      const g = document.querySelector('#card-' + arguments[0] + ' .js-plotly-plot');
      const px = el => parseFloat(getComputedStyle(el).fontSize || el.getAttribute('font-size') || '0');
      const texts = Array.from(g.querySelectorAll('.legendtext, .xtick text, .ytick text'));
      return {min: Math.min(...texts.map(t => parseFloat(t.style.fontSize))), n: texts.length,
              plot: g.getBoundingClientRect().width, card: g.closest('section').getBoundingClientRect().width};""", ind)
    assert sizes["n"] > 0 and sizes["min"] >= 12, sizes  # no 6 px labels
    assert sizes["plot"] <= sizes["card"], sizes
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_hon106_a_deck_slide_says_overdue_age_and_shows_one_value_as_a_number(dash_duo):
    app = create_app()
    dash_duo.start_server(app)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/spotlight/first-1001-days")
    dash_duo.wait_for_element(".spotlight-slide.is-current", timeout=WAIT)
    settle(dash_duo)
    slide = dash_duo.driver.execute_script("""
      const s = document.querySelector('.spotlight-slide[data-indicator="smoking-at-delivery"]');
      return {text: s.textContent, graphs: s.querySelectorAll('.js-plotly-plot, .dash-graph').length,
              badge: s.querySelector('.slide-pending strong').textContent,
              number: s.querySelector('.slide-number').textContent};""")
    assert slide["graphs"] == 0 and slide["number"] == "8.1%"
    text = normalise_space(slide["text"])
    assert "One value: shown as a number, not a chart." in text
    assert "York, 2022/23: one year older than the reporting year 2023/24" in text
    assert slide["badge"] == "Overdue: expected November 2024"
    assert "The 2023/24 value was not available when the report was written." in text and "hospital" not in text.lower()
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)
