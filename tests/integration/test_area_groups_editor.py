"""Comparator groups edited in the app (issue 12 point 5, leftovers): on /catalogue an editor opens the
"Yorkshire and The Humber" group, sees bad area codes refused one by one with nothing changed, saves
four areas, and the Compare areas view then ranks exactly those areas. The data is the real Fingertips
download of indicator 93356 (tests/data/fingertips/raw-download-example.csv; OHID Fingertips, OGL v3.0)
published to a fresh store. Screenshots at 1366x768 and 390x844 go to the test's tmp folder."""
from __future__ import annotations

import pandas as pd
import pytest
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys

from data.storage import users
from data.storage.area_groups import list_groups
from tests.integration.conftest import (
    RAW_DOWNLOAD,
    WAIT,
    YORK,
    axe_violations,
    card_table,
    choose,
    click,
    console_errors,
    describe_violations,
    explore_url,
    table_records,
    wait_for_query,
    wait_for_traces,
)
from tests.integration.test_fetch_catalogue import serious, shoot
from tests.integration.test_upload_flow import EDITOR, PASSWORD, sign_in, wait_for_text

RAW = RAW_DOWNLOAD
FT = "fingertips-93356"
GROUP = "Yorkshire and The Humber"
# York, Leeds, Sheffield, Bradford: areas of the raw download.
CHOSEN = [YORK, "E08000035", "E08000019", "E08000032"]


@pytest.fixture
def site(raw_published):
    app, store = raw_published
    users.create_user(store.engine, EDITOR, PASSWORD, role="editor")
    return app, store


def _type_areas(dash_duo, text: str) -> None:
    box = dash_duo.wait_for_element("#group-areas", timeout=WAIT)
    box.send_keys(Keys.CONTROL, "a")  # select and type over (React's controlled textarea)
    box.send_keys(Keys.DELETE)
    box.send_keys(text)
    until(lambda: box.get_attribute("value") == text, WAIT, msg=f"the areas did not take {text!r}")


def test_grp201_edit_a_comparator_group_and_compare_areas_uses_it(dash_duo, site, tmp_path):
    app, store = site
    before = list_groups(store.engine)[GROUP]
    assert len(before) > len(CHOSEN)
    dash_duo.start_server(app)
    sign_in(dash_duo, "/catalogue")
    wait_for_text(dash_duo, "#group-table", GROUP)
    click(dash_duo, dash_duo.find_element("#group-edit-yorkshire-and-the-humber"))
    until(lambda: "group=" in dash_duo.driver.current_url, WAIT, msg="the edit link did not open the group form")
    box = dash_duo.wait_for_element("#group-areas", timeout=WAIT)
    assert box.get_attribute("value").split("\n") == [code for code, _ in before]

    # Bad codes: each named, what was typed kept, the group unchanged.
    _type_areas(dash_duo, f"{YORK}\nE0600001X\nW06000001\n{YORK}")
    click(dash_duo, dash_duo.find_element("#group-save"))
    shown = wait_for_text(dash_duo, "#group-problems", "nothing was saved")
    assert "area 2: 'E0600001X' is not an area code" in shown
    assert "area 3: 'W06000001' is not an area in the data or in a group" in shown
    assert f"area 4: '{YORK}' is listed twice" in shown
    assert dash_duo.wait_for_element("#group-areas", timeout=WAIT).get_attribute("value") == f"{YORK}\nE0600001X\nW06000001\n{YORK}"
    assert list_groups(store.engine)[GROUP] == before
    shoot(dash_duo, tmp_path, "group-error", "#catalogue-groups")

    _type_areas(dash_duo, "\n".join(CHOSEN))
    click(dash_duo, dash_duo.find_element("#group-save"))
    wait_for_text(dash_duo, "#group-status", f"Saved the group {GROUP}: 4 areas")
    assert [code for code, _ in list_groups(store.engine)[GROUP]] == CHOSEN
    problems = serious(axe_violations(dash_duo, ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]))
    assert problems == [], describe_violations(problems)
    shoot(dash_duo, tmp_path, "group-saved", "#catalogue-groups")

    # Compare areas with the group: exactly the four areas are ranked.
    dash_duo.wait_for_page(explore_url(dash_duo, indicator=FT, mode="areas"))
    wait_for_traces(dash_duo, FT, lambda ts: any(t["name"] == "York" for t in ts), what="the ranked areas")
    choose(dash_duo, "explore-compare-areas-group", GROUP)
    wait_for_query(dash_duo, "areas_group", GROUP)
    choose(dash_duo, "explore-compare-areas-period", "2015")
    wait_for_query(dash_duo, "areas_period", "2015")
    wait_for_traces(dash_duo, FT, lambda ts: sum(len(t["y"]) for t in ts if t["type"] == "bar") == len(CHOSEN),
                    what="the group's four areas")
    raw = pd.read_csv(RAW, dtype=str, keep_default_na=False)
    names = set(raw.loc[raw["Area Code"].isin(CHOSEN), "Area Name"])
    ranked = [r["Area"].removeprefix("► ") for r in table_records(card_table(dash_duo, FT)) if r["Rank"] != "-"]
    assert sorted(ranked) == sorted(names) and len(ranked) == 4
    logs = dash_duo.get_logs()
    assert logs == [], console_errors(logs)
