"""Overview page in a real browser: the numbers-first table (the default view), and the tiles (?view=tiles):
sets, pending badges and the reporting year."""
from __future__ import annotations

import re

import pytest
from dash.testing.wait import until

from app import create_app
from data.domain.formatting import display_name, format_value
from data.domain.status import indicator_status
from tests.integration.conftest import (
    WAIT,
    choose,
    console_errors,
    count,
    normalise_space,
    query,
    select_value,
    served_dataset,
    settle,
)

_SECTIONS_JS = """
return Array.from(document.querySelectorAll('#overview-sections h2[id^="set-"]')).map(h => {
  const section = h.closest('section');
  return {id: h.id, text: h.textContent.trim(),
          labelled: section ? section.getAttribute('aria-labelledby') : null,
          tiles: section ? Array.from(section.querySelectorAll('li[id^="tile-"]')).map(li => li.id.slice(5)) : []};
});
"""


def _pending(dataset, year: str) -> list[str]:
    """Pending or overdue (a pending flag the report set, not yet cleared)."""
    status = indicator_status(dataset, year)
    return list(status.index[status["pending"]])


def test_ovr001_every_set_and_indicator_has_a_section_and_tile(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url + "/?view=tiles")
    dash_duo.wait_for_element("#overview-sections li[id^='tile-']", timeout=WAIT)
    settle(dash_duo)

    sections = dash_duo.driver.execute_script(_SECTIONS_JS)
    assert [s["text"] for s in sections] == dataset.sets, "one h2 per indicator set, in the data's order"
    assert len({s["id"] for s in sections}) == len(sections), "set heading ids are unique"
    for s in sections:
        assert s["labelled"] == s["id"], f"section of {s['text']} is labelled by its h2"
        expected = list(dataset.indicators.index[dataset.indicators["set"] == s["text"]])
        assert s["tiles"] == expected, f"tiles of set {s['text']}"

    tile_ids = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#overview-sections li[id^=\"tile-\"]')).map(li => li.id.slice(5))"
    )
    assert sorted(tile_ids) == sorted(dataset.indicators.index), "exactly one tile per indicator"

    # The contents list links to each set's heading.
    hrefs = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('nav .set-contents a')).map(a => a.getAttribute('href'))"
    )
    assert hrefs == ["#" + s["id"] for s in sections]
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_ovr002_pending_badges_follow_the_reporting_year(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    pending = _pending(dataset, "2023/24")
    assert {"smoking-at-delivery", "reception-overweight"} <= set(pending), pending
    assert "breastfeeding-6-8-weeks" not in pending
    reasons = indicator_status(dataset, "2023/24")["pending_reason"]
    labels = indicator_status(dataset, "2023/24")["status_label"]

    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url + "/?view=tiles")
    dash_duo.wait_for_element("#tile-smoking-at-delivery", timeout=WAIT)
    settle(dash_duo)
    assert select_value(dash_duo, "overview-reporting-year") == "2023/24"

    for ind_id in pending:
        tile = dash_duo.find_element(f"#tile-{ind_id}")
        badges = tile.find_elements("css selector", "strong.badge-pending")
        assert len(badges) == 1, f"{ind_id}: one pending badge"
        assert badges[0].is_displayed(), f"{ind_id}: badge visible"
        assert badges[0].text == labels[ind_id] == "Overdue: expected November 2024"  # today is past November 2024
        assert normalise_space(reasons[ind_id]) in normalise_space(tile.text), f"{ind_id}: reason in visible text"
    badged = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('li[id^=\"tile-\"] strong.badge-pending')).map(b => b.closest('li').id.slice(5))"
    )
    assert sorted(badged) == sorted(pending), "badges on exactly the pending indicators"
    assert count(dash_duo, "#tile-breastfeeding-6-8-weeks") == 1
    assert count(dash_duo, "#tile-breastfeeding-6-8-weeks .badge-pending") == 0

    pending_2223 = _pending(dataset, "2022/23")
    assert "smoking-at-delivery" not in pending_2223
    choose(dash_duo, "overview-reporting-year", "2022/23")
    until(lambda: query(dash_duo).get("year") == ["2022/23"], WAIT, msg=f"URL: {dash_duo.driver.current_url}")
    assert query(dash_duo).get("view") == ["tiles"], "the year change keeps the view"
    settle(dash_duo)
    until(lambda: count(dash_duo, "#tile-smoking-at-delivery strong.badge-pending") == 0, WAIT,
          msg="smoking-at-delivery badge still shown for 2022/23")
    badged = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('li[id^=\"tile-\"] strong.badge-pending')).map(b => [b.closest('li').id.slice(5), b.textContent])"
    )
    labels_2223 = indicator_status(dataset, "2022/23")["status_label"]
    assert sorted(badged) == sorted([i, labels_2223[i]] for i in pending_2223)
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


# -- the table view (issue 14): numbers first ---------------------------------------------------------

_FIRST_SCREEN_JS = """
const fold = window.innerHeight;
const above = el => { const r = el.getBoundingClientRect(); return r.height > 0 && r.bottom <= fold && r.top >= 0; };
const heads = Array.from(document.querySelectorAll('.ov-table thead th')).filter(above).map(th => th.textContent.trim());
const values = Array.from(document.querySelectorAll('.ov-table tbody tr[id^="row-"]')).filter(above)
  .map(tr => [tr.id.slice(4), tr.querySelector('.ov-value') ? tr.querySelector('.ov-value').textContent.trim() : '']);
return {heads, values, fold, top: document.querySelector(".ov-table tbody").getBoundingClientRect().top, height: document.documentElement.scrollHeight,
        scroll: document.documentElement.scrollWidth, inner: document.documentElement.clientWidth};
"""


def _viewport(dash_duo, width: int, height: int) -> None:
    """The page's viewport exactly width x height (a window's size would include the browser's frame)."""
    dash_duo.driver.set_window_size(width, height + 200)
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def test_ovr003_the_first_screen_at_1366_is_numbers(dash_duo):
    """At 1366x768 the part of / above y=768 holds the table's York and England columns and York's values
    for indicators, as the table's text (not a picture of it); the page is a fraction of the tiles' height."""
    app = create_app()
    dataset = served_dataset(app)
    dash_duo.start_server(app)
    _viewport(dash_duo, 1366, 768)
    dash_duo.wait_for_page(dash_duo.server_url + "/")
    dash_duo.wait_for_element("#overview-sections tr[id^='row-']", timeout=WAIT)
    settle(dash_duo)
    dash_duo.driver.execute_script("window.scrollTo(0, 0)")
    screen = dash_duo.driver.execute_script(_FIRST_SCREEN_JS)
    assert {"Indicator", "York", "England"} <= set(screen["heads"]), screen["heads"]
    numbers = {i: v for i, v in screen["values"] if any(ch.isdigit() for ch in v)}
    assert screen["fold"] == 768
    assert len(numbers) >= 5, f"York values above the fold: {screen}"
    status = indicator_status(dataset, "2023/24")
    for ind_id, text in numbers.items():  # each is York's latest value, as formatted
        assert text == format_value(status.at[ind_id, "latest_value"], dataset.indicator(ind_id)["unit"]), ind_id
    rows = dash_duo.driver.execute_script("return Array.from(document.querySelectorAll('tr[id^=\"row-\"]')).map(tr => tr.id.slice(4))")
    assert sorted(rows) == sorted(dataset.indicators.index), "one row per indicator"
    assert screen["height"] < 6000, f"page height {screen['height']} px (the tiles: 10,665)"
    cells = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.ov-table tbody tr[id^=\"row-\"]')).map(tr => "
        "[tr.querySelector('th').textContent.trim(), tr.querySelector('.ov-period').textContent.trim()])")
    short_or_dashed = re.compile(r"(?<![\d/])\d{2}/\d{2}(?![\d/])|\b\d{4}-\d{2}\b")
    assert not [p for _, p in cells if short_or_dashed.search(p)], "periods in one form (2022/23)"
    assert not [n for n, _ in cells if "%" in n or not n[:1].isupper()], "names: no value, a capital first letter"
    assert screen["scroll"] <= screen["inner"]
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


def test_ovr004_rows_link_to_explore_grouped_by_set_with_england_and_trend_in_words(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#row-fingertips-dental-decay-free-5", timeout=WAIT)
    settle(dash_duo)
    groups = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.ov-table tbody')).map(tb => "
        "[tb.querySelector('tr.ov-set th').textContent.trim(), Array.from(tb.querySelectorAll('tr[id^=\"row-\"]')).map(tr => tr.id.slice(4))])"
    )
    assert [g[0] for g in groups] == dataset.sets
    for set_name, ids in groups:
        assert ids == list(dataset.indicators.index[dataset.indicators["set"] == set_name]), set_name
    row = dash_duo.find_element("#row-fingertips-dental-decay-free-5")
    link = row.find_element("css selector", "th a")
    assert link.text == display_name(dataset.indicator("fingertips-dental-decay-free-5"))
    assert "indicator=fingertips-dental-decay-free-5" in link.get_attribute("href") and "/explore?" in link.get_attribute("href")
    assert row.find_element("css selector", ".ov-england").text.strip().endswith("%")
    assert "England (as the source states)" in row.find_element("css selector", ".ov-comparison").text
    spark = row.find_element("css selector", "img.ov-spark")
    assert spark.get_attribute("alt").startswith("Trend: "), "the sparkline's trend in words"
    pending = dash_duo.find_element("#row-smoking-at-delivery .ov-status-cell")
    assert "Overdue: expected November 2024" in pending.text and "not available" in pending.text  # its own reason, overdue today
    # The compact pending summary links to the rows.
    hrefs = dash_duo.driver.execute_script("return Array.from(document.querySelectorAll('.pending-names a')).map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"#row-{i}" for i in _pending(dataset, "2023/24"))
    # The year keeps to the table view.
    choose(dash_duo, "overview-reporting-year", "2022/23")
    until(lambda: query(dash_duo).get("year") == ["2022/23"], WAIT, msg=f"URL: {dash_duo.driver.current_url}")
    until(lambda: count(dash_duo, "#row-smoking-at-delivery .badge-pending") == 0, WAIT, msg="badge still shown for 2022/23")
    assert "view" not in query(dash_duo)
    tiles_href = "return document.querySelector('.ov-views a:not([aria-current])').getAttribute('href')"
    until(lambda: "year=2022%2F23" in dash_duo.driver.execute_script(tiles_href) and "view=tiles" in dash_duo.driver.execute_script(tiles_href),
          WAIT, msg="the Tiles link keeps the chosen year")
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


@pytest.mark.parametrize("width, height", [(390, 844), (320, 640)])
def test_ovr005_the_table_never_scrolls_the_page_sideways_on_a_phone(dash_duo, width, height):
    """The table scrolls inside its own region (focusable, labelled), never the page."""
    dash_duo.start_server(create_app())
    _viewport(dash_duo, width, height)
    dash_duo.wait_for_page(dash_duo.server_url + "/")
    dash_duo.wait_for_element("#overview-sections tr[id^='row-']", timeout=WAIT)
    settle(dash_duo)
    screen = dash_duo.driver.execute_script(_FIRST_SCREEN_JS)
    assert screen["scroll"] <= screen["inner"], f"page {screen['scroll']} px wide in a {screen['inner']} px window"
    region = dash_duo.find_element(".ov-table-region")
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"
    label = dash_duo.find_element("#" + region.get_attribute("aria-labelledby")).text
    assert label.startswith("Every indicator")
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)
