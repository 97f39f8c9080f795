"""Turn a run's raw numbers into measures (value, target, floor, ratio, pass) and a markdown table."""
from __future__ import annotations

import math

MB = 1_000_000  # decimal megabytes, as the targets are read (1.2 MB = 1,200,000 bytes)


def _num(x):
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def measure(measures: dict, key: str, value, unit: str, *, scale: str, target=None, target_text: str = "",
            floor=None, floor_text: str = "", ratio_target=None, lower_is_better: bool = True, note: str = "", load=None) -> None:
    """Add one measure. Pass/fail: against `target` (absolute), or `ratio_target` (value/floor), or None if neither."""
    value, floor = _num(value), _num(floor)
    ratio = value / floor if value is not None and floor not in (None, 0.0) else None
    verdict = None
    if value is not None:
        if ratio_target is not None and ratio is not None:
            verdict = ratio <= ratio_target
        elif target is not None:
            verdict = value <= target if lower_is_better else value >= target
    measures[key] = {
        "value": value, "unit": unit, "scale": scale, "target": target, "target_text": target_text,
        "floor": floor, "floor_text": floor_text, "ratio": ratio, "ratio_target": ratio_target, "pass": verdict,
        "note": note, "load": load,
    }


def _fmt(x, unit: str = "") -> str:
    if x is None:
        return "—"
    if unit == "bytes":
        return f"{x / MB:,.2f} MB"
    if unit in ("MB",):
        return f"{x:,.0f} MB"
    if abs(x) >= 100:
        return f"{x:,.0f}" + (f" {unit}" if unit else "")
    if abs(x) >= 10:
        return f"{x:,.1f}" + (f" {unit}" if unit else "")
    return f"{x:,.2f}" + (f" {unit}" if unit else "")


def markdown(results: dict) -> str:
    meta = results["meta"]
    lines = [
        f"Benchmark run {meta['started']} ({'smoke' if meta['smoke'] else 'full'}), git {meta.get('git', '?')}, "
        f"{meta['cpus']} CPUs, load average at start {meta['loadavg_start']}, at end {meta.get('loadavg_end')}",
        "",
        "| measure | scale | value | target | floor | ratio | pass | load (1 min, before → after) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, m in results["measures"].items():
        unit = m["unit"]
        ratio = "—" if m["ratio"] is None else f"{m['ratio']:.2f}×" + (f" (≤ {m['ratio_target']:g}×)" if m["ratio_target"] else "")
        verdict = {True: "pass", False: "**FAIL**", None: ""}[m["pass"]]
        floor = "—" if m["floor"] is None else _fmt(m["floor"], unit) + (f" ({m['floor_text']})" if m["floor_text"] else "")
        name = key.split("@")[0]
        load = m.get("load") or {}
        load_text = f"{load['before'][0]:.2f} → {load['after'][0]:.2f}" if load.get("before") and load.get("after") else "—"
        lines.append(f"| {name} | {m['scale']} | {_fmt(m['value'], unit)} | {m['target_text'] or '—'} | {floor} | {ratio} | {verdict} | {load_text} |")
    return "\n".join(lines)
