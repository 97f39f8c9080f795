"""The three user actions the benchmark replays, and the recorded browser payloads for them.

Each action is "open this address, then do one thing": the payload file holds the exact
bodies the Dash renderer POSTed to /_dash-update-component in response (the callback the
control fires, then any callback its outputs trigger), recorded by headless Chromium.

Bundled data: recorded once into bench/payloads/bundled/ (re-record: python -m bench.record).
Generated data: recorded afresh in each run against the server holding that data.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent / "payloads"
ACTION_NAMES = ("explore_indicator", "explore_compare", "overview_year")

BUNDLED_PARAMS = {"set": "Aged 5-11", "a": "year6-overweight", "b": "primary-fsm"}
SCALE_PARAMS = {"set": "Fingertips indicators", "a": "fingertips-99001", "b": "fingertips-99002"}
FLOOR_ACTION = {"path": "/", "do": "type", "id": "floor-in", "value": "b"}


def actions(params: dict) -> dict[str, dict]:
    explore = {"set": params["set"], "indicator": params["a"]}
    return {
        # Tick a second indicator in the explore checklist.
        "explore_indicator": {"path": "/explore?" + urlencode(explore), "do": "click_checkbox", "id": "explore-indicators", "value": params["b"]},
        # In "compare two periods", choose another Period A.
        "explore_compare": {"path": "/explore?" + urlencode({**explore, "mode": "compare"}), "do": "select", "id": "explore-period-a", "value": "<first>"},
        # On the overview, change the reporting year.
        "overview_year": {"path": "/?" + urlencode({"year": "2023/24"}), "do": "select", "id": "overview-reporting-year", "value": "2022/23"},
    }


def save(folder: Path, name: str, action: dict, chain: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"action": action, "chain": chain}, indent=1, sort_keys=True) + "\n")
    return path


def load(folder: Path, name: str) -> list[dict]:
    return json.loads((folder / f"{name}.json").read_text())["chain"]
