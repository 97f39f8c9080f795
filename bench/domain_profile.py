"""Time and measure the domain's big steps at 1M rows (issue 10: each rule written once, no slower).

    .venv/bin/python -m bench.domain_profile prepare --rows 1000000 --out DIR   # once: file, rows, store
    .venv/bin/python -m bench.domain_profile STEP --out DIR                       # one step, fresh process

STEP is validate (validate_observations on the uploaded text rows, as the importer calls it),
build (build_from_typed(compact=True) on those rows, what a preview types), build_plain
(compact=False) load (Store.load_dataset(compact=True) of the 1M-row version, what a worker serves) or load_plain
(compact=False: what publish and restore read).
Prints wall and CPU seconds and the process's peak RSS; with --trace, tracemalloc's peak of allocations
(numpy's included) instead of honest times.
"""
from __future__ import annotations

import argparse
import os
import pickle
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _prepare(out: Path, rows: int) -> None:
    from bench.fingertips_data import ensure
    from data.domain.dataset import load_bundled
    from data.ingest.importer import catalogue_with, read_upload
    from data.storage.store import Store

    path = ensure(out, rows)
    bundled = load_bundled()
    result = read_upload(path.read_bytes(), path.name, bundled.indicators, observations=bundled.observations)
    assert result.valid, result.problems[:5]
    catalogue = catalogue_with(bundled.indicators, result.new_indicators)
    (out / "rows.pickle").write_bytes(pickle.dumps((result.rows, catalogue, result.new_indicators)))
    store = Store(f"sqlite:///{out}/store.sqlite3", instance=out / "instance")
    store.setup()
    from data.domain.dataset import build_from_typed

    typed = build_from_typed(catalogue.reset_index(drop=True), result.rows).observations
    t0 = time.perf_counter()
    store.publish(typed, result.new_indicators, user="bench", file_name=path.name, sha256="x", base_version=1)
    print(f"publish (store insert + the new version's snapshot): {time.perf_counter() - t0:.2f} s, load {os.getloadavg()[0]:.2f}")
    store.dispose()


def _check_snapshot(out: Path) -> None:
    """The head version's snapshot (written by the publish in prepare) equals a load from the store, frame for frame."""
    import pandas as pd

    from data.storage.store import Store

    store = Store(f"sqlite:///{out}/store.sqlite3", instance=out / "instance")
    t0 = time.perf_counter()
    snap = store.load_dataset(compact=True)
    t1 = time.perf_counter()
    db = _without_snapshots(store)
    t2 = time.perf_counter()
    pd.testing.assert_frame_equal(snap.observations, db.observations, check_exact=True)
    pd.testing.assert_frame_equal(snap.indicators, db.indicators, check_exact=True)
    print(f"snapshot == store for version {snap.version} ({len(snap.observations):,} rows): snapshot {t1 - t0:.2f} s, "
          f"store {t2 - t1:.2f} s, load {os.getloadavg()[0]:.2f}")


def _without_snapshots(store):
    """A load straight from the store (the snapshot folder pointed elsewhere), as before snapshots."""
    import tempfile

    store.snapshots = Path(tempfile.mkdtemp(prefix="no-snapshots-"))
    return store.load_dataset(compact=True)


def _step(name: str, out: Path, trace: bool) -> None:
    rows, catalogue, _ = pickle.loads((out / "rows.pickle").read_bytes()) if not name.startswith("load") else ([], None, None)
    from data.domain.dataset import build_from_typed
    from data.domain.schema import validate_observations
    from data.storage.store import Store

    store = Store(f"sqlite:///{out}/store.sqlite3", instance=out / "instance") if name.startswith("load") else None
    steps = {
        "validate": lambda: validate_observations(rows, catalogue, stripped=True, numbers_out={}),
        "build": lambda: build_from_typed(catalogue.reset_index(drop=True), rows, compact=True),
        "build_plain": lambda: build_from_typed(catalogue.reset_index(drop=True), rows),
        "load": lambda: store.load_dataset(compact=True),  # from the snapshot when there is one (instance/snapshots)
        "load_db": lambda: _without_snapshots(store),
        "load_plain": lambda: store.load_dataset(),
    }
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    got = steps[name]()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = len(got) if isinstance(got, list) else len(got.observations)
    print(f"{name:12s} {size:>9,} rows: wall {wall:6.2f} s, CPU {cpu:6.2f} s, load {os.getloadavg()[0]:.2f}, "
          f"tracemalloc peak {peak / 2**20:7.0f} MB, peak RSS {rss:6.0f} MB (before the step {before:.0f} MB)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["prepare", "check_snapshot", "validate", "build", "build_plain", "load", "load_db", "load_plain"])
    parser.add_argument("--trace", action="store_true", help="tracemalloc's peak too (slower: time it without)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / ".work" / "domain")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.step == "prepare":
        _prepare(args.out, args.rows)
    elif args.step == "check_snapshot":
        _check_snapshot(args.out)
    else:
        _step(args.step, args.out, args.trace)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
