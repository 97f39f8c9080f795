"""Slow clients cannot pin the workers (issue 11, item 2).

gunicorn is started from the Procfile's own `web:` command (its ${VAR:-default}s expanded from the
environment, bound to 127.0.0.1 instead of 0.0.0.0), then 20 sockets each send a request line and one
header line every SLOW_EVERY seconds, never finishing their headers, while /healthz is asked on new
connections. Every /healthz must answer 200 within PER_REQUEST seconds (a generous bound; the p95 is
printed, never asserted tightly). With the old Procfile (2 sync workers) two such sockets were enough
to stop /healthz answering at all.
"""
from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from data.storage.store import Store
from tests.integration.test_multiworker import free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]
SLOW_SOCKETS = 20
SLOW_EVERY = 2.0  # seconds between header lines on each slow socket
HOLD = 15.0  # seconds the slow sockets are held while /healthz is asked
PER_REQUEST = 5.0  # every /healthz must answer within this (generous: the p95 is reported, not asserted)
_VAR = re.compile(r"\$\{(\w+):-([^}]*)\}")


def procfile_command(env: dict[str, str], port: int) -> list[str]:
    """The Procfile's web command as argv: variables expanded from env (else their defaults), PORT set,
    bound to 127.0.0.1, and gunicorn run by this interpreter (`python -m gunicorn`)."""
    line = next(raw for raw in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines() if raw.startswith("web:"))
    env = {**env, "PORT": str(port)}
    expanded = _VAR.sub(lambda m: env.get(m.group(1)) or m.group(2), line.removeprefix("web:").strip())
    argv = shlex.split(expanded)
    assert argv[:2] == ["gunicorn", "app:server"], argv
    assert argv[argv.index("--bind") + 1] == f"0.0.0.0:{port}", argv
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"  # the test listens on loopback only
    return [sys.executable, "-m", *argv]


def open_slow_socket(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never end
    return sock


def test_sec201_slow_header_clients_do_not_pin_the_workers(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    store = Store(url)
    store.setup()  # migrated and seeded before the server starts, as in production
    store.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "WEB_CONCURRENCY", "WEB_THREADS", "WEB_KEEPALIVE", "WEB_TIMEOUT")}
    env.update(DATABASE_URL=url, INSTANCE_PATH=str(tmp_path / "instance"), SECRET_KEY="slow-clients-secret-" + "s" * 32,
               PYTHONUNBUFFERED="1")
    command = procfile_command(env, port)
    errors = tmp_path / "errors.log"
    with open(errors, "wb") as err:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    slow: list[socket.socket] = []
    try:
        wait_for_health(base, proc, errors)
        slow = [open_slow_socket(port) for _ in range(SLOW_SOCKETS)]
        times, failures = [], []
        started = next_line = time.monotonic()
        line = 0
        while time.monotonic() - started < HOLD:
            if time.monotonic() >= next_line:  # one more header line on every slow socket
                for sock in slow:
                    sock.sendall(f"X-Slow-{line}: {'a' * 10}\r\n".encode())
                line += 1
                next_line += SLOW_EVERY
            t0 = time.monotonic()
            try:
                response = requests.get(base + "/healthz", timeout=PER_REQUEST, headers={"Connection": "close"})
                status = response.status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            elapsed = time.monotonic() - t0
            times.append(elapsed)
            if status != 200:
                failures.append((round(time.monotonic() - started, 1), status, round(elapsed, 2)))
            time.sleep(0.1)
        for sock in slow:  # the slow sockets are still open: the server neither answered nor dropped them
            sock.settimeout(0)
            try:
                assert sock.recv(1) != b"", "a slow socket was closed"
            except BlockingIOError:
                pass
        ordered = sorted(times)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"\n/healthz with {SLOW_SOCKETS} slow-header sockets held {HOLD:g} s: {len(times)} requests, "
              f"p50 {ordered[len(ordered) // 2] * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")
        assert not failures, f"/healthz failed or took over {PER_REQUEST:g} s: {failures[:5]} ({len(failures)} of {len(times)})"
        assert len(times) >= 20, f"only {len(times)} /healthz requests in {HOLD:g} s"
        assert line >= HOLD // SLOW_EVERY, "the slow sockets were fed header lines throughout"
    finally:
        for sock in slow:
            sock.close()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
