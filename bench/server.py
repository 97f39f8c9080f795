"""Start and stop the app (or the framework-floor app) under gunicorn, as production runs it.

gunicorn <module>:server --bind 127.0.0.1:<free port> --workers 2, with a temporary SQLite
DATABASE_URL and SECRET_KEY. Only the process this module started is ever signalled.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn master (+ its workers) on a free loopback port."""

    def __init__(self, workdir: Path, module: str = "bench.probe:server", workers: int = 2, timeout: int = 1800,
                 database: Path | None = None, extra_env: dict | None = None):
        self.workdir = Path(workdir)
        self.module = module
        self.workers = workers
        self.timeout = timeout
        self.database = database or (self.workdir / "store.sqlite3")
        self.instance = self.workdir / "instance"
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = self.workdir / f"gunicorn-{self.port}.log"
        self.started_at = 0.0

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"

    def env(self) -> dict:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": env.get("BENCH_SECRET_KEY") or secrets.token_hex(32),
            # A 1M-row Fingertips CSV is ~290 MB: the default 50 MB limit would answer 413.
            "MAX_UPLOAD_MB": "2048",
            "PYTHONUNBUFFERED": "1",
            # The run's own instance folder (snapshots of served versions: data/storage/snapshot.py), never the checkout's.
            "INSTANCE_PATH": str(self.instance),
        })
        env.pop("APP_ENV", None)
        env.update(self.extra_env)
        return env

    def start(self, wait: bool = True, ready_path: str = "/") -> float:
        """Start gunicorn; with wait, block until GET ready_path answers 200 and return the seconds it took."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable, "-m", "gunicorn", self.module,
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            # As the Procfile runs it (gthread, 32 threads, keep-alive 2 s): the app and the floor alike.
            "--worker-class", "gthread", "--threads", "32", "--keep-alive", "2",
            # Long enough for a 1M-row upload in one request (the Procfile keeps gunicorn's 30 s default).
            "--timeout", str(self.timeout), "--graceful-timeout", "5", "--chdir", str(ROOT),
        ]
        self._log = open(self.log_path, "ab")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env(), stdout=self._log, stderr=subprocess.STDOUT)
        if wait:
            return self.wait_ready(ready_path)
        return 0.0

    def wait_ready(self, path: str = "/", limit: float = 180.0) -> float:
        session = requests.Session()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}:\n{self.log_tail()}")
            try:
                if session.get(self.url + path, timeout=limit).status_code == 200:
                    return time.perf_counter() - self.started_at
            except requests.ConnectionError:
                pass
            if time.perf_counter() - self.started_at > limit:
                raise RuntimeError(f"no 200 on {path} within {limit} s; see {self.log_path}")
            time.sleep(0.01)

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            return sorted(c.pid for c in psutil.Process(self.proc.pid).children(recursive=False))
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> dict:
        """RSS in bytes: each worker, and the master."""
        out = {"workers": {}, "master": 0}
        for pid in self.worker_pids():
            try:
                out["workers"][pid] = psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                pass
        try:
            out["master"] = psutil.Process(self.proc.pid).memory_info().rss
        except (psutil.NoSuchProcess, AttributeError):
            pass
        return out

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # Kill exactly this master and the workers it started.
                for pid in self.worker_pids():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
