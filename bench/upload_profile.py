"""Time a Fingertips CSV upload's stages in-process on a fresh SQLite store (issue 6).

    .venv/bin/python -m bench.upload_profile [--rows 1000000] [--pyinstrument out.html]

Prints each stage's wall time (validate + preview as POST /api/uploads does, then publish as
POST /api/uploads/<id>/publish does) and the process's peak RSS (ru_maxrss). The stages are timed
by wrapping the functions the job calls, so the numbers add up to the two requests.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / ".work" / "data"

TIMES: dict[str, float] = {}
CPU: dict[str, float] = {}
PEAK: dict[str, float] = {}  # the process's peak RSS (MB) when the stage returned  # process CPU seconds: steadier than wall time on a shared machine


def _timed(module, name: str, label: str | None = None) -> None:
    """Wrap module.name so each call adds its wall time to TIMES[label]."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            key = label or name
            TIMES[key] = TIMES.get(key, 0.0) + time.perf_counter() - start
            CPU[key] = CPU.get(key, 0.0) + time.process_time() - cpu
            PEAK[key] = max(PEAK.get(key, 0.0), _peak_mb())

    setattr(module, name, wrapper)


@contextmanager
def _clock(label: str):
    start, cpu = time.perf_counter(), time.process_time()
    yield
    TIMES[label] = time.perf_counter() - start
    CPU[label] = time.process_time() - cpu
    PEAK[label] = _peak_mb()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--pyinstrument", type=Path, help="write a pyinstrument profile here (HTML, or text for a .txt name)")
    args = parser.parse_args(argv)
    path = args.file or DATA / f"SYNTHETIC-fingertips-{args.rows}-rows-seed1.csv"

    from bench import fingertips_data
    from data.ingest import importer, upload_jobs
    from data.ingest.formats.fingertips import FingertipsFormat
    from data.ingest.indicator_choices import read_choices
    from data.storage import store as store_module
    from data.storage.store import Store

    for name in ("_read", "_finish"):
        _timed(importer, name, f"importer.{name}")
    for name in ("read_table", "_validate", "_result"):
        _timed(importer, name, f"  importer.{name}")
    _timed(FingertipsFormat, "to_observations", "  FingertipsFormat.to_observations")
    for name in ("_typed", "summarise", "_pack", "_unpack"):
        _timed(upload_jobs, name, f"upload_jobs.{name}")
    for name in ("publish", "_insert_rows", "_close_keys", "load_dataset_in"):
        _timed(Store, name, f"Store.{name}")
    _timed(store_module, "classify", "store.classify")

    content = path.read_bytes()
    print(f"{path.name}: {len(content) / 1e6:.0f} MB; RSS after reading the bytes {_peak_mb():.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/profile.sqlite3")
        store.setup()
        store.load_dataset()
        profiler = None
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.005)
            profiler.start()
        start = time.perf_counter()
        with _clock("POST /api/uploads (process)"):
            job_id = upload_jobs.create_job(store, content, path.name, "bench@example.org")
            held, content = importer.FileBytes(content), b""  # as the upload's child hands them over: read once, then let go
            job = upload_jobs.process(store, job_id, held, path.name,
                                      choices=read_choices(fingertips_data.choices_csv(args.rows)))
        assert job["stage"] == "ready", job["errors"][:5]
        with _clock("POST /api/uploads/<id>/publish"):
            version = upload_jobs.publish_job(store, job_id, "bench@example.org")
        total = time.perf_counter() - start
        if profiler is not None:
            profiler.stop()
            as_text = args.pyinstrument.suffix == ".txt"
            args.pyinstrument.write_text(profiler.output_text(show_all=False) if as_text else profiler.output_html())
        rows = store.count_rows()
    print(f"{'stage':40s} {'wall':>8s}   {'CPU':>8s}   peak RSS so far")
    for label, seconds in TIMES.items():
        print(f"{label:40s} {seconds:8.2f} s {CPU[label]:8.2f} s {PEAK[label]:8.0f} MB")
    print(f"{'total (both requests)':40s} {total:8.2f} s; published version {version}, {rows:,} rows in the store")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"peak RSS {_peak_mb():.0f} MB; summary {job['summary']['added']:,} added")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
