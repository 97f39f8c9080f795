"""Publishing under stress: a worker killed mid-publish, and two editors publishing at once.

Run on SQLite and on a real PostgreSQL (the store_url fixture).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from data.domain.dataset import load_bundled
from data.storage.store import PublishConflict, Store
from data.storage.tables import observations

ROOT = Path(__file__).resolve().parents[2]
NO_NEW = pd.DataFrame(columns=["id"])

# A child process that publishes many rows and, once every row is written but before the commit,
# says so and waits to be killed: the kill lands inside the transaction however fast the insert is.
PUBLISHER = textwrap.dedent("""
    import sys, time, pandas as pd
    sys.path.insert(0, {root!r})
    from data.domain.dataset import load_bundled
    from data.storage.store import Store
    insert_rows = Store._insert_rows

    def insert_then_hang(self, *args, **kwargs):
        insert_rows(self, *args, **kwargs)
        with open({marker!r}, "w") as f:
            f.write("inserted")
        time.sleep(120)

    Store._insert_rows = insert_then_hang
    store = Store({url!r})
    base = load_bundled().observations
    row = base[base["indicator_id"] == "reception-overweight"].iloc[[0]]
    rows = row.loc[row.index.repeat({n})].reset_index(drop=True)
    rows["area_code"] = [f"E9{{i:07d}}" for i in range({n})]
    rows["period"], rows["period_type"] = "23/24", "academic year"
    store.publish(rows, pd.DataFrame(columns=["id"]), user="killed", file_name="big.csv", sha256="x", base_version=1)
    print("finished")
""")


def _rows_in(store: Store, version: int) -> int:
    return len(store.load_dataset(version).observations)


def test_rel001_a_publish_killed_inside_its_transaction_leaves_the_old_version_whole(store_url, tmp_path):
    store = Store(store_url)
    store.setup()
    before = _rows_in(store, 1)
    marker = tmp_path / "started"
    n = 60000
    script = PUBLISHER.format(root=str(ROOT), url=store_url, n=n, marker=str(marker))
    # `with`: the pipes are closed however this ends (no unclosed-file ResourceWarning).
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        deadline = time.time() + 60
        while not marker.exists() and time.time() < deadline and child.poll() is None:
            time.sleep(0.02)
        assert marker.exists(), child.communicate()[1][-2000:]
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    head = store.head_version()
    assert head == 1  # killed before the commit: the old version, whole
    assert _rows_in(store, head) == before
    with store.engine.connect() as conn:  # nothing half-written is left behind for a later version
        stray = conn.execute(select(func.count()).select_from(observations).where(observations.c.valid_from > head)).scalar()
    assert stray == 0
    store.dispose()


def _row(area: str, value: float) -> pd.DataFrame:
    base = load_bundled().observations
    row = base[base["indicator_id"] == "reception-overweight"].iloc[[0]].copy()
    row["area_code"], row["area_name"], row["period"], row["period_type"], row["value"] = area, area, "23/24", "academic year", value
    return row


def _publish_together(store_url: str, base_versions: tuple) -> list:
    """Two 'editors' (separate engines, as two workers would have) publish at the same moment."""
    results: list = [None, None]
    gate = threading.Barrier(2)

    def editor(i: int) -> None:
        store = Store(store_url)
        gate.wait()
        try:
            results[i] = store.publish(_row(f"E0000000{i}", 10.0 + i), NO_NEW, user=f"editor{i}", file_name=f"f{i}.csv", sha256=str(i),
                                       base_version=base_versions[i])
        except PublishConflict as exc:
            results[i] = exc
        finally:
            store.dispose()

    threads = [threading.Thread(target=editor, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_rel002_two_editors_publishing_at_once_both_land_in_order(store_url):
    store = Store(store_url)
    store.setup()
    results = _publish_together(store_url, (None, None))
    assert sorted(results) == [2, 3]
    final = store.load_dataset().observations
    assert set(final["area_code"]) >= {"E00000000", "E00000001"}
    assert [v["created_by"] for v in store.versions()][:2] == [f"editor{results.index(3)}", f"editor{results.index(2)}"]
    store.dispose()


def test_rel003_two_editors_from_the_same_preview_one_is_told_to_retry(store_url):
    store = Store(store_url)
    store.setup()
    results = _publish_together(store_url, (1, 1))
    landed = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, PublishConflict)]
    assert landed == [2] and len(refused) == 1
    assert store.head_version() == 2
    winner = results.index(2)
    assert f"E0000000{winner}" in set(store.load_dataset().observations["area_code"])
    assert f"E0000000{1 - winner}" not in set(store.load_dataset().observations["area_code"])
    store.dispose()


