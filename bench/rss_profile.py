"""RSS of one app process at a scale, step by step: python -m bench.rss_profile [--store DIR] [--upload]

    .venv/bin/python -m bench.rss_profile                      # store in bench/.work/rss-1M/ (built once, reused)
    .venv/bin/python -m bench.rss_profile --store /tmp/s       # another store folder
    .venv/bin/python -m bench.rss_profile --upload             # a fresh bundled store; the 1M upload in the measured process

Default mode (a worker restarted on a store that holds the 1M rows): the store is built once, in a
child process, through the app's own upload path (upload_jobs.create_job -> process -> publish_job,
what POST /api/uploads and /publish call). Then a *fresh* child process imports `app` as gunicorn does
(`app:server`), loads the dataset (/healthz), GETs / and /explore, replays the recorded callbacks
(bench/payloads/bundled, and the same chains pointed at the generated indicators) through Flask's test
client, and prints its RSS (psutil) and peak RSS (ru_maxrss) after each step.

--upload: the measured process starts on a fresh bundled store and does the 1M upload + publish itself
before the replays (the "after an upload + replays" number of bench/NOTES.md).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"
CSV = WORK / "data" / "SYNTHETIC-fingertips-1000000-rows-seed1.csv"
SCALE_SWAP = {"Aged 5-11": "Fingertips indicators", "year6-overweight": "fingertips-99001", "primary-fsm": "fingertips-99002"}


def _mb(n: float) -> str:
    return f"{n / 2**20:8.1f} MB"


def _upload(store, csv: Path) -> int:
    from bench.fingertips_data import choices_csv
    from data.ingest.indicator_choices import read_choices
    from data.ingest.upload_jobs import create_job, get_job, process, publish_job

    content = csv.read_bytes()
    upload_id = create_job(store, content, csv.name, "rss-profile")
    # The editor's choices for the SYNTHETIC indicators (issue 12: a new indicator needs them to be published).
    job = process(store, upload_id, content, csv.name, choices=read_choices(choices_csv(1_000_000)))
    del content
    if job["stage"] != "ready":
        raise SystemExit(f"upload not ready: {job['stage']} {job['errors'][:3]}")
    version = publish_job(store, upload_id, "rss-profile")
    assert get_job(store, upload_id)["stage"] == "published"
    return version


def build_store(folder: Path, csv: Path) -> None:
    """A fresh SQLite store (bundled seed) with the CSV uploaded and published, as the app does it."""
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'store.sqlite3'}"
    from data.storage.store import Store

    store = Store()
    store.setup()
    t0 = time.perf_counter()
    version = _upload(store, csv)
    print(f"store built: version {version}, {store.count_rows()} observation rows, {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def _chains(payload_dir: Path, swap: dict | None) -> dict[str, list[bytes]]:
    from bench import payloads

    out = {}
    for name in payloads.ACTION_NAMES:
        text = json.dumps(payloads.load(payload_dir, name))
        for old, new in (swap or {}).items():
            text = text.replace(old, new)
        out[name] = [json.dumps(body).encode() for body in json.loads(text)]
    return out


def measure(database: str, upload_csv: Path | None, replays: int) -> dict:
    import psutil

    proc = psutil.Process()
    steps: list[tuple[str, int, int]] = []

    def step(name: str) -> None:
        rss = proc.memory_info().rss
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        steps.append((name, rss, peak))
        print(f"{name:<44} rss {_mb(rss)}   peak {_mb(peak)}", file=sys.stderr, flush=True)

    step("python start")
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("SECRET_KEY", "rss-profile")
    import app as app_module  # what gunicorn app:server imports (create_app() on the store)

    server = app_module.server
    client = server.test_client()
    step("import app (create_app, store set up)")
    if upload_csv is not None:
        assert client.get("/healthz").status_code == 200
        step("bundled dataset loaded")
        from data.storage.store import Store

        _upload(Store(), upload_csv)
        step("1M upload processed + published")
    t0 = time.perf_counter()
    r = client.get("/healthz")
    assert r.status_code == 200, r.data
    load_s = time.perf_counter() - t0
    step(f"dataset loaded (/healthz, {load_s:.1f} s)")
    for path in ("/", "/explore", "/explore?set=Fingertips+indicators&indicator=fingertips-99001"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
    from dash._utils import to_json

    from callbacks.routing import render_page

    for path, search in (("/", ""), ("/explore", ""), ("/explore", "?set=Fingertips+indicators&indicator=fingertips-99001")):
        with server.test_request_context(path + search):
            to_json(render_page(path, search))  # the routing callback: the page as the browser receives it
    step("GET / and /explore (pages rendered)")
    from bench import payloads

    headers = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    timings = {}
    for label, swap in (("bundled indicators", None), ("generated indicators", SCALE_SWAP)):
        for name, chain in _chains(payloads.HERE / "bundled", swap).items():
            times = []
            for _ in range(replays):
                t0 = time.perf_counter()
                for body in chain:
                    r = client.post("/_dash-update-component", data=body, content_type="application/json", headers=headers)
                    assert r.status_code in (200, 204), (name, label, r.status_code, r.data[:300])
                times.append(time.perf_counter() - t0)
            rest = sorted(times[1:])
            timings[f"{name} ({label})"] = {"first_ms": round(times[0] * 1000, 1),
                                             "median_rest_ms": round(rest[len(rest) // 2] * 1000, 1) if rest else None}
        step(f"replayed 3 actions x{replays} ({label})")
    for k, v in timings.items():
        print(f"  {k:<44} first {v['first_ms']} ms, median of the rest {v['median_rest_ms']} ms", file=sys.stderr)
    for path in ("/api/observations.csv?set=Fingertips+indicators&area=E06000014", "/api/indicators"):
        assert client.get(path).status_code == 200, path
    step("API downloads")
    return {"steps": [{"step": s, "rss_mb": round(r / 2**20, 1), "peak_mb": round(p / 2**20, 1)} for s, r, p in steps],
            "load_s": round(load_s, 2), "timings": timings}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rss_profile")
    parser.add_argument("--store", default=str(WORK / "rss-1M"), help="folder of the 1M store (built there if missing)")
    parser.add_argument("--csv", default=str(CSV))
    parser.add_argument("--upload", action="store_true", help="measure a fresh bundled store + the upload in-process")
    parser.add_argument("--replays", type=int, default=5)
    parser.add_argument("--json", help="write the steps here too")
    parser.add_argument("--_child", choices=("build", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--_database", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    csv = Path(args.csv)

    if args._child == "build":
        build_store(Path(args.store), csv)
        return 0
    if args._child == "measure":
        result = measure(args._database, csv if args.upload else None, args.replays)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
        return 0

    if not csv.exists():
        raise SystemExit(f"{csv} is missing: run `python -m bench --scales 1M` once (it writes the CSV)")
    me = [sys.executable, "-m", "bench.rss_profile", "--store", args.store, "--csv", str(csv), "--replays", str(args.replays)]
    if args.upload:
        folder = Path(tempfile.mkdtemp(prefix="rss-upload-"))
        database = f"sqlite:///{folder / 'store.sqlite3'}"
    else:
        folder = Path(args.store)
        if not (folder / "store.sqlite3").exists():
            subprocess.run(me + ["--_child", "build"], check=True, cwd=ROOT)
        database = f"sqlite:///{folder / 'store.sqlite3'}"
    extra = ["--upload"] if args.upload else []
    extra += ["--json", args.json] if args.json else []
    subprocess.run(me + ["--_child", "measure", "--_database", database] + extra, check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
