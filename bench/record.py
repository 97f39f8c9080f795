"""Re-record the browser payloads for the bundled data: python -m bench.record

Starts the app (fresh store, bundled data) and the framework-floor app under gunicorn, drives
headless Chromium through each action, and writes bench/payloads/bundled/*.json and
bench/payloads/floor.json. Run it when a replayed callback's inputs or outputs change.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from bench import browser, payloads
from bench.server import Server


def record_all(server_url: str, params: dict, folder: Path, driver=None) -> dict[str, list[dict]]:
    own = driver is None
    driver = driver or browser.make_driver()
    try:
        chains = {}
        for name, action in payloads.actions(params).items():
            chains[name] = browser.record(driver, server_url, action)
            payloads.save(folder, name, action, chains[name])
        return chains
    finally:
        if own:
            driver.quit()


def record_floor(server_url: str, folder: Path, driver=None) -> list[dict]:
    own = driver is None
    driver = driver or browser.make_driver()
    try:
        chain = browser.record(driver, server_url, payloads.FLOOR_ACTION)
        payloads.save(folder, "floor", payloads.FLOOR_ACTION, chain)
        return chain
    finally:
        if own:
            driver.quit()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-record-") as tmp:
        driver = browser.make_driver()
        try:
            with Server(Path(tmp) / "app") as app:
                app.start()
                for name, chain in record_all(app.url, payloads.BUNDLED_PARAMS, payloads.HERE / "bundled", driver).items():
                    print(f"{name}: {len(chain)} request(s): " + ", ".join(c['output'][:60] for c in chain))
            with Server(Path(tmp) / "floor", module="bench.floor_app:server") as floor:
                floor.start()
                chain = record_floor(floor.url, payloads.HERE, driver)
                print(f"floor: {len(chain)} request(s)")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
