"""The warm-up under gunicorn (2 workers, as the bench runs it), on a copy of a prepared store:

    .venv/bin/python -m bench.warm_gunicorn --store DIR [--off]    # DIR from `bench.domain_profile prepare --out DIR`

1. time to data (measure.time_to_data: start -> every worker answered /healthz), 2. a pause (a user's arrival:
`--pause` s), 3. every reporting year posted once over HTTP (bench/views.py's uncached overview views; two
workers, so the first year of each worker is the build the warm-up takes over), 4. a one-row publish through
the store, then measure.after_publish (4 clients poll /healthz for 3 s: slowest request, versions seen).
Prints one JSON line. --off: WARM_VERSIONS=0.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench import measure, payloads
from bench.server import Server


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.warm_gunicorn")
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--off", action="store_true")
    parser.add_argument("--pause", type=float, default=3.0)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-warm-gunicorn-"))
    shutil.copyfile(args.store / "store.sqlite3", work / "store.sqlite3")
    shutil.copytree(args.store / "instance", work / "instance")
    os.environ.setdefault("BENCH_SECRET_KEY", "bench-warm")
    from data.storage.store import Store

    store = Store(f"sqlite:///{work / 'store.sqlite3'}", instance=work / "instance")
    dataset = store.load_dataset(compact=True)
    from bench import views as view_mod

    template = payloads.load(payloads.HERE / "bundled", "overview_year")
    years = view_mod.draw(dataset, {"overview_year": template}, 20, seed=15)["overview_year"]
    version = int(dataset.version)
    rows = dataset.observations.head(1).copy()
    del dataset
    out: dict = {"store": str(args.store), "warm": not args.off, "load_1min_start": os.getloadavg()[0]}
    with Server(work, database=work / "store.sqlite3", extra_env={"WARM_VERSIONS": "0" if args.off else "1"}) as server:
        server.start(wait=False)
        ttd = measure.time_to_data(server)
        out["time_to_data_every_worker_s"] = round(ttd["every_worker_s"], 3)
        out["time_to_data"] = {k: (round(v, 3) if isinstance(v, float) else [round(x, 3) for x in v]) for k, v in ttd.items()}
        time.sleep(args.pause)
        session = requests.Session()
        lat = []
        for chain in years:
            t = time.perf_counter()
            r = session.post(server.url + "/_dash-update-component", data=json.dumps(chain[0]),
                             headers={"Content-Type": "application/json", "Accept-Encoding": "identity", "Connection": "close"})
            assert r.status_code == 200, r.text[:300]
            lat.append(time.perf_counter() - t)
        out["overview_years_ms"] = [round(x * 1000, 1) for x in lat]
        out["overview_p95_ms"] = round(measure.percentile(lat, 95) * 1000, 1)
        out["overview_max_ms"] = round(max(lat) * 1000, 1)
        from data.domain.dataset import expanded

        new = expanded(rows)
        new["period"], new["period_type"], new["value"] = "2030/31", "financial year", 1.0
        import pandas as pd

        t = time.perf_counter()
        store.publish(new, pd.DataFrame(columns=["id"]), user="bench", file_name="warm", sha256="x", base_version=version)
        out["publish_s"] = round(time.perf_counter() - t, 2)
        ap = measure.after_publish(server, version + 1)
        out["after_publish"] = {k: ap[k] for k in ("max_ms", "p95_ms", "n", "first_per_worker_ms", "versions_seen", "only_new_version")}
        out["load_1min_end"] = os.getloadavg()[0]
    store.dispose()
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
