"""Reflow (WCAG 1.4.10): at a phone's width no page scrolls sideways. The site menu wraps, and the
spotlight's topic cards shrink to the screen (issue 14 names 390 and 320 px)."""
from __future__ import annotations

import pytest

from app import create_app
from data.domain.dataset import load_bundled
from data.domain.source import FixedSource
from tests.integration.conftest import settle

PAGES = ["/", "/explore", "/spotlight", "/login"]


@pytest.mark.parametrize("width, height", [(390, 844), (320, 640)])
def test_rfl001_no_page_scrolls_sideways_on_a_phone(dash_duo, width, height):
    dash_duo.start_server(create_app(source=FixedSource(load_bundled())))
    dash_duo.driver.set_window_size(width, height)
    wide = {}
    for path in PAGES:
        dash_duo.wait_for_page(dash_duo.server_url + path)
        dash_duo.wait_for_element("#page-content h1")
        settle(dash_duo)
        scroll, inner = dash_duo.driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > inner:
            wide[path] = (scroll, inner)
    assert wide == {}, f"pages wider than the {width} px window: {wide}"
    assert dash_duo.get_logs() == []
