"""Periods in one form and one precision per unit (issue 14): pure functions in data/domain/formatting.py."""
from __future__ import annotations

import pytest

from data.domain.formatting import decimals, format_change, format_period, format_value, period_with_published


@pytest.mark.parametrize(("label", "shown"), [
    ("22/23", "2022/23"),
    ("23/24", "2023/24"),
    ("2022-23", "2022/23"),
    ("2023-24", "2023/24"),
    ("2022/2023", "2022/23"),
    ("2022/23", "2022/23"),
    ("2006/07", "2006/07"),
    ("1999/00", "1999/00"),
    ("2019/2020", "2019/20"),
    ("Q1 24/25", "Q1 2024/25"),
    ("Q2 23/24", "Q2 2023/24"),
    ("20/21-22/23", "2020/21 to 2022/23"),
    ("20-22", "2020 to 2022"),
    ("2021", "2021"),
    ("June 2023", "June 2023"),
    ("Sept 2023 - March 2024", "Sept 2023 - March 2024"),
    ("not stated", "not stated"),
    ("", ""),
    (None, ""),
])
def test_per101_periods_display_in_one_form(label, shown):
    assert format_period(label) == shown


def test_per102_no_displayed_period_is_a_short_or_dashed_year_on_the_bundled_data(bundled):
    import re

    short_or_dashed = re.compile(r"(?<!\d)\d{2}/\d{2}(?!\d)|\b\d{4}-\d{2}\b")
    labels = set(bundled.observations["period"].astype(str))
    bad = {label: format_period(label) for label in labels if short_or_dashed.search(format_period(label))}
    assert not bad, bad


def test_per103_the_published_label_is_kept_beside_the_display_form():
    assert period_with_published("22/23") == "2022/23 (published as 22/23)"
    assert period_with_published("2023-24") == "2023/24 (published as 2023-24)"
    assert period_with_published("2023/24") == "2023/24"
    assert period_with_published("June 2023") == "June 2023"


@pytest.mark.parametrize(("value", "unit", "text"), [
    (18.89, "%", "18.9%"),
    (12.09, "%", "12.1%"),
    (1.80, "%", "1.8%"),
    (100, "%", "100.0%"),
    (21, "%", "21.0%"),
    (0.08, "%", "0.08%"),  # below 1: a second place that 1 dp would round away is kept
    (0.22, "%", "0.22%"),
    (0.5, "%", "0.5%"),
    (27.30, "rate per 100,000", "27.3 per 100,000"),
    (431, "rate per 100,000", "431.0 per 100,000"),
    (3.1, "rate per 1,000", "3.1 per 1,000"),
    (211012, "count", "211,012"),
    (1150, "count", "1,150"),
    (0, "count", "0"),
    (161522, "£", "£161,522"),
    (-49520, "£", "-£49,520"),
    (45, "days", "45 days"),
    (27194, "hectares", "27,194 hectares"),
    (None, "%", "not stated"),
])
def test_fmt101_one_precision_per_unit(value, unit, text):
    assert format_value(value, unit) == text


def test_fmt102_every_bundled_value_has_its_units_precision(bundled):
    units = bundled.indicators["unit"]
    obs = bundled.observations[bundled.observations["value"].notna()]
    for ind_id, value in zip(obs["indicator_id"].astype(str), obs["value"], strict=True):
        unit = units[ind_id]
        number = format_value(value, unit).removeprefix("-").removeprefix("£").split(" ")[0].rstrip("%")
        places = len(number.split(".")[1]) if "." in number else 0
        assert places == decimals(value, unit), (ind_id, value, number)
        if unit in ("count", "£", "hectares") and abs(value) >= 1000:
            assert "," in number, (ind_id, value, number)


def test_fmt103_changes_use_the_same_precision():
    assert format_change(4, "%") == "+4.0 percentage points"
    assert format_change(-0.7, "%") == "-0.7 percentage points"
    assert format_change(1, "%") == "+1.0 percentage point"
    assert format_change(-12.456, "rate per 100,000") == "-12.5 per 100,000"
    assert format_change(1200, "count") == "+1,200"
