"""Accessibility in a real browser: axe-core (WCAG 2.x A/AA) and keyboard order."""
from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from app import create_app
from tests.integration.conftest import (
    BLOCKING_IMPACTS,
    WAIT,
    axe_violations,
    checked_values,
    console_errors,
    describe_violations,
    explore_url,
    select_value,
    served_dataset,
    settle,
    wait_for_traces,
)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]


def _check_axe(dash_duo, page: str) -> list[str]:
    violations = axe_violations(dash_duo, WCAG_TAGS)
    report = describe_violations(violations)
    if report:
        print(f"\naxe on {page}:\n{report}")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    return [f"{page}: " + describe_violations([v]) for v in blocking]


def test_a11y001_axe_wcag_aa_on_overview_and_explore(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    dash_duo.start_server(app)
    dash_duo.wait_for_element(f"#row-{dataset.indicators.index[-1]}", timeout=WAIT)  # the overview table (issue 14)
    settle(dash_duo)
    failures = _check_axe(dash_duo, "/")

    ind = "year6-overweight"
    dash_duo.wait_for_page(explore_url(dash_duo, set=dataset.indicator(ind)["set"], indicator=ind))
    wait_for_traces(dash_duo, ind, bool, what="a chart")
    failures += _check_axe(dash_duo, "/explore")

    assert not failures, "serious or critical axe violations:\n" + "\n".join(failures)
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)


_ACTIVE_JS = """
const el = document.activeElement;
if (!el || el === document.body) return 'body';
const group = el.closest('#explore-indicators, #explore-areas, #explore-mode');
if (el.type === 'checkbox' || el.type === 'radio') return (group ? group.id : el.name) + ':' + el.value;
if (el.classList.contains('skip-link')) return 'skip-link';
return el.id || (el.tagName.toLowerCase() + ':' + (el.getAttribute('href') || el.textContent.trim().slice(0, 30)));
"""


def test_a11y002_keyboard_reaches_every_filter_in_order(dash_duo):
    app = create_app()
    dataset = served_dataset(app)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(explore_url(dash_duo))
    dash_duo.wait_for_element("#explore-results section.indicator-card", timeout=WAIT)
    shown_set = select_value(dash_duo, "explore-set")
    cards = dash_duo.find_elements("#explore-results section.indicator-card")
    wait_for_traces(dash_duo, cards[0].get_attribute("id").removeprefix("card-"), bool, what="a chart")

    indicators = list(dataset.indicators.index[dataset.indicators["set"] == shown_set])
    mode = checked_values(dash_duo, "explore-mode")
    assert len(mode) == 1
    expected = (
        ["explore-set", "explore-age-band"]
        + [f"explore-indicators:{i}" for i in indicators]
        + [f"explore-areas:{a}" for a in dataset.areas]
        + ["explore-from-year", "explore-to-year", f"explore-mode:{mode[0]}"]
    )

    driver = dash_duo.driver
    driver.execute_script("window.scrollTo(0, 0); if (document.activeElement) document.activeElement.blur();")
    assert driver.execute_script(_ACTIVE_JS) == "body"
    visited = []
    for _ in range(150):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        visited.append(driver.execute_script(_ACTIVE_JS))
        past_mode = [k for k in visited if k.startswith("explore-mode:")]
        if past_mode and not visited[-1].startswith("explore-mode:"):
            break  # one stop after the mode group: everything asked for is behind us

    assert visited[0] == "skip-link", f"first Tab stop: {visited[:3]}"
    wanted = set(expected)
    reached = [k for k in visited if k in wanted or k.startswith("explore-mode:")]
    missing = [k for k in expected if k not in visited]
    assert not missing, f"never reached by Tab: {missing}\nvisited: {visited}"
    assert reached == expected, f"Tab order of the filters (a radio group is one stop, its checked radio)\nvisited: {visited}"

    # The skip link moves focus to the main content, so the next Tab lands on the first filter.
    driver.execute_script("document.querySelector('a.skip-link').focus()")
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    assert driver.execute_script("return document.activeElement.id") == "main-content"
    ActionChains(driver).send_keys(Keys.TAB).perform()
    assert driver.execute_script(_ACTIVE_JS) == "explore-set"
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)
