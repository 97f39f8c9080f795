"""Profile one replayed action in-process (pyinstrument): python -m bench.profile ACTION [--database URL] [--payloads DIR] [-n 50]

Builds the app as gunicorn would (create_app on the store at --database, default a fresh store
seeded with the bundled data), replays the recorded chain through Flask's test client, and prints
pyinstrument's call tree. Profile a scale by running the bench with --keep and pointing --database
and --payloads at bench/.work/run-*/scale-1M/.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench import payloads


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("action", choices=payloads.ACTION_NAMES)
    parser.add_argument("--database", help="DATABASE_URL of a store (default: a fresh one with the bundled data)")
    parser.add_argument("--payloads", default=str(payloads.HERE / "bundled"))
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--html", help="write pyinstrument's HTML report here too")
    args = parser.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="bench-profile-")
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{tmp}/store.sqlite3"
    os.environ.setdefault("SECRET_KEY", "bench-profile")
    from pyinstrument import Profiler

    from app import create_app

    server = create_app().server
    client = server.test_client()
    chain = [json.dumps(b).encode() for b in payloads.load(Path(args.payloads), args.action)]

    def once():
        for body in chain:
            r = client.post("/_dash-update-component", data=body, content_type="application/json",
                            headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
            assert r.status_code in (200, 204), (r.status_code, r.data[:500])

    t0 = time.perf_counter()
    once()  # loads the dataset
    print(f"first (loads the dataset): {time.perf_counter() - t0:.3f} s", file=sys.stderr)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    t0 = time.perf_counter()
    for _ in range(args.n):
        once()
    elapsed = time.perf_counter() - t0
    profiler.stop()
    print(f"{args.action}: {elapsed / args.n * 1000:.1f} ms per action (in-process, {args.n} runs)", file=sys.stderr)
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
