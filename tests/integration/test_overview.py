"""Overview page in a real browser: sets, tiles, pending badges and the reporting year."""
from __future__ import annotations

from dash.testing.wait import until

from app import create_app
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
