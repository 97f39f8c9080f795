"""A publish through one gunicorn worker is what every worker serves next (SQLite file and PostgreSQL).

gunicorn runs `app:server` with 2 workers; its access log names the worker (pid) that answered
each request, and a per-request header ties each log line to the response the test read. Nothing
is added to the app for this.
"""
from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from data.storage import users
from data.storage.store import Store
from tests.upload_files import template_bytes, york_value

ROOT = Path(__file__).resolve().parents[2]
EDITOR = "editor@example.org"
ROW = york_value("reception-overweight", "23/24", 21.7, "academic year")
PROBE = "X-Test-Probe"
LOG_LINE = re.compile(r"^<(\d+)> (\S+) (\S+) (\S+) \S+ (\d{3})$")  # <pid> probe METHOD path PROTOCOL status
MIN_REQUESTS = 40
DEADLINE = 20  # seconds of requests after the publish, at most


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, probe: str, **kwargs) -> requests.Response:
    """A request on a new connection (so the kernel may hand it to either worker)."""
    return requests.get(url, headers={"Connection": "close", PROBE: probe}, timeout=10, **kwargs)


def served_lines(log: Path) -> dict[str, tuple[int, str, int]]:
    """probe -> (worker pid, path, status) from gunicorn's access log."""
    out = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = LOG_LINE.match(line)
        if m:
            pid, probe, method, path, status = m.groups()
            out[probe] = (int(pid), f"{method} {path}", int(status))
    return out


def wait_for_health(base: str, proc: subprocess.Popen, errors: Path, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited ({proc.returncode}):\n{errors.read_text()[-3000:]}")
        try:
            if requests.get(base + "/healthz", timeout=2, headers={"Connection": "close"}).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn never answered /healthz:\n{errors.read_text()[-3000:]}")


def answers_by_worker(base: str, access: Path, tag: str) -> dict[int, list[dict]]:
    """/api/indicators asked on new connections (4 at a time) until >= MIN_REQUESTS answers have come
    from both workers (or DEADLINE passes): worker pid -> the reception-overweight item of each answer."""
    answers: dict[str, dict] = {}
    stop_at = time.time() + DEADLINE

    def ask(_):
        probe = f"{tag}-{uuid.uuid4().hex}"
        response = get(base + "/api/indicators", probe)
        assert response.status_code == 200, response.text[:300]
        return probe, {i["id"]: i for i in response.json()}[ROW["indicator_id"]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        while True:
            answers.update(pool.map(ask, range(8)))
            pids = {served_lines(access).get(p, (None,))[0] for p in answers} - {None}
            if (len(answers) >= MIN_REQUESTS and len(pids) >= 2) or time.time() > stop_at:
                break
    deadline = time.time() + 5  # the access log is written just after each response
    while time.time() < deadline and not set(answers) <= set(served_lines(access)):
        time.sleep(0.1)
    lines = served_lines(access)
    assert set(answers) <= set(lines), "every request is in the access log"
    by_pid: dict[int, list[dict]] = {}
    for probe, item in answers.items():
        pid, path, status = lines[probe]
        assert (path, status) == ("GET /api/indicators", 200)
        by_pid.setdefault(pid, []).append(item)
    assert len(by_pid) == 2, f"{tag}: expected answers from both workers, got {({p: len(v) for p, v in by_pid.items()})}"
    return by_pid


def test_upl201_publish_on_one_worker_is_served_by_both(store_url, tmp_path):
    # The store exists before the server: migrated, seeded, with an editor and a token.
    store = Store(store_url)
    store.setup()
    users.create_user(store.engine, EDITOR, "correct horse battery", role="editor")
    token = users.create_token(store.engine, EDITOR)
    first = store.head_version()
    store.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    access, errors = tmp_path / "access.log", tmp_path / "errors.log"
    env = {k: v for k, v in os.environ.items() if k not in ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY", "MAX_UPLOAD_MB")}
    env.update(DATABASE_URL=store_url, SECRET_KEY="multiworker-secret-" + "m" * 32, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "gunicorn", "app:server", "--workers", "2", "--bind", f"127.0.0.1:{port}",
               "--access-logfile", "-", "--access-logformat", f"%(p)s %({{{PROBE.lower()}}}i)s %(r)s %(s)s",
               "--timeout", "60", "--graceful-timeout", "5"]
    with open(access, "wb") as out, open(errors, "wb") as err:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True)
    try:
        wait_for_health(base, proc, errors)
        # Both workers have loaded version 1 and serve the flag as pending.
        before = answers_by_worker(base, access, "before")
        for pid, items in before.items():
            assert all(i["pending"] is True for i in items), f"worker {pid} before the publish"

        auth = {"Authorization": f"Bearer {token}", "Connection": "close"}
        content = template_bytes([ROW])
        preview = requests.post(base + "/api/uploads", headers=auth, files={"file": ("york.csv", io.BytesIO(content), "text/csv")}, timeout=30)
        assert preview.status_code == 200, preview.text[:500]
        assert preview.json()["summary"]["pending_cleared"] == [ROW["indicator_id"]]
        published = requests.post(f"{base}/api/uploads/{preview.json()['upload_id']}/publish", headers=auth, timeout=30)
        assert published.status_code == 200, published.text[:500]
        assert published.json() == {"data_version": first + 1}

        # After the publish: every answer, from either worker, has the new value.
        after = answers_by_worker(base, access, "after")
        assert set(after) == set(before), "the same two workers (each with version 1 loaded) answered"
        for pid, items in after.items():
            stale = [i for i in items if (i["status"], i["pending"], i["latest_value"]) != ("current", False, float(ROW["value"]))]
            assert not stale, f"worker {pid} served the old status in {len(stale)} of {len(items)} answers: {stale[:1]}"
        health = get(base + "/healthz", "health").json()
        assert health["data_version"] == first + 1
    finally:
        if proc.poll() is None:
            proc.terminate()  # the master stops its workers
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the group start_new_session gave it: master and workers
                proc.wait(5)
