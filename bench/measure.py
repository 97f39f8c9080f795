"""The measurements: callback replay, concurrent clients, uploads, the parse floor, RSS."""
from __future__ import annotations

import io
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import requests

UPDATE_PATH = "/_dash-update-component"
# What headless Chromium 1xx sends over plain HTTP (page_weight records the real one and the run uses it).
DEFAULT_ACCEPT_ENCODING = "gzip, deflate, br, zstd"
OK = (200, 204)  # 204: the callback raised PreventUpdate


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def stats_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
            "mean": statistics.fmean(ms) if ms else float("nan"), "max": max(ms) if ms else float("nan")}


def _session(accept_encoding: str) -> requests.Session:
    s = requests.Session()
    s.headers.update({"Accept-Encoding": accept_encoding, "Accept": "application/json",
                      "Content-Type": "application/json"})
    return s


def post_chain(session: requests.Session, base_url: str, chain: list[bytes], timeout: float = 120) -> tuple[list[float], list[int]]:
    """POST each body of a chain in order (as the renderer does): per-request seconds and statuses."""
    times, statuses = [], []
    for body in chain:
        t0 = time.perf_counter()
        r = session.post(base_url + UPDATE_PATH, data=body, timeout=timeout)
        _ = r.content
        times.append(time.perf_counter() - t0)
        statuses.append(r.status_code)
    return times, statuses


def encode_chain(chain: list[dict]) -> list[bytes]:
    return [json.dumps(body, separators=(",", ":")).encode() for body in chain]


def replay(base_url: str, chain: list[dict], n: int, max_seconds: float, accept_encoding: str,
           warmup: int = 10) -> dict:
    """One client, keep-alive, the chain n times in a row (or until max_seconds): latency of the whole chain."""
    bodies = encode_chain(chain)
    session = _session(accept_encoding)
    first_times, _ = post_chain(session, base_url, bodies)  # the first on this worker: caches cold
    for _ in range(warmup):
        post_chain(session, base_url, bodies)
    totals, per_request, errors, statuses_seen = [], [[] for _ in bodies], 0, {}
    deadline = time.perf_counter() + max_seconds
    while len(totals) < n and time.perf_counter() < deadline:
        times, statuses = post_chain(session, base_url, bodies)
        totals.append(sum(times))
        for i, t in enumerate(times):
            per_request[i].append(t)
        for s in statuses:
            statuses_seen[s] = statuses_seen.get(s, 0) + 1
        errors += sum(s not in OK for s in statuses)
    return {"chain": stats_ms(totals), "first_ms": sum(first_times) * 1000, "requests": [stats_ms(p) for p in per_request], "errors": errors,
            "statuses": {str(k): v for k, v in statuses_seen.items()}, "chain_length": len(bodies),
            "outputs": [b.get("output", "")[:80] for b in chain]}


def throughput(base_url: str, chains: dict[str, list[dict]], clients: int, seconds: float, accept_encoding: str,
               timeout: float = 30.0, think: float = 0.0) -> dict:
    """`clients` threads, each a keep-alive session, for `seconds`: GET / and the action chains, at random,
    `think` seconds between one action and the next (0: none, every client always waiting on the server)."""
    steps = [("GET /", None)] + [(name, encode_chain(chain)) for name, chain in chains.items()]
    latencies: list[float] = []
    errors = [0]
    reconnects = [0]
    error_kinds: dict[str, int] = {}
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        session = _session(accept_encoding)
        mine, my_errors, kinds = [], 0, {}
        start_gate.wait()
        while time.perf_counter() < stop_at[0]:
            name, bodies = rng.choice(steps)
            for body in ([None] if bodies is None else bodies):
                t0 = time.perf_counter()
                for attempt in (1, 2):
                    try:
                        if body is None:
                            r = session.get(base_url + "/", timeout=timeout, headers={"Accept": "text/html"})
                        else:
                            r = session.post(base_url + UPDATE_PATH, data=body, timeout=timeout)
                        _ = r.content
                        status = r.status_code
                        break
                    except requests.ConnectionError as exc:
                        # gunicorn closes a kept-alive connection after --keep-alive seconds idle; a request sent on
                        # it as it closes fails before any answer, and a browser sends it again on a new connection.
                        # So does the bench, once, and counts it (reconnects); a second failure is an error.
                        status = type(exc).__name__
                        if attempt == 1:
                            with lock:
                                reconnects[0] += 1
                    except requests.RequestException as exc:
                        status = type(exc).__name__
                        break
                mine.append(time.perf_counter() - t0)
                if status not in OK:
                    my_errors += 1
                    kinds[str(status)] = kinds.get(str(status), 0) + 1
                    break
            if think > 0:
                time.sleep(think * rng.uniform(0.5, 1.5))
        with lock:
            latencies.extend(mine)
            errors[0] += my_errors
            for k, v in kinds.items():
                error_kinds[k] = error_kinds.get(k, 0) + v

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    me = psutil.Process()
    cpu0 = sum(me.cpu_times()[:2])
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    start_gate.wait()
    for t in threads:
        t.join(timeout=seconds + timeout + 30)
    elapsed = time.perf_counter() - t0
    s = stats_ms(latencies)
    return {"clients": clients, "seconds": elapsed, "think_s": think, "requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50_ms": s["p50"], "p95_ms": s["p95"], "p99_ms": s["p99"], "max_ms": s["max"],
            "errors": errors[0], "error_kinds": error_kinds, "reconnects": reconnects[0],
            # The clients share the 2 CPUs with the server: what they used of them.
            "client_cpu_s": sum(me.cpu_times()[:2]) - cpu0}


class RssSampler:
    """Samples the RSS of a set of processes (the gunicorn workers) every `interval` seconds, in a thread.
    A worker's RSS includes the processes it started (a big upload runs in a child: data/ingest/upload_process.py),
    so moving work into a child does not hide its memory.

    RSS counts a page once in every process that maps it, so a worker, the fork server its children come
    from and a child (which share the imported libraries copy-on-write) count those pages two or three
    times. PSS (proportional set size: a shared page split among its sharers) does not; both are kept,
    and peak_worker_pss is what the memory target is judged by.

    PSS costs the kernel a walk of every page (/proc/PID/smaps_rollup): ~10 ms for a worker, its fork server
    and a 1 GB child. Taken every 50 ms that was 11 s of CPU in a 1M upload's 55 s on a 2-CPU machine (issue 15,
    round 4), taken from the server it measures (and it holds each process's mmap lock while it walks). So PSS
    is taken only where a peak can be: when a worker's tree RSS is within `pss_near` of its highest RSS so far
    (PSS <= RSS, and the shared part is the libraries, which do not change), at most every `pss_interval`
    seconds, and at least every `pss_every` seconds (pss_calls counts them)."""

    def __init__(self, pids_fn, interval: float = 0.05, pss: bool = False, pss_interval: float = 0.5,
                 pss_near: float = 0.97, pss_every: float = 2.0):
        self.pids_fn = pids_fn
        self.interval = interval
        self.pss = pss
        self.pss_interval, self.pss_near, self.pss_every = pss_interval, pss_near, pss_every
        self.peak_by_pid: dict[int, int] = {}
        self.peak_pss_by_pid: dict[int, int] = {}
        self.peak_sum = 0
        self.pss_calls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        procs: dict[int, psutil.Process] = {}
        last_pss: dict[int, float] = {}
        while not self._stop.is_set():
            total = 0
            for pid in self.pids_fn():
                try:
                    p = procs.get(pid) or procs.setdefault(pid, psutil.Process(pid))
                    children = _descendants(p, procs)
                    rss = p.memory_info().rss + _children_rss(children)
                    if self.pss and self._pss_due(pid, rss, last_pss.get(pid, float("-inf"))):
                        last_pss[pid] = time.perf_counter()
                        self.pss_calls += 1
                        pss = _pss(p) + sum(_pss(c) for c in children)
                        self.peak_pss_by_pid[pid] = max(pss, self.peak_pss_by_pid.get(pid, 0))
                except psutil.NoSuchProcess:
                    continue
                total += rss
                if rss > self.peak_by_pid.get(pid, 0):
                    self.peak_by_pid[pid] = rss
            self.peak_sum = max(self.peak_sum, total)
            self._stop.wait(self.interval)

    def _pss_due(self, pid: int, rss: int, last: float) -> bool:
        """Whether to take this worker tree's PSS now (`rss`: its RSS now; `last`: when its PSS was last taken)."""
        since = time.perf_counter() - last
        near_peak = rss >= self.pss_near * max(self.peak_by_pid.get(pid, 0), rss)
        return since >= self.pss_every or (near_peak and since >= self.pss_interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_worker(self) -> int:
        return max(self.peak_by_pid.values(), default=0)

    @property
    def peak_worker_pss(self) -> int:
        return max(self.peak_pss_by_pid.values(), default=0)


def _pss(process: psutil.Process) -> int:
    try:
        return process.memory_full_info().pss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def _descendants(process: psutil.Process, known: dict[int, psutil.Process]) -> list[psutil.Process]:
    """process's children, theirs, and so on, from /proc/PID/task/TID/children: psutil's children() scans
    every process on the machine (~3 ms a call here, 20 calls a second per worker). `known` keeps the
    Process objects (and their cached start times) from one sample to the next."""
    out: list[psutil.Process] = []
    todo = [process.pid]
    while todo:
        pid = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                if pid == process.pid and tid == str(pid):
                    return process.children(recursive=True)  # no children files (an old kernel): psutil's scan
                continue
            for kid in kids:
                try:
                    out.append(known.get(kid) or known.setdefault(kid, psutil.Process(kid)))
                except psutil.NoSuchProcess:
                    continue
                todo.append(kid)
    return out


def _children_rss(children: list[psutil.Process]) -> int:
    total = 0
    for child in children:
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def editor_token(database_url: str) -> str:
    """An editor account and API token in the server's store (as `flask users create` + `tokens create` would)."""
    from data.storage.store import make_engine
    from data.storage.users import create_token, create_user, get_user_by_email

    engine = make_engine(database_url)
    try:
        email = "bench@example.org"
        if get_user_by_email(engine, email) is None:
            create_user(engine, email, "bench-password-not-secret", "editor")
        return create_token(engine, email)
    finally:
        engine.dispose()


class MultipartFile(io.RawIOBase):
    """A multipart/form-data body of (field, file name, bytes or a file's path) parts, read as it is sent, with
    its length known (Content-Length), as a browser or curl streams a file. requests' `files=` builds the
    whole body in memory first: 281 MB copied, ~0.7 s before the first byte of a 1M upload left the client."""

    def __init__(self, parts: list[tuple[str, str, bytes | Path]]):
        self.boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self._segments: list[bytes | Path] = []
        for field, name, value in parts:
            self._segments.append(f'--{self.boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                                  "Content-Type: text/csv\r\n\r\n".encode())
            self._segments += [value, b"\r\n"]
        self._segments.append(f"--{self.boundary}--\r\n".encode())
        self._length = sum(len(x) if isinstance(x, bytes) else x.stat().st_size for x in self._segments)
        self._at = self._sent = 0
        self._open: io.BufferedReader | io.BytesIO | None = None

    def __len__(self) -> int:
        return self._length

    def tell(self) -> int:
        """What was read so far: requests takes len() - tell() as the Content-Length (without tell() it sends
        the body chunked, line by line: 98 s of client CPU for 281 MB)."""
        return self._sent

    def __iter__(self):
        return iter(lambda: self.read(1 << 20), b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while True:
            if self._open is None:
                if self._at == len(self._segments):
                    return 0
                segment = self._segments[self._at]
                self._open = io.BytesIO(segment) if isinstance(segment, bytes) else open(segment, "rb")
            got = self._open.readinto(buffer)
            if got:
                self._sent += got
                return got
            self._open.close()
            self._open, self._at = None, self._at + 1

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
        super().close()


def upload(server, token: str, path: Path, rows: int) -> dict:
    """POST the file to /api/uploads (validate + preview), then publish it; times, rows/s and workers' peak RSS.

    A Fingertips file does not say an indicator's set or polarity (nor the unit of a count), so the editor's
    choices go with the file (the `indicators` part, issue 12), as a scheduled API upload would send them."""
    from bench.fingertips_data import choices_csv

    choices = choices_csv(rows)  # unit too: a "number" indicator's unit is not in the file (needs the editor's choice)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    out: dict = {"rows": rows, "file_bytes": path.stat().st_size, "file": path.name}
    with RssSampler(server.worker_pids, pss=True) as sampler:
        t0 = time.perf_counter()
        with MultipartFile([("file", path.name, path), ("indicators", "choices.csv", choices.encode("utf-8"))]) as form:
            r = session.post(server.url + "/api/uploads", data=form, headers={"Content-Type": form.content_type}, timeout=3600)
        t1 = time.perf_counter()
        body = r.json()
        if r.status_code != 200 or not body.get("valid"):
            raise RuntimeError(f"upload refused ({r.status_code}): {json.dumps(body)[:2000]}")
        p = session.post(server.url + f"/api/uploads/{body['upload_id']}/publish", timeout=3600)
        t2 = time.perf_counter()
        if p.status_code != 200:
            raise RuntimeError(f"publish failed ({p.status_code}): {p.text[:2000]}")
    out.update(validate_preview_s=t1 - t0, publish_s=t2 - t1, total_s=t2 - t0, rows_per_s=rows / (t2 - t0),
               summary={k: v for k, v in body["summary"].items() if k != "changes"} | {"new_indicators": len(body["summary"].get("new_indicators", []))},
               data_version=p.json()["data_version"], peak_worker_rss=sampler.peak_worker, peak_workers_rss_sum=sampler.peak_sum,
               peak_worker_pss=sampler.peak_worker_pss, pss_samples=sampler.pss_calls)
    # Each worker reloads the new version on its next request: time that, and its memory.
    with RssSampler(server.worker_pids) as sampler:
        t3 = time.perf_counter()
        reload_times = []
        for _ in range(3):
            results: list[float] = []

            def hit(into: list[float] = results) -> None:  # bound now: each round has its own list
                t = time.perf_counter()
                requests.get(server.url + "/healthz", timeout=3600)
                into.append(time.perf_counter() - t)

            threads = [threading.Thread(target=hit) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            reload_times.append(max(results))
        out.update(reload_s=reload_times[0], reload_wall_s=time.perf_counter() - t3, reload_peak_worker_rss=sampler.peak_worker)
    return out


FLOOR_SITE = Path(__file__).resolve().parent / ".work" / "floor-site"
FLOOR_REQUIREMENTS = Path(__file__).resolve().parent / "requirements-floor.txt"

_FLOOR_SCRIPT = """
import sys, time, json
import pyarrow, pyarrow.csv as pacsv
best = float("inf")
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    table = pacsv.read_csv(sys.argv[1])
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "rows": table.num_rows, "columns": table.num_columns,
                  "engine": "pyarrow " + pyarrow.__version__ + " read_csv"}))
"""

_PANDAS_FLOOR_SCRIPT = """
import sys, time, json
import pandas as pd
best = float("inf")
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False, engine="c")
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "rows": len(frame), "columns": frame.shape[1],
                  "engine": "pandas " + pd.__version__ + " read_csv(engine='c') (pyarrow unavailable)"}))
"""


def ensure_floor_site(install: bool = True) -> bool:
    """pyarrow in bench/.work/floor-site (pip --target, --no-deps), kept out of the app's venv.
    install=False (the smoke run, which the tests start) only looks: the tests never reach the network."""
    if (FLOOR_SITE / "pyarrow" / "__init__.py").exists():
        return True
    if not install:
        return False
    try:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(FLOOR_SITE),
                        "-r", str(FLOOR_REQUIREMENTS)], check=True, timeout=600)
    except (OSError, subprocess.SubprocessError):
        return False
    return (FLOOR_SITE / "pyarrow" / "__init__.py").exists()


def parse_floor(path: Path, repeat: int = 1, install: bool = True) -> dict:
    """pyarrow.csv.read_csv of the same file (in a subprocess that alone sees pyarrow): the least a CSV parse costs here.
    Without pyarrow (not installed, and install=False or pip failed) pandas' C parser stands in."""
    if ensure_floor_site(install):
        env = dict(os.environ, PYTHONPATH=str(FLOOR_SITE))
        script = _FLOOR_SCRIPT
    else:
        env, script = dict(os.environ), _PANDAS_FLOOR_SCRIPT
    out = subprocess.run([sys.executable, "-c", script, str(path), str(repeat)], env=env, capture_output=True,
                         text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"parse floor failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def worker_rss(server) -> dict:
    rss = server.rss()
    workers = list(rss["workers"].values())
    return {"per_worker": workers, "max_worker": max(workers, default=0), "sum_workers": sum(workers), "master": rss["master"]}


# -- issue 15: load with every measure, interleaved uncached/cached replays, time to data ----------------

def load_now() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Loaded:
    """with Loaded(into): ...  records the machine's load average (1, 5, 15 min) before and after into
    into["load"] (the machine is shared: a measure is read next to the load it was taken under)."""

    def __init__(self, into: dict):
        self.into = into

    def __enter__(self):
        self.before = load_now()
        return self.into

    def __exit__(self, *exc):
        self.into["load"] = {"before": self.before, "after": load_now()}


def interleaved(app_url: str, floor_url: str, app_views: list[list[dict]], floor_views: list[list[dict]],
                accept_encoding: str, per_round: int = 5, max_seconds: float = 120.0) -> dict:
    """Alternating rounds: `per_round` floor views, then `per_round` of the app's views, until every app view
    has been posted once (or max_seconds). Each app view is a chain (post_view); its latency is the chain's.
    The floor's requests in the same rounds are this action's floor (so both see the same load)."""
    from bench.views import post_view

    app_s, floor_s = _session(accept_encoding), _session(accept_encoding)
    app_times, floor_times, loads = [], [], []
    errors, statuses_seen = 0, {}
    f = 0
    deadline = time.perf_counter() + max_seconds
    i = 0
    while i < len(app_views) and time.perf_counter() < deadline:
        loads.append(os.getloadavg()[0])
        for _ in range(per_round):
            times, statuses = post_view(floor_s, floor_url, floor_views[f % len(floor_views)])
            f += 1
            floor_times.append(sum(times))
            errors += sum(s not in OK for s in statuses)
        for view in app_views[i:i + per_round]:
            times, statuses = post_view(app_s, app_url, view)
            app_times.append(sum(times))
            for s in statuses:
                statuses_seen[s] = statuses_seen.get(s, 0) + 1
            errors += sum(s not in OK for s in statuses)
        i += per_round
    return {"app": stats_ms(app_times), "floor": stats_ms(floor_times), "errors": errors,
            "statuses": {str(k): v for k, v in statuses_seen.items()}, "views": min(i, len(app_views)),
            "chain_length": len(app_views[0]) if app_views else 0,
            "load_1min": {"min": min(loads, default=float("nan")), "max": max(loads, default=float("nan")),
                          "mean": statistics.fmean(loads) if loads else float("nan")}}


WORKER_HEADER = "X-Bench-Worker"


def time_to_data(server, path: str = "/healthz", limit: float = 180.0, threads: int = 4,
                 static_path: str = "/assets/zz-app/app.css") -> dict:
    """From the gunicorn process's start until every worker has answered a data request (200 on `path`,
    which reads the served dataset), each worker told apart by bench.probe's header. Several clients poll at
    once (new connections: a sync worker closes each), so a worker still loading does not hide the other."""
    answered: dict[str, float] = {}
    booted: dict[str, float] = {}  # each worker's first answer to a request that reads no data (a static file)
    lock = threading.Lock()
    done = threading.Event()

    def poll(k: int) -> None:
        route = static_path if k % 2 else path
        while not done.is_set():
            if time.perf_counter() - server.started_at > limit:
                return
            try:
                r = requests.get(server.url + route, timeout=limit, headers={"Connection": "close"})
                if r.status_code == 200 and r.headers.get(WORKER_HEADER):
                    with lock:
                        at = time.perf_counter() - server.started_at
                        booted.setdefault(r.headers[WORKER_HEADER], at)
                        if route == path:
                            answered.setdefault(r.headers[WORKER_HEADER], at)
                        if len(answered) >= server.workers:
                            done.set()
            except requests.RequestException:
                time.sleep(0.01)

    pool = [threading.Thread(target=poll, args=(k,), daemon=True) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=limit + 5)
    done.set()
    if len(answered) < server.workers:
        raise RuntimeError(f"only {len(answered)} of {server.workers} workers answered {path} within {limit} s")
    # Per worker: start -> its first answer of any kind (the process booted: imports, create_app), and the
    # part of its time to data after that (the first data request: the version's load).
    boot = {w: booted.get(w, t) for w, t in answered.items()}
    return {"every_worker_s": max(answered.values()), "first_worker_s": min(answered.values()), "per_worker_s": sorted(answered.values()),
            "every_worker_booted_s": max(boot.values()), "data_after_boot_s": max(answered[w] - boot[w] for w in answered)}


def after_publish(server, version: int, path: str = "/healthz", seconds: float = 3.0, threads: int = 4) -> dict:
    """Right after a publish: clients poll `path` for `seconds`; the latency of every request, the first
    request each worker answered (it loads the new version), and whether any answer named another version
    than the new one (a request that was served the old version after the publish returned)."""
    lat: list[float] = []
    first: dict[str, float] = {}
    versions_seen: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def poll() -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                r = requests.get(server.url + path, timeout=600, headers={"Connection": "close"})
            except requests.RequestException:
                continue
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)
                w = r.headers.get(WORKER_HEADER, "?")
                first.setdefault(w, dt)
                if r.status_code == 200:
                    v = int(r.json().get("data_version", -1))
                    versions_seen[v] = versions_seen.get(v, 0) + 1

    pool = [threading.Thread(target=poll, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    s = stats_ms(lat)
    return {"max_ms": s["max"], "p95_ms": s["p95"], "n": s["n"], "first_per_worker_ms": sorted(v * 1000 for v in first.values()),
            "versions_seen": {str(k): v for k, v in versions_seen.items()}, "only_new_version": set(versions_seen) == {version}}


_FLOOR5_SCRIPT = """
import sys, time, json, statistics
import pyarrow, pyarrow.csv as pacsv
out = {"engine": "pyarrow " + pyarrow.__version__ + " read_csv", "cpus": pyarrow.cpu_count()}
for name, threads in (("threaded", True), ("single", False)):
    runs = []
    for _ in range(int(sys.argv[2])):
        t0 = time.perf_counter()
        table = pacsv.read_csv(sys.argv[1], read_options=pacsv.ReadOptions(use_threads=threads))
        runs.append(time.perf_counter() - t0)
    out[name] = {"median_s": statistics.median(runs), "runs_s": runs}
out["rows"], out["columns"] = table.num_rows, table.num_columns
print(json.dumps(out))
"""

_PANDAS5_SCRIPT = """
import sys, time, json, statistics
import pandas as pd
out = {"engine": "pandas " + pd.__version__ + " read_csv(engine='c') (pyarrow unavailable: both rows are pandas, single-threaded)"}
runs = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False, engine="c")
    runs.append(time.perf_counter() - t0)
for name in ("threaded", "single"):
    out[name] = {"median_s": statistics.median(runs), "runs_s": runs}
out["rows"], out["columns"] = len(frame), frame.shape[1]
print(json.dumps(out))
"""


def parse_floors(path: Path, runs: int = 5, install: bool = True) -> dict:
    """Issue 15 (1d): the median of `runs` pyarrow read_csv runs, threaded and single-threaded (both reported),
    in a subprocess that alone sees pyarrow; pandas' C parser stands in without pyarrow (the smoke run)."""
    if ensure_floor_site(install):
        env, script = dict(os.environ, PYTHONPATH=str(FLOOR_SITE)), _FLOOR5_SCRIPT
    else:
        env, script = dict(os.environ), _PANDAS5_SCRIPT
    with Loaded({}) as load:
        out = subprocess.run([sys.executable, "-c", script, str(path), str(runs)], env=env, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"parse floor failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["load"] = load["load"]
    result["seconds"] = result["threaded"]["median_s"]  # what the upload ratio is measured against
    return result
