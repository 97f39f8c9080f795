"""Before/after table of two results files: python -m bench.compare BEFORE.json AFTER.json"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.report import _fmt


def main(before_path: str, after_path: str) -> None:
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (before_path, after_path))
    print(f"before: load {before['meta']['loadavg_start']} → {before['meta'].get('loadavg_end')}; "
          f"after: load {after['meta']['loadavg_start']} → {after['meta'].get('loadavg_end')}\n")
    print("| measure | scale | before | after | after / before | target | after passes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for key, a in after["measures"].items():
        b = before["measures"].get(key)
        if b is None or a["value"] is None or b["value"] is None:
            continue
        change = f"{a['value'] / b['value']:.2f}×" if b["value"] else "—"
        verdict = {True: "pass", False: "**FAIL**", None: ""}[a["pass"]]
        cells = [key.split("@")[0], a["scale"], _fmt(b["value"], b["unit"]), _fmt(a["value"], a["unit"]), change, a["target_text"] or "—", verdict]
        print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:3])
