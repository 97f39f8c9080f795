"""Numbers, periods and names as people read them: units, changes, directions.

One precision per unit (issue 14): percentages and rates to one decimal place, counts, money, days
and hectares as whole numbers with thousands separators. One exception, so that no figure is rounded
away: a percentage below 1 keeps two decimal places (the report's 0.08% is not "0.1%").
Periods display in one form, "2022/23", whatever form the source printed ("22/23", "2023-24").
"""
from __future__ import annotations

import math
import re

ONE_DECIMAL_UNITS = ("%", "rate per 1,000", "rate per 100,000")


def decimals(value: float, unit: str) -> int:
    """How many decimal places a value of `unit` is shown with."""
    if unit == "%":  # below 1, a second decimal place that 1 dp would round away is kept
        return 2 if 0 < abs(value) < 1 and round(abs(value), 1) != round(abs(value), 2) else 1
    if unit in ONE_DECIMAL_UNITS or unit.startswith("rate per"):
        return 1
    return 0


def _plain(value: float, places: int = 0) -> str:
    text = f"{value:,.{places}f}"
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


def _number(value: float, unit: str) -> str:
    return _plain(value, decimals(value, unit))


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value, unit: str) -> str:
    if is_missing(value):
        return "not stated"
    text = _number(value, unit)
    if unit == "%":
        return f"{text}%"
    if unit == "£":
        return f"-£{text[1:]}" if text.startswith("-") else f"£{text}"
    if unit.startswith("rate per"):
        return f"{text} per {unit.removeprefix('rate per ')}"
    if unit in ("days", "hectares"):
        return f"{text} {unit}"
    return text


def format_change(delta, unit: str) -> str:
    """A signed change: '+4 percentage points', '-1.5 per 100,000'."""
    if is_missing(delta):
        return "not available"
    sign = "+" if delta > 0 else ("-" if delta < 0 else "")
    size = abs(delta)
    if unit == "%":
        points = _number(size, unit)
        return f"{sign}{points} percentage point" + ("" if points == "1.0" else "s")
    return sign + format_value(size, unit)


def format_percent_change(old, new) -> str:
    if is_missing(old) or is_missing(new) or old == 0:
        return "not available"
    pct = (new - old) / abs(old) * 100
    sign = "+" if pct > 0 else ("-" if pct < 0 else "")
    return f"{sign}{abs(pct):.1f}%"


ARROWS = {"up": "▲", "down": "▼", "same": "▶"}


def movement(delta) -> str:
    """'up', 'down' or 'same' (the arrow's direction; better/worse is a separate word)."""
    if is_missing(delta) or delta == 0:
        return "same"
    return "up" if delta > 0 else "down"


# -- periods ---------------------------------------------------------------------------------------

_SPLIT_YEAR = re.compile(r"(?<![\d/])(\d{4}|\d{2})\s*[/-]\s*(\d{4}|\d{2})(?![\d/])")


def _split_year(m: re.Match) -> str:
    first, second = m.group(1), m.group(2)
    start = int(first) if len(first) == 4 else 2000 + int(first)
    end = int(second) if len(second) == 4 else start + (int(second) - start) % 100  # "99/00" -> 2000
    if end == start + 1:
        return f"{start}/{str(end)[-2:]}"
    if len(first) == 2 and len(second) == 2 and 1 < end - start <= 10:  # a span of years: "20-22"
        return f"{start} to {end}"
    return m.group(0)


def format_period(label) -> str:
    """A period label in the one form pages display: "22/23", "2022-23" and "2022/2023" -> "2022/23";
    "Q1 24/25" -> "Q1 2024/25"; "20/21-22/23" -> "2020/21 to 2022/23"; "20-22" -> "2020 to 2022".
    Any other label (a month, a date range, "not stated") is shown as published."""
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return ""
    text = str(label).strip()
    two = re.fullmatch(r"(\d{2}/\d{2})\s*-\s*(\d{2}/\d{2})", text)
    if two:  # a rolling span of financial years
        return f"{_SPLIT_YEAR.sub(_split_year, two.group(1))} to {_SPLIT_YEAR.sub(_split_year, two.group(2))}"
    return _SPLIT_YEAR.sub(_split_year, text)


def period_with_published(label) -> str:
    """The display form, with the label as published when it differs: "2022/23 (published as 22/23)"."""
    shown = format_period(label)
    published = "" if shown == "" else str(label).strip()
    return shown if shown == published else f"{shown} (published as {published})"


# -- names -----------------------------------------------------------------------------------------

def display_name(indicator) -> str:
    """The name pages show for an indicator (a catalogue row, or a mapping with "name" and
    "short_name"): its short display name, else the report's wording with a capital first letter."""
    short = indicator.get("short_name", "") if hasattr(indicator, "get") else ""
    if isinstance(short, str) and short.strip():
        return short.strip()
    name = str(indicator["name"])
    return name[:1].upper() + name[1:]


def as_worded(indicator) -> str:
    """The report's (or the source's) own wording, for "As the report words it:"."""
    return str(indicator["name"])

