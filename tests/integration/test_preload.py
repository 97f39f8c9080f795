"""gunicorn.conf.py preloads the app in the master (one import, then fork): no store connection may
cross the fork. The master closes its pool before forking (pre_fork), each worker starts a fresh one
(post_fork); this test looks at the processes' open files, as the kernel sees them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from data.storage.store import Store
from tests.integration.test_multiworker import free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]


def _open_store_files(pid: int, store_file: Path) -> list[str]:
    """The pid's file descriptors open on the SQLite file (or its -wal/-shm)."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(store_file)):
            out.append(target)
    return out


def _children(pid: int) -> list[int]:
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        text = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        kids += [int(k) for k in text]
    return kids


def test_srv001_preloaded_master_keeps_no_store_connection_and_workers_serve_data(tmp_path):
    store_file = tmp_path / "store.sqlite3"
    url = f"sqlite:///{store_file}"
    store = Store(url)
    store.setup()
    store.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    errors = tmp_path / "errors.log"
    env = {k: v for k, v in os.environ.items() if k not in ("APP_ENV", "FORCE_HTTPS", "TRUST_PROXY")}
    env.update(DATABASE_URL=url, SECRET_KEY="preload-secret-" + "p" * 32, INSTANCE_PATH=str(tmp_path / "instance"))
    command = [sys.executable, "-m", "gunicorn", "app:server", "--config", "gunicorn.conf.py", "--workers", "2",
               "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5"]
    with open(errors, "wb") as err:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=err, stderr=err, start_new_session=True)
    try:
        wait_for_health(base, proc, errors)
        # The master built the app (create_app opened the store) before forking: it holds none of it now.
        assert _open_store_files(proc.pid, store_file) == [], errors.read_text()[-2000:]
        workers = _children(proc.pid)
        assert len(workers) == 2, workers
        for _ in range(20):  # new connections: the kernel hands them to either worker
            r = requests.get(base + "/api/indicators?reporting_year=2023/24", headers={"Connection": "close"}, timeout=30)
            assert r.status_code == 200 and r.json(), r.text[:300]
        # Both workers opened the store themselves after the fork (the master has no descriptor to hand down).
        assert all(_open_store_files(w, store_file) for w in workers), workers
        assert _open_store_files(proc.pid, store_file) == []
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert "Traceback" not in errors.read_text(), errors.read_text()[-3000:]
