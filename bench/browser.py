"""Headless Chromium (Debian's /usr/bin/chromium via selenium + chromedriver), with the DevTools network log.

Two jobs:
- page_weight(url): the bytes a first visit transfers (encodedDataLength: compressed body + headers,
  with the Accept-Encoding Chromium itself sends), for the document and every script and stylesheet;
- record(url, action): the exact JSON bodies the Dash renderer POSTs to /_dash-update-component
  when a user does one thing on a page (a chain: the callback, then the ones its outputs trigger).
"""
from __future__ import annotations

import json
import os
import shutil
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

UPDATE_PATH = "/_dash-update-component"

_PENDING_JS = """
var s = window.store && window.store.getState();
if (!s) { return -1; }
if (s.pendingCallbacks) { return s.pendingCallbacks.length; }
var c = Object.assign({}, s.callbacks); delete c.stored; delete c.completed;
return [].concat.apply([], Object.values(c)).length;
"""


def chromium_available() -> bool:
    return bool(shutil.which("chromedriver") and (shutil.which("chromium") or os.environ.get("DASH_TEST_CHROMEPATH")))


def make_driver():
    options = webdriver.ChromeOptions()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--disable-extensions", "--remote-debugging-port=0"):
        options.add_argument(arg)
    binary = os.environ.get("DASH_TEST_CHROMEPATH") or shutil.which("chromium")
    if binary:
        options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = Service(shutil.which("chromedriver") or "chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(300)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    return driver


def _events(driver) -> list[dict]:
    out = []
    for entry in driver.get_log("performance"):
        try:
            out.append(json.loads(entry["message"])["message"])
        except (KeyError, ValueError):
            continue
    return out


def settle(driver, timeout: float = 300.0, quiet: float = 0.5) -> None:
    """Wait until the renderer exists and has no callback pending, seen twice `quiet` s apart."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if driver.execute_script(_PENDING_JS) == 0:
                time.sleep(quiet)
                if driver.execute_script(_PENDING_JS) == 0:
                    return
        except Exception:  # noqa: BLE001 - page still loading
            pass
        time.sleep(0.05)
    raise TimeoutError("Dash callbacks still pending")


class Network:
    """Requests seen in the DevTools log, by requestId."""

    def __init__(self):
        self.requests: dict[str, dict] = {}
        self.order: list[str] = []

    def feed(self, events: list[dict]) -> None:
        for ev in events:
            method, p = ev.get("method"), ev.get("params", {})
            rid = p.get("requestId")
            if not rid:
                continue
            r = self.requests.get(rid)
            if r is None:
                r = self.requests[rid] = {"id": rid, "bytes": 0, "finished": False}
                self.order.append(rid)
            if method == "Network.requestWillBeSent":
                req = p["request"]
                r.update(url=req["url"], method=req["method"], post=req.get("postData"), type=p.get("type"))
            elif method == "Network.requestWillBeSentExtraInfo":
                headers = {k.lower(): v for k, v in p.get("headers", {}).items()}
                if "accept-encoding" in headers:
                    r["accept_encoding"] = headers["accept-encoding"]
            elif method == "Network.responseReceived":
                resp = p["response"]
                headers = {k.lower(): v for k, v in resp.get("headers", {}).items()}
                r.update(status=resp.get("status"), type=p.get("type") or r.get("type"),
                         content_encoding=headers.get("content-encoding", ""), mime=resp.get("mimeType"))
            elif method == "Network.loadingFinished":
                r.update(bytes=int(p.get("encodedDataLength") or 0), finished=True)
            elif method == "Network.loadingFailed":
                r.update(failed=p.get("errorText"), finished=True)

    def list(self) -> list[dict]:
        return [self.requests[i] for i in self.order if "url" in self.requests[i]]


def page_weight(driver, url: str) -> dict:
    """Load url in a fresh tab state (cache disabled) and sum what went over the wire."""
    _events(driver)  # drop anything earlier
    net = Network()
    t0 = time.perf_counter()
    driver.get(url)
    settle(driver, quiet=0.2)
    settled = time.perf_counter() - t0 - 0.2  # navigation start -> no Dash callback pending
    # Plotly arrives as an async chunk once a graph renders: wait until the network is quiet.
    last_count, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 1.5:
        net.feed(_events(driver))
        unfinished = [r for r in net.list() if not r["finished"]]
        count = len(net.list())
        if count != last_count or unfinished:
            last_count, stable_since = count, time.monotonic()
        time.sleep(0.1)
    reqs = net.list()
    kinds = {"Document": "document", "Script": "script", "Stylesheet": "stylesheet"}
    by_kind: dict[str, int] = {}
    files = []
    for r in reqs:
        kind = kinds.get(r.get("type"), "other:" + str(r.get("type")))
        by_kind[kind] = by_kind.get(kind, 0) + r["bytes"]
        files.append({"url": r["url"].split("?")[0].replace(url.rstrip("/"), ""), "type": r.get("type"), "bytes": r["bytes"],
                      "encoding": r.get("content_encoding", ""), "status": r.get("status")})
    page = sum(v for k, v in by_kind.items() if not k.startswith("other:"))
    encodings = sorted({r.get("accept_encoding") for r in reqs if r.get("accept_encoding")})
    return {"page_bytes": page, "all_bytes": sum(by_kind.values()), "by_kind": by_kind, "files": files, "settled_s": settled,
            "accept_encoding": encodings[0] if encodings else None, "requests": len(reqs)}


def _do(driver, action: dict) -> None:
    kind, target = action["do"], action["id"]
    if kind == "click_checkbox":
        el = driver.find_element(By.CSS_SELECTOR, f'#{target} input[value="{action["value"]}"]')
        driver.execute_script("arguments[0].click();", el)
    elif kind == "select":
        select = Select(driver.find_element(By.ID, target))
        value = action["value"]
        if value == "<first>":  # the first real option that is not the current one (skips the placeholder)
            current = select.first_selected_option.get_attribute("value")
            value = next(v for v in (o.get_attribute("value") for o in select.options) if v and v != current)
        select.select_by_value(value)
    elif kind == "type":
        driver.find_element(By.ID, target).send_keys(action["value"])
    else:
        raise ValueError(kind)


def record(driver, base_url: str, action: dict) -> list[dict]:
    """Load base_url + action['path'], settle, do the action, settle: the update-component bodies it sent, in order."""
    driver.get(base_url + action["path"])
    settle(driver)
    _events(driver)
    net = Network()
    _do(driver, action)
    time.sleep(0.2)
    settle(driver)
    time.sleep(0.3)
    net.feed(_events(driver))
    chain = []
    for r in net.list():
        if r.get("method") == "POST" and r["url"].split("?")[0].endswith(UPDATE_PATH):
            if r.get("post") is None:
                body = driver.execute_cdp_cmd("Network.getRequestPostData", {"requestId": r["id"]})["postData"]
            else:
                body = r["post"]
            chain.append(json.loads(body))
    if not chain:
        raise RuntimeError(f"no callback request recorded for {action}")
    return chain
