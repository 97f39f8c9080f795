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
    parser.add_argument("--uncached", action="store_true",
                        help="n distinct views drawn from the data (bench/views.py), each posted once, instead of one view n times")
    args = parser.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="bench-profile-")
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{tmp}/store.sqlite3"
    os.environ.setdefault("SECRET_KEY", "bench-profile")
    from pyinstrument import Profiler

    from app import create_app

    server = create_app().server
    client = server.test_client()
    template = payloads.load(Path(args.payloads), args.action)
    views = [template] * (args.n + 1)
    if args.uncached:
        from bench import views as view_mod
        from callbacks.context import EXTENSION_KEY

        with server.app_context():
            dataset = server.extensions[EXTENSION_KEY].current()
        views = [template] + view_mod.draw(dataset, {args.action: template}, args.n, seed=15)[args.action]
        args.n = len(views) - 1
    queue = iter(views)

    def once():
        from bench.views import _follow

        previous = None
        for body in next(queue):
            data = json.dumps(_follow(json.loads(json.dumps(body)), previous)).encode()
            r = client.post("/_dash-update-component", data=data, content_type="application/json",
                            headers={"Accept-Encoding": "identity"})
            assert r.status_code in (200, 204), (r.status_code, r.data[:500])
            previous = r.get_json() if r.status_code == 200 else None

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
