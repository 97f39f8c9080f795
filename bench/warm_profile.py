"""The overview's first year after a load, with and without the background warm-up (callbacks/warm.py), in-process.

    .venv/bin/python -m bench.warm_profile [--database URL --instance DIR] [--off] [--race]

In a fresh process: create_app on the store (default: a fresh one with the bundled data), GET /healthz (the
load: time to data in-process, the hooks included), then
- default: while the warm-up runs, GET /healthz over and over (the slowest answer: what a request meets while a
  worker warms, e.g. right after a publish), until it is done; then
- --race: no wait, the years are posted at once (the first one meets the warm-up under way);
then every reporting year posted once (bench/views.py's uncached overview views): the first year's latency
is the number the warm-up exists for. --off: WARM_VERSIONS=0. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import payloads


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.warm_profile")
    parser.add_argument("--database", help="DATABASE_URL of a store (default: a fresh one with the bundled data)")
    parser.add_argument("--instance", help="INSTANCE_PATH (the store's snapshots: bench.domain_profile prepare writes OUT/instance)")
    parser.add_argument("--off", action="store_true", help="WARM_VERSIONS=0")
    parser.add_argument("--race", action="store_true", help="post the years at once, without waiting for the warm-up")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="bench-warm-")
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{tmp}/store.sqlite3"
    os.environ["INSTANCE_PATH"] = args.instance or tmp
    os.environ.setdefault("SECRET_KEY", "bench-warm")
    os.environ["WARM_VERSIONS"] = "0" if args.off else "1"

    from app import create_app
    from bench import views as view_mod
    from callbacks import warm
    from callbacks.context import EXTENSION_KEY

    server = create_app().server
    source = server.extensions[EXTENSION_KEY]
    warmer = next((h for h in getattr(source, "on_load", []) if isinstance(h, warm.Warmer)), None)
    client = server.test_client()
    template = payloads.load(payloads.HERE / "bundled", "overview_year")
    years = None
    if args.race:  # the views drawn from a load of their own (no hooks), so the first year is posted right after the load
        drawn = source.store.load_dataset(compact=True)
        years = view_mod.draw(drawn, {"overview_year": template}, 20, seed=15)["overview_year"]
        del drawn
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    assert client.get("/healthz").status_code == 200
    to_data = time.perf_counter() - t0
    polls: list[float] = []
    if not args.race:  # with --off: the same polling for 1 s, for comparison
        until = time.perf_counter() + 1.0
        while (warmer is not None and not warmer.wait_idle(0)) or (warmer is None and time.perf_counter() < until):
            t = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            polls.append(time.perf_counter() - t)
    if years is None:
        with server.app_context():
            dataset = source.current()
        years = view_mod.draw(dataset, {"overview_year": template}, 20, seed=15)["overview_year"]
    times = []
    for chain in years:
        t = time.perf_counter()
        r = client.post("/_dash-update-component", data=json.dumps(chain[0]), content_type="application/json",
                        headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200, r.data[:300]
        times.append(time.perf_counter() - t)
    if warmer is not None:
        warmer.wait_idle(120)
    out = {
        "store": args.database or "bundled", "warm": not args.off, "race": args.race, "load_1min": load,
        "to_data_ms": round(to_data * 1000, 1),
        "warm_ms": round(warmer.done[-1][1] * 1000, 1) if warmer is not None and warmer.done else None,
        "healthz_polled": {"n": len(polls), "max_ms": round(max(polls) * 1000, 1) if polls else None,
                           "p95_ms": round(sorted(polls)[int(0.95 * (len(polls) - 1))] * 1000, 1) if polls else None,
                           "median_ms": round(statistics.median(polls) * 1000, 1) if polls else None},
        "first_year_ms": round(times[0] * 1000, 1),
        "other_years_median_ms": round(statistics.median(times[1:]) * 1000, 1),
        "other_years_max_ms": round(max(times[1:]) * 1000, 1),
        "years": len(times),
        "load_1min_after": os.getloadavg()[0],
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
