"""Export floods (issue 11, item 4): each spotlight export is built once per topic and data version and
kept; at most one renders at a time on a host; a request that would wait too long answers 503 with
Retry-After; pages and the API never wait behind an export.

Chart drawing (kaleido + Chromium, seconds a deck) is replaced by a fake that counts its calls and
takes RENDER_SECONDS, so renders can be counted and overlapped on purpose.
"""
from __future__ import annotations

import fcntl
import io
import threading
import time

import pytest
from PIL import Image

import callbacks.spotlight_export as export
from data.domain.dataset import load_bundled
from data.domain.source import FixedSource
from data.domain.topics import deck
from data.settings import Settings
from data.storage.topics import find_topic
from layouts.spotlight import slide_figure

TOPIC = "child-exploitation"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10"></svg>'


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 2), "white").save(out, "PNG")
    return out.getvalue()


PNG = _png()


class FakeCharts:
    """Stands in for render_images: counts calls (one per export built) and takes `seconds`."""

    def __init__(self, seconds: float = 0.0):
        self.seconds, self.calls, self.finished, self.lock = seconds, 0, 0, threading.Lock()

    def __call__(self, figures, fmt, *args, **kwargs):
        with self.lock:
            self.calls += 1
        time.sleep(self.seconds)
        with self.lock:
            self.finished += 1  # renders over: a request answered while this is 0 did not wait for one
        return [SVG if fmt == "svg" else PNG for _ in figures]


@pytest.fixture
def charts(monkeypatch):
    fake = FakeCharts()
    monkeypatch.setattr(export, "render_images", fake)
    return fake


@pytest.fixture(scope="module")
def datasets():
    return {1: load_bundled(version=1), 2: load_bundled(version=2)}


@pytest.fixture
def make_server(tmp_path, datasets):
    """make_server(version) -> a Flask app serving that data version, every one on the same instance folder."""
    from app import create_app

    def make(version: int = 1):
        settings = Settings(instance=tmp_path, secret_key="export-flood-" + "e" * 32)
        return create_app(settings, source=FixedSource(datasets[version])).server

    return make


def chart_slide(dataset) -> int:
    slides = deck(dataset, find_topic(None, dataset, TOPIC))
    return next(i for i, s in enumerate(slides, start=1) if s.kind == "indicator")


def exports(dataset) -> list[str]:
    return [f"/spotlight/{TOPIC}/export.html", f"/spotlight/{TOPIC}/export.pptx", f"/spotlight/{TOPIC}/slide/{chart_slide(dataset)}.png"]


def test_sec401_a_second_request_is_served_from_the_kept_copy(make_server, charts, datasets):
    client = make_server().test_client()
    for url in exports(datasets[1]):
        before = charts.calls
        first = client.get(url)
        assert first.status_code == 200, first.get_data(as_text=True)[:300]
        assert charts.calls == before + 1, f"{url}: the first request renders"
        second = client.get(url)
        assert second.status_code == 200 and second.data == first.data
        assert second.headers["Content-Disposition"] == first.headers["Content-Disposition"]
        assert charts.calls == before + 1, f"{url}: the second request rendered again"
    # Another worker (another app on the same instance folder) is served the same kept files.
    other = make_server().test_client()
    assert all(other.get(url).status_code == 200 for url in exports(datasets[1]))
    assert charts.calls == 3


def test_sec402_a_new_data_version_makes_a_new_export(make_server, charts, datasets):
    old, new = make_server(1).test_client(), make_server(2).test_client()
    url = exports(datasets[1])[0]
    page_1 = old.get(url)
    assert charts.calls == 1
    page_2 = new.get(url)
    assert page_2.status_code == 200 and charts.calls == 2, "version 2 was served version 1's export"
    assert new.get(url).data == page_2.data and old.get(url).data == page_1.data and charts.calls == 2


def test_sec403_one_render_at_a_time_the_others_get_503_with_retry_after(make_server, charts, datasets, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_WAIT", 0.5)
    charts.seconds = 2.0
    server = make_server()
    urls = exports(datasets[1])
    results: dict[str, tuple] = {}
    start = threading.Barrier(len(urls))

    def fetch(url):
        client = server.test_client()
        start.wait()
        response = client.get(url)
        results[url] = (response.status_code, response.headers.get("Retry-After"), charts.finished,
                        response.get_json(silent=True))

    threads = [threading.Thread(target=fetch, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    statuses = sorted(r[0] for r in results.values())
    assert statuses == [200, 503, 503], results
    assert charts.calls == 1, "more than one export rendered at once"
    for status, retry_after, renders_over, body in results.values():
        if status == 503:
            assert int(retry_after) > 0 and body["status"] == 503
            assert renders_over == 0, "a refused request waited for the render (its bound is 0.5 s, the render 2 s)"
    # Once the render is over the others are made in turn.
    client = server.test_client()
    assert all(client.get(u).status_code == 200 for u in urls) and charts.calls == 3


def test_sec404_the_lock_is_shared_by_workers_and_pages_never_wait(make_server, charts, datasets, tmp_path, monkeypatch):
    """Another worker holds the render lock (a file lock under the instance folder): an export not kept yet
    answers 503 after the bound; a kept export, /healthz, a page and the API answer at once."""
    monkeypatch.setattr(export, "EXPORT_WAIT", 1.0)
    server = make_server()
    client = server.test_client()
    html_url, pptx_url, _ = exports(datasets[1])
    assert client.get(html_url).status_code == 200  # kept before the lock is taken
    (tmp_path / "exports").mkdir(exist_ok=True)
    with open(tmp_path / "exports" / ".render.lock", "a+b") as other_worker:
        fcntl.flock(other_worker, fcntl.LOCK_EX | fcntl.LOCK_NB)
        t0 = time.monotonic()
        busy = client.get(pptx_url)
        waited = time.monotonic() - t0
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0, busy.get_data(as_text=True)[:200]
        assert waited >= 1.0, f"answered after {waited:.1f} s: it did not wait its 1 s bound for the lock"
        for url in (html_url, "/healthz", "/api/indicators", "/spotlight", "/"):
            # the lock stays held: a request that queued behind it would end in 503 (or never), not 200
            assert client.get(url).status_code == 200, url
    assert charts.calls == 1
    assert client.get(pptx_url).status_code == 200 and charts.calls == 2  # the lock is free again


def test_sec405_waiting_requests_are_bounded_per_worker(make_server, charts, datasets, monkeypatch):
    """A flood of export requests cannot hold a worker's threads: past MAX_WAITING waiting requests the
    rest answer 503 at once."""
    monkeypatch.setattr(export, "EXPORT_WAIT", 3.0)
    charts.seconds = 2.0
    server = make_server()
    html_url, pptx_url, png_url = exports(datasets[1])
    pngs = []  # slides with a chart (one value is a number, not a chart): from this topic and the next
    for slug in (TOPIC, "prevention-and-early-help"):
        slides = deck(datasets[1], find_topic(None, datasets[1], slug))
        pngs += [f"/spotlight/{slug}/slide/{i}.png" for i, s in enumerate(slides, start=1)
                 if s.kind == "indicator" and slide_figure(datasets[1], s.indicator_id) is not None]
    urls = [html_url, pptx_url, *pngs][: export.MAX_WAITING + 3]
    assert len(urls) == export.MAX_WAITING + 3, "the topic has enough charted slides for this test"
    results: list[tuple[int, float]] = []
    start = threading.Barrier(len(urls))

    def fetch(url):
        client = server.test_client()
        start.wait()
        status = client.get(url).status_code
        results.append((status, charts.finished))

    threads = [threading.Thread(target=fetch, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == len(urls)
    quick_503 = [r for r in results if r[0] == 503 and r[1] == 0]  # refused before any render was over (2 s)
    assert len(quick_503) >= 2, f"expected the requests past the waiting bound to be refused at once: {results}"
    assert charts.calls <= 2, results
