"""CI smoke of the benchmark suite (issue 6): `python -m bench --smoke` runs end to end on the bundled data.

It asserts that every measure is there with a number; nothing about how fast anything is
(the machine is shared, so times say nothing in CI). The full suite is `make bench`.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ACTIONS = ("explore_indicator", "explore_compare", "overview_year")
SMOKE_KEYS = (
    "cold_start_s@bundled",
    "first_page_load_bytes@bundled",
    "first_page_load_all_bytes@bundled",
    *(f"{m}.{a}.{k}@bundled" for a in ACTIONS for k in ("uncached", "cached")
      for m in ("callback_p50_ms", "callback_p95_ms", "chart_floor_p95_ms")),
    "time_to_data_s@bundled",
    "rss_per_worker_mb@bundled",
    "throughput_rps@bundled",
    "throughput_p95_ms@bundled",
    "throughput_errors@bundled",
    "upload_s@bundled+2k",
    "upload_vs_single_thread_floor_s@bundled+2k",
    "upload_rows_per_s@bundled+2k",
    "upload_peak_worker_rss_mb@bundled+2k",
    "upload_peak_worker_pss_mb@bundled+2k",
    "parse_floor_threaded_s@bundled+2k",
    "parse_floor_single_s@bundled+2k",
    "after_publish_max_wait_ms@bundled+2k",
    "after_publish_mixed_or_old_versions@bundled+2k",
)


def test_bench001_smoke_run_writes_every_measure_as_a_number(tmp_path):
    out = tmp_path / "results.json"
    # Fewer replays and shorter caps than the smoke's defaults (100 requests, 5 s per action, 2 s of throughput):
    # every measure is still taken and checked below; the test asserts that they exist, never how fast.
    run = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--requests", "20", "--max-seconds", "2",
                          "--duration", "1", "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads(out.read_text())
    measures = results["measures"]
    missing = [k for k in SMOKE_KEYS if k not in measures]
    assert not missing, f"measures missing: {missing}"
    for key in SMOKE_KEYS:
        value = measures[key]["value"]
        assert isinstance(value, (int, float)) and math.isfinite(value), (key, measures[key])
    assert results["meta"]["smoke"] is True and len(results["meta"]["loadavg_start"]) == 3
    # Every timed measure carries the machine's load before and after it (issue 15, 1e).
    for key in SMOKE_KEYS:
        if key.startswith(("callback_", "chart_floor_", "time_to_data", "upload_", "parse_floor", "after_publish", "throughput_")):
            load = measures[key]["load"]
            assert len(load["before"]) == 3 and len(load["after"]) == 3, (key, load)
    for action in ACTIONS:  # the uncached replay drew distinct views, and the chart floor ran in the same rounds
        uncached = results["raw"]["bundled"]["callbacks"][action]["uncached"]
        assert uncached["views"] >= 1 and uncached["floor"]["n"] >= 1 and uncached["errors"] == 0, (action, uncached)
    assert measures["after_publish_mixed_or_old_versions@bundled+2k"]["value"] == 0
    assert "| measure | scale | value | target | floor | ratio | pass | load (1 min, before → after) |" in run.stdout
