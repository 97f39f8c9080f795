"""Numbers as people read them: units, changes, directions."""
from __future__ import annotations

import math


def _plain(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value, unit: str) -> str:
    if is_missing(value):
        return "not stated"
    if unit == "%":
        return f"{_plain(value)}%"
    if unit == "£":
        return f"£{_plain(value)}"
    if unit.startswith("rate per"):
        return f"{_plain(value)} per {unit.removeprefix('rate per ')}"
    if unit in ("days", "hectares"):
        return f"{_plain(value)} {unit}"
    return _plain(value)


def format_change(delta, unit: str) -> str:
    """A signed change: '+4 percentage points', '-1.5 per 100,000'."""
    if is_missing(delta):
        return "not available"
    sign = "+" if delta > 0 else ("-" if delta < 0 else "")
    size = abs(delta)
    if unit == "%":
        points = _plain(size)
        return f"{sign}{points} percentage point" + ("" if points == "1" else "s")
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
