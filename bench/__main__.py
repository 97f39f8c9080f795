"""The benchmark suite (issue 6): python -m bench [--smoke] [--scales 10k,100k,1M] [--out bench/results.json]

Starts the app under gunicorn (2 workers, 127.0.0.1, a free port, a fresh SQLite store) on
(a) the bundled data and (b) SYNTHETIC Fingertips-shaped data published through the upload API,
and measures cold start, first-page bytes (headless Chromium), callback latency (browser payloads
replayed), concurrent clients, uploads and RSS, next to the floors (a minimal Dash app's callback,
pyarrow's read_csv of the upload file). Writes JSON and prints a markdown table.
See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import browser, fingertips_data, measure, payloads, report
from bench.report import MB
from bench.server import ROOT, Server

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"

TARGETS = {
    "callback_ratio": 2.0,  # callback p95 <= 2x the framework floor (bundled data)
    "callback_1m_ms": 150.0,
    "cold_start_s": 2.0,
    "page_bytes": 1.2 * MB,
    "upload_ratio": 5.0,  # 1M-row upload end to end <= 5x the parse floor
    "upload_rss": 1500 * MB,
    "worker_rss": 400 * MB,
    "throughput_p95_ms": 300.0,
}


def parse_scale(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if mult > 1 else text) * mult)


def scale_name(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows >= 1_000 and rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.2f}] {msg}", file=sys.stderr, flush=True)


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in ("dash", "pandas", "gunicorn", "pyarrow", "selenium"):
        try:
            out[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001
            out[name] = None
    return out


class Run:
    def __init__(self, args):
        self.args = args
        self.smoke = args.smoke
        self.workdir = WORK / f"run-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
        self.datadir = WORK / "data"
        self.raw: dict = {"floor": {}, "bundled": {}, "scales": {}}
        self.accept_encoding = measure.DEFAULT_ACCEPT_ENCODING
        self.driver = None
        self.meta = {
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "smoke": self.smoke,
            "cpus": os.cpu_count(), "loadavg_start": [round(x, 2) for x in os.getloadavg()], "git": git_rev(),
            "versions": versions(), "gunicorn": "2 sync workers, 127.0.0.1, --timeout 1800, MAX_UPLOAD_MB=2048",
            "requests_per_action": args.requests, "max_seconds_per_action": args.max_seconds,
            "clients": args.clients, "throughput_seconds": args.duration, "think_s": args.think,
        }

    # -- helpers ------------------------------------------------------------------
    def get_driver(self):
        if self.driver is None:
            self.driver = browser.make_driver()
        return self.driver

    def replay_all(self, url: str, chains: dict) -> dict:
        out = {}
        for name, chain in chains.items():
            log(f"  replay {name} ({len(chain)} request(s) per action)")
            out[name] = measure.replay(url, chain, self.args.requests, self.args.max_seconds, self.accept_encoding)
            if out[name]["errors"]:
                raise RuntimeError(f"{name}: {out[name]['errors']} failed callback(s) {out[name]['statuses']}: "
                                   "the recorded payloads no longer fit the app; re-record: python -m bench.record")
        return out

    def throughput(self, url: str, chains: dict, think: float = 0.0) -> dict:
        log(f"  throughput: {self.args.clients} clients, {self.args.duration:g} s, think time {think:g} s")
        return measure.throughput(url, chains, self.args.clients, self.args.duration, self.accept_encoding, think=think)

    # -- phases -------------------------------------------------------------------
    def floor(self) -> None:
        log("framework floor: minimal Dash app")
        with Server(self.workdir / "floor", module="bench.floor_app:server") as server:
            cold = server.start()
            chain = payloads.load(payloads.HERE, "floor")
            replay = measure.replay(server.url, chain, self.args.requests, self.args.max_seconds, self.accept_encoding)
            self.raw["floor"] = {"cold_start_s": cold, "replay": replay, "rss": measure.worker_rss(server)}

    def bundled(self) -> None:
        log("bundled data")
        raw = self.raw["bundled"]
        with Server(self.workdir / "bundled") as server:
            raw["cold_start_s"] = server.start()
            log(f"  cold start {raw['cold_start_s']:.2f} s")
            if browser.chromium_available():
                log("  first page load in Chromium")
                raw["page_weight"] = browser.page_weight(self.get_driver(), server.url + "/")
                self.accept_encoding = raw["page_weight"].get("accept_encoding") or self.accept_encoding
            chains = {n: payloads.load(payloads.HERE / "bundled", n) for n in payloads.ACTION_NAMES}
            raw["replay"] = self.replay_all(server.url, chains)
            raw["rss"] = measure.worker_rss(server)
            raw["throughput"] = self.throughput(server.url, chains)
            if self.args.think > 0:
                raw["throughput_think"] = self.throughput(server.url, chains, think=self.args.think)
            raw["rss_after_throughput"] = measure.worker_rss(server)
            if self.smoke:  # the upload path, on a small file, so the smoke covers it too
                rows = parse_scale(self.args.smoke_upload)
                raw["upload"] = self.upload(server, rows)
        with Server(self.workdir / "bundled", database=self.workdir / "bundled" / "store.sqlite3") as server:
            raw["cold_start_existing_store_s"] = server.start()
            raw["first_data_s"] = server.wait_ready("/healthz")
            if not self.smoke:
                raw["rss_restarted"] = self.steady_rss(server, chains)

    def steady_rss(self, server, chains: dict) -> dict:
        """RSS per worker on a restarted server once both workers have served every action (no upload in its past)."""
        for chain in chains.values():
            measure.replay(server.url, chain, 10, 30, self.accept_encoding, warmup=0)
        return measure.worker_rss(server)

    def upload(self, server, rows: int) -> dict:
        path = fingertips_data.ensure(self.datadir, rows)
        # The smoke run (CI, the tests) never pip-installs pyarrow: no network; pandas stands in when it is absent.
        floor = measure.parse_floor(path, repeat=1 if rows >= 1_000_000 else 3, install=not self.smoke)
        log(f"  upload {path.name} ({path.stat().st_size / MB:.0f} MB); pyarrow parse floor {floor['seconds']:.2f} s")
        token = measure.editor_token(server.database_url)
        result = measure.upload(server, token, path, rows)
        result["parse_floor"] = floor
        log(f"  upload {result['total_s']:.1f} s (validate+preview {result['validate_preview_s']:.1f}, publish {result['publish_s']:.1f}), "
            f"peak worker RSS {result['peak_worker_rss'] / MB:.0f} MB, reload {result['reload_s']:.1f} s")
        return result

    def scale(self, rows: int, largest: bool) -> None:
        name = scale_name(rows)
        log(f"scale {name}: generated Fingertips-format data")
        raw = self.raw["scales"][name] = {"rows": rows}
        t0 = time.perf_counter()
        fingertips_data.ensure(self.datadir, rows)
        raw["generate_s"] = time.perf_counter() - t0
        folder = self.workdir / f"scale-{name}"
        with Server(folder) as server:
            raw["cold_start_empty_s"] = server.start()
            raw["upload"] = self.upload(server, rows)
            if rows <= fingertips_data.rows_per_indicator():
                raise SystemExit(f"scale {name}: needs more than {fingertips_data.rows_per_indicator()} rows (two indicators)")
            log("  record browser payloads at this scale")
            chains = {}
            for action_name, action in payloads.actions(payloads.SCALE_PARAMS).items():
                chains[action_name] = browser.record(self.get_driver(), server.url, action)
                payloads.save(folder / "payloads", action_name, action, chains[action_name])
            raw["replay"] = self.replay_all(server.url, chains)
            raw["rss"] = measure.worker_rss(server)
            if largest:
                raw["page_weight"] = browser.page_weight(self.get_driver(), server.url + "/")
                raw["throughput"] = self.throughput(server.url, chains)
                raw["rss_after_throughput"] = measure.worker_rss(server)
        with Server(folder, database=folder / "store.sqlite3") as server:
            raw["cold_start_s"] = server.start()
            raw["first_data_s"] = server.wait_ready("/healthz")
            log(f"  restart on {name} store: first 200 on / {raw['cold_start_s']:.2f} s, first /healthz (data loaded) {raw['first_data_s']:.2f} s")
            raw["rss_restarted"] = self.steady_rss(server, chains)

    # -- summary ------------------------------------------------------------------
    def measures(self) -> dict:
        m: dict = {}
        floor = self.raw["floor"]["replay"]["chain"]
        floor_p50, floor_p95 = floor["p50"], floor["p95"]
        report.measure(m, "floor_callback_p50_ms@floor", floor_p50, "ms", scale="minimal app", note="framework floor")
        report.measure(m, "floor_callback_p95_ms@floor", floor_p95, "ms", scale="minimal app", note="framework floor")
        b = self.raw["bundled"]
        report.measure(m, "cold_start_s@bundled", b["cold_start_s"], "s", scale="bundled", target=TARGETS["cold_start_s"],
                       target_text="≤ 2 s", note="fresh store: migrate + seed + first 200 on /")
        report.measure(m, "cold_start_existing_store_s@bundled", b["cold_start_existing_store_s"], "s", scale="bundled",
                       target=TARGETS["cold_start_s"], target_text="≤ 2 s")
        pw = b.get("page_weight") or {}
        report.measure(m, "first_page_load_bytes@bundled", pw.get("page_bytes"), "bytes", scale="bundled",
                       target=TARGETS["page_bytes"], target_text="≤ 1.2 MB", note="document + scripts + CSS, as Chromium fetched them")
        report.measure(m, "first_page_load_all_bytes@bundled", pw.get("all_bytes"), "bytes", scale="bundled",
                       note="everything incl. layout/callback JSON")
        report.measure(m, "first_page_load_s@bundled", pw.get("settled_s"), "s", scale="bundled",
                       note="Chromium: navigation → no callback pending (overview rendered)")

        def callbacks(raw, scale, absolute=None):
            for action, r in raw["replay"].items():
                n = r["chain_length"]
                for q in ("p50", "p95"):
                    kw = {}
                    if q == "p95":
                        kw = {"floor": n * floor_p95, "floor_text": f"{n}× floor p95" if n > 1 else "floor p95"}
                        if absolute is not None:
                            kw.update(target=absolute, target_text=f"≤ {absolute:g} ms")
                        elif scale == "bundled":
                            kw.update(ratio_target=TARGETS["callback_ratio"], target_text="≤ 2× floor")
                    else:
                        kw = {"floor": n * floor_p50, "floor_text": f"{n}× floor p50" if n > 1 else "floor p50"}
                    report.measure(m, f"callback_{q}_ms.{action}@{scale}", r["chain"][q], "ms", scale=scale,
                                   note=f"{n} request(s) per action, n={r['chain']['n']}", **kw)
                report.measure(m, f"callback_first_ms.{action}@{scale}", r["first_ms"], "ms", scale=scale,
                               note="the first replay on a worker (per-version caches still empty)")

        callbacks(b, "bundled")
        report.measure(m, "rss_per_worker_mb@bundled", b["rss"]["max_worker"] / MB, "MB", scale="bundled")

        def through(raw, scale):
            t = raw["throughput"]
            report.measure(m, f"throughput_rps@{scale}", t["rps"], "req/s", scale=scale,
                           note=f"{t['clients']} clients, no think time, {t['seconds']:.0f} s; client CPU {t.get('client_cpu_s', 0):.0f} s")
            report.measure(m, f"throughput_p95_ms@{scale}", t["p95_ms"], "ms", scale=scale, target=TARGETS["throughput_p95_ms"], target_text="≤ 300 ms")
            report.measure(m, f"throughput_errors@{scale}", t["errors"], "", scale=scale, target=0, target_text="0")
            if "throughput_think" in raw:
                t = raw["throughput_think"]
                report.measure(m, f"throughput_think_rps@{scale}", t["rps"], "req/s", scale=scale,
                               note=f"{t['clients']} clients, {t['think_s']:g} s think time between actions")
                report.measure(m, f"throughput_think_p95_ms@{scale}", t["p95_ms"], "ms", scale=scale,
                               target=TARGETS["throughput_p95_ms"], target_text="≤ 300 ms")
                report.measure(m, f"throughput_think_errors@{scale}", t["errors"], "", scale=scale, target=0, target_text="0")

        through(b, "bundled")

        def uploads(u, scale, targets: bool):
            floor_s = u["parse_floor"]["seconds"]
            kw = dict(ratio_target=TARGETS["upload_ratio"], target_text="≤ 5× parse floor") if targets else {}
            report.measure(m, f"upload_s@{scale}", u["total_s"], "s", scale=scale, floor=floor_s, floor_text="pyarrow read_csv", **kw)
            report.measure(m, f"upload_rows_per_s@{scale}", u["rows_per_s"], "rows/s", scale=scale)
            kw = dict(target=TARGETS["upload_rss"] / MB, target_text="≤ 1.5 GB") if targets else {}
            report.measure(m, f"upload_peak_worker_rss_mb@{scale}", u["peak_worker_rss"] / MB, "MB", scale=scale, **kw)
            report.measure(m, f"parse_floor_s@{scale}", floor_s, "s", scale=scale, note="pyarrow.csv.read_csv")

        if "upload" in b:
            uploads(b["upload"], f"bundled+{scale_name(b['upload']['rows'])}", False)
        for scale, raw in self.raw["scales"].items():
            big = raw["rows"] >= 1_000_000
            uploads(raw["upload"], scale, big)
            callbacks(raw, scale, absolute=TARGETS["callback_1m_ms"] if big else None)
            report.measure(m, f"rss_per_worker_mb@{scale}", raw["rss"]["max_worker"] / MB, "MB", scale=scale,
                           note="after the upload and the replays (the worker that took the upload included)",
                           **(dict(target=TARGETS["worker_rss"] / MB, target_text="≤ 400 MB") if big else {}))
            if "rss_restarted" in raw:
                report.measure(m, f"rss_per_worker_restarted_mb@{scale}", raw["rss_restarted"]["max_worker"] / MB, "MB", scale=scale,
                               note="restarted on this store, every action served (steady state)",
                               **(dict(target=TARGETS["worker_rss"] / MB, target_text="≤ 400 MB") if big else {}))
            report.measure(m, f"cold_start_s@{scale}", raw["cold_start_s"], "s", scale=scale, note="restart on the store holding this data")
            report.measure(m, f"first_data_s@{scale}", raw["first_data_s"], "s", scale=scale, note="restart → first /healthz (dataset loaded)")
            if "throughput" in raw:
                through(raw, scale)
            if "page_weight" in raw:
                report.measure(m, f"first_page_load_bytes@{scale}", raw["page_weight"]["page_bytes"], "bytes", scale=scale,
                               target=TARGETS["page_bytes"], target_text="≤ 1.2 MB")
                report.measure(m, f"first_page_load_all_bytes@{scale}", raw["page_weight"]["all_bytes"], "bytes", scale=scale)
                report.measure(m, f"first_page_load_s@{scale}", raw["page_weight"].get("settled_s"), "s", scale=scale)
        return m

    def run(self) -> dict:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.floor()
            self.bundled()
            scales = [] if self.smoke else [parse_scale(s) for s in self.args.scales.split(",") if s.strip()]
            for i, rows in enumerate(scales):
                self.scale(rows, largest=(i == len(scales) - 1))
        finally:
            if self.driver is not None:
                self.driver.quit()
            if not self.args.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)
        self.meta["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        self.meta["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.meta["accept_encoding"] = self.accept_encoding
        return {"meta": self.meta, "measures": self.measures(), "raw": self.raw}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="bundled data only, ~100 requests, a few seconds (CI)")
    parser.add_argument("--scales", default="10k,100k,1M", help="generated data sizes (default 10k,100k,1M)")
    parser.add_argument("--out", default=str(HERE / "results.json"))
    parser.add_argument("--requests", type=int, default=None, help="replays per action (default 1000; smoke 100)")
    parser.add_argument("--max-seconds", type=float, default=None, help="time cap per action's replay (default 45 s; smoke 5 s)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=None, help="throughput seconds (default 30; smoke 2)")
    parser.add_argument("--think", type=float, default=None,
                        help="also run the clients with this think time (s) between actions, on the bundled data (default 1; smoke 0)")
    parser.add_argument("--smoke-upload", default="2k", help="rows of the smoke run's upload")
    parser.add_argument("--keep", action="store_true", help="keep bench/.work/run-* (stores, gunicorn logs)")
    args = parser.parse_args(argv)
    args.requests = args.requests or (100 if args.smoke else 1000)
    args.max_seconds = args.max_seconds or (5.0 if args.smoke else 45.0)
    args.duration = args.duration or (2.0 if args.smoke else 30.0)
    args.think = (0.0 if args.smoke else 1.0) if args.think is None else args.think

    results = Run(args).run()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(report.markdown(results))
    print(f"\nwrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
