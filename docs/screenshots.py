"""Screenshots of the product for the README: the overview, explore and a spotlight slide, at a laptop's
1366x768 and a phone's 390x844, taken with headless Chromium from the app running on the bundled data.

    python -m docs.screenshots            (or: make screenshots)

The app runs in this process on a free local port (no database, nothing written outside docs/), and
each page is captured by `chromium --headless --screenshot`; the PNGs are written to docs/screenshots/.
Needs Chromium (tests/system_deps.sh installs it).
"""
from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
PAGES = {  # name -> path: what a reader should see first
    "overview": "/",
    "explore": "/explore?set=Aged+5-11&indicator=year6-overweight",
    "spotlight-slide": "/spotlight/prevention-and-early-help?slide=5",  # an indicator slide, York against England
}
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("screenshots: no Chromium found (run tests/system_deps.sh, or apt-get install chromium)")


def _serve():
    """The app on the bundled data, on a free port, in a background thread."""
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from data.domain.dataset import load_bundled
    from data.domain.source import FixedSource

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log on the terminal
    app = create_app(source=FixedSource(load_bundled()))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    for _ in range(100):  # until it answers
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            break
        except OSError:
            time.sleep(0.1)
    return server, url


def shoot(browser: str, url: str, size: tuple[int, int], target: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={profile}",
             f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=10000", f"--screenshot={target}", url],
            check=True, capture_output=True, timeout=120,
        )
    if not target.is_file() or target.stat().st_size == 0:
        raise SystemExit(f"screenshots: Chromium wrote no picture of {url}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default docs/screenshots)")
    args = parser.parse_args(argv)
    browser = _browser()
    args.out.mkdir(parents=True, exist_ok=True)
    server, url = _serve()
    try:
        for page, path in PAGES.items():
            for size_name, size in SIZES.items():
                target = args.out / f"{page}-{size_name}.png"
                shoot(browser, url + path, size, target)
                print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
