"""Big uploads' children come from a fork server, or are spawned when it cannot start (issue 15)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import os, sys, multiprocessing
sys.path.insert(0, {root!r})
from data.ingest.upload_process import _started
from tests.unit.test_upload_children import report_parent
if __name__ == "__main__":
    parents = []
    for _ in range(2):
        receive, send = multiprocessing.Pipe(duplex=False)
        child = _started(report_parent, (send,))
        send.close()
        parents.append(receive.recv())
        child.join()
        assert child.exitcode == 0
    print(os.getpid(), *parents)
"""


def report_parent(send) -> None:
    send.send(os.getppid())
    send.close()


def _parents(tmpdir: Path) -> tuple[int, list[int]]:
    """(the script's pid, each child's parent pid) with TMPDIR=tmpdir, in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(ROOT))], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TMPDIR": str(tmpdir)}, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    me, *parents = (int(x) for x in done.stdout.split())
    return me, parents


def test_upl017_children_are_forked_by_one_fork_server_not_by_the_worker():
    me, parents = _parents(Path(tempfile.gettempdir()))
    assert parents[0] == parents[1] != me  # both forked by the same server, which is not the worker


def test_upl018_a_fork_server_that_cannot_start_falls_back_to_spawning(tmp_path):
    deep = tmp_path / ("d" * 100)  # a Unix socket path under it would pass the 107-byte limit
    deep.mkdir()
    me, parents = _parents(deep)
    assert parents == [me, me]  # spawned by the worker itself, and the upload still runs
