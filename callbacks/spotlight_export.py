"""Spotlight exports for the minutes (public, like the decks):

    GET /spotlight/<slug>/export.html     one self-contained HTML file: inline CSS, charts as inline SVG,
                                          no script and no address to fetch, so it opens with no network
    GET /spotlight/<slug>/slide/<n>.png   the chart of slide n as a PNG (404 when that slide has no chart)
    GET /spotlight/<slug>/export.pptx     the deck as PowerPoint: text boxes, charts as PNG pictures

The PDF is the deck printed from the browser (assets/zz-app/spotlight.css: one slide a page).

Chart images are drawn by kaleido with the system Chromium (mathjax off, plotly.js from the
plotly package: nothing is fetched). Without a working Chromium the HTML file shows each chart's
numbers as a table, and the PNG and .pptx answer 503 with the reason.

Each export is built once per topic and data version and kept on disk (INSTANCE_PATH/exports/,
named by a hash of the kind, the slide, the data version and the deck's content; the newest
MAX_KEPT files stay). At most one export renders at a time on a host: a file lock
(INSTANCE_PATH/exports/.render.lock) shared by every gunicorn worker. A request for an export
that is not kept waits for that lock at most EXPORT_WAIT seconds, and only MAX_WAITING requests
of a worker wait at once; otherwise it answers 503 with Retry-After. A kept export is served
without waiting, and pages and the API never take the lock.
"""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import hashlib
import html
import io
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify

from callbacks.auth import current_editor
from callbacks.context import current_dataset, current_settings, current_store
from data.domain.formatting import format_value
from data.domain.topics import Slide, deck, slide_rows
from data.storage.topics import find_topic, get_note
from layouts.spotlight import EXPORT_SIZE, PNG_SIZE, png_figure, slide_figure

log = logging.getLogger(__name__)
spotlight_export = Blueprint("spotlight_export", __name__)
_RENDER_LOCK = threading.Lock()
RENDER_TIMEOUT = 60  # seconds for one image
EXPORT_WAIT = 10.0  # seconds a request waits for the host's render lock before it answers 503
RETRY_AFTER = 30  # seconds, in the 503's Retry-After
MAX_WAITING = 2  # requests of one worker waiting for the render lock at once; more answer 503 at once
MAX_KEPT = 64  # export files kept on disk; the oldest are removed past this
_waiting = threading.BoundedSemaphore(MAX_WAITING)


class ChartsUnavailable(RuntimeError):
    """kaleido or Chromium is missing or failed: chart images cannot be made here."""


class ExportBusy(RuntimeError):
    """Another export is being made on this host and this one would wait too long."""


# -- kept exports and the host's render lock ------------------------------------------

def _exports_folder() -> Path:
    folder = Path(current_settings().instance) / "exports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def export_key(kind: str, dataset, topic, slides: list[Slide], n: int = 0) -> str:
    """The name of one export: what it is and everything it is built from (the data version, the deck)."""
    made_from = repr((kind, n, dataset.version, dataset.updated, topic, slides))
    return hashlib.sha256(made_from.encode("utf-8")).hexdigest()[:40]


def _read_kept(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _keep(folder: Path, path: Path, data: bytes) -> None:
    """Written whole or not at all (a temporary file renamed), then the oldest past MAX_KEPT removed."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    kept = sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[MAX_KEPT:]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()


def _wait_for_lock(lock, path: Path) -> bytes | None:
    """Take the host's render lock on the open file `lock` (None), or the kept export at `path` if another
    request made it meanwhile. ExportBusy after EXPORT_WAIT seconds, or at once when MAX_WAITING already wait."""
    if not _waiting.acquire(blocking=False):
        raise ExportBusy()
    try:
        deadline = time.monotonic() + EXPORT_WAIT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return None
            except BlockingIOError:
                kept = _read_kept(path)
                if kept is not None:
                    return kept
                if time.monotonic() >= deadline:
                    raise ExportBusy() from None
                time.sleep(0.05)
    finally:
        _waiting.release()


def kept_export(key: str, suffix: str, build: Callable[[], tuple[bytes, bool]]) -> bytes:
    """The kept export `key`, or build() -> (bytes, keep?) under the host's render lock (ExportBusy when
    it would wait too long). Only builds with keep=True are kept (not a fallback without charts)."""
    folder = _exports_folder()
    path = folder / f"{key}{suffix}"
    kept = _read_kept(path)
    if kept is not None:
        return kept
    # A file lock, opened per request: it excludes other threads of this worker as well as other workers.
    with open(folder / ".render.lock", "a+b") as lock:
        made_meanwhile = _wait_for_lock(lock, path)
        if made_meanwhile is not None:
            return made_meanwhile
        try:
            kept = _read_kept(path)  # made between the first look and taking the lock
            if kept is not None:
                return kept
            data, keep = build()
            if keep:
                _keep(folder, path, data)
            return data
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _busy() -> tuple[Response, int]:
    response = jsonify({"error": "another export is being made on this server; try again shortly", "status": 503})
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response, 503


class WarmRenderer:
    """One kaleido Chromium kept open per process, on its own event loop thread: starting Chromium was most of
    the 6-8 s each chart image took. Started on first use (so after gunicorn forks); after any failure it is
    closed and the next image starts a fresh one. Every call has a timeout, so a hung Chromium cannot hang a
    request."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None

    def _call(self, coroutine, timeout: float = RENDER_TIMEOUT):
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=timeout)

    def _start(self) -> None:
        import kaleido

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido-renderer", daemon=True)
        self._thread.start()
        self._kaleido = kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT, mathjax=False)
        self._call(self._kaleido.__aenter__())

    def stop(self) -> None:
        loop, k = self._loop, self._kaleido
        self._loop, self._kaleido = None, None
        if loop is None:
            return
        if k is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(k.__aexit__(None, None, None), loop).result(timeout=15)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def render(self, figures: list, opts: dict) -> list[bytes]:
        """The images; a warm Chromium that fails (it may have died since the last call) is replaced once."""
        for attempt in (1, 2):
            was_warm = self._kaleido is not None
            try:
                if not was_warm:
                    self._start()
                return [self._call(self._kaleido.calc_fig(f, opts=opts)) for f in figures]
            except BaseException:
                self.stop()
                if attempt == 2 or not was_warm:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


_renderer = WarmRenderer()
atexit.register(_renderer.stop)


def render_images(figures: list, fmt: str, width: int = EXPORT_SIZE[0], height: int = EXPORT_SIZE[1], scale: float = 1) -> list[bytes]:
    """Each figure as PNG or SVG bytes, from this process's warm Chromium; ChartsUnavailable when that fails."""
    if not figures:
        return []
    try:
        import kaleido  # noqa: F401
    except ImportError as exc:  # pragma: no cover - kaleido is in requirements.txt
        raise ChartsUnavailable("kaleido is not installed") from exc

    with _RENDER_LOCK:
        try:
            return _renderer.render(figures, {"format": fmt, "width": width, "height": height, "scale": scale})
        except Exception as exc:
            log.warning("spotlight: chart images unavailable: %s", exc)
            raise ChartsUnavailable(f"the charts could not be drawn on this server ({type(exc).__name__}: {exc})") from exc


def _topic_or_404(slug: str):
    dataset = current_dataset()
    store = current_store()
    topic = find_topic(store.engine if store is not None else None, dataset, slug)
    if topic is None:
        abort(404)
    return dataset, topic, deck(dataset, topic)


def _file_name(slug: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", slug) or "spotlight"


# -- HTML ----------------------------------------------------------------------------

_CSS = """
*{box-sizing:border-box}
html{scroll-snap-type:y mandatory}
body{margin:0;background:#0b0c0c;color:#0b0c0c;font-family:Arial,Helvetica,sans-serif}
.slide{scroll-snap-align:center;height:100vh;display:flex;align-items:center;justify-content:center;padding:1vh 0}
.frame{width:min(100vw,calc(98vh*16/9));aspect-ratio:16/9;background:#fff;border-top:8px solid #12436D;
 container-type:inline-size;overflow:hidden}
.inner{height:100%;padding:2.5cqw 3.5cqw 2cqw;font-size:max(14px,1.4cqw);line-height:1.3;display:flex;flex-direction:column;gap:1.2cqw}
p{margin:0}
h1,h2{margin:0;line-height:1.15}
h2{font-size:max(20px,2.5cqw)}
h1{font-size:max(28px,4.2cqw)}
.kicker{font-weight:700;color:#12436D;text-transform:uppercase;letter-spacing:.04em}
.intro{font-size:max(16px,1.9cqw)}
.source{margin-top:auto;color:#484949;border-top:2px solid #b1b4b6;padding-top:.6cqw}
blockquote{margin:auto 0;border-left:1cqw solid #12436D;padding-left:2.5cqw;font-size:max(18px,2.6cqw)}
.body{flex:1 1 auto;min-height:0;display:grid;grid-template-columns:minmax(0,5fr) minmax(0,9fr);gap:1.2cqw 3cqw}
.facts{display:flex;flex-direction:column;gap:.8cqw;overflow:hidden}
.number{font-size:max(40px,6.5cqw);font-weight:700;line-height:1;color:#12436D}
.caption{font-weight:700}
.worse{color:#942514}.better{color:#005a30}
.badge{display:inline-block;background:#fff3cd;border:2px solid #8a5a00;padding:0 .4em;font-weight:700}
figure{margin:0;min-height:0;display:flex;flex-direction:column;gap:.8cqw}
.chart{flex:1 1 auto;min-height:0}
.chart svg{width:100%;height:100%;display:block}
figcaption{font-weight:700}
table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #b1b4b6;padding:.2em .5em;text-align:left}
ol{margin:0;padding-left:1.6em}
.meta{color:#fff;text-align:center;padding:1rem;font-size:16px}
@page{size:16in 9in;margin:0}
@media print{html{scroll-snap-type:none}body{background:#fff}.slide{height:auto;padding:0;break-after:page}
 .frame{width:16in;height:9in;aspect-ratio:auto}.meta{display:none}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _e(text) -> str:
    return html.escape(str(text or ""), quote=True)


def _svg_inline(svg: bytes, label: str) -> str:
    """Plotly's SVG made to scale with its box (it carries a viewBox), with an accessible name."""
    text = svg.decode("utf-8")
    text = re.sub(r'^<svg([^>]*?) width="[\d.]+" height="[\d.]+"', r'<svg\1 width="100%" height="100%"', text, count=1)
    return text.replace("<svg", f'<svg role="img" aria-label="{_e(label)}" preserveAspectRatio="xMidYMid meet"', 1)


def _value_table(dataset, slide: Slide) -> str:
    """The chart's numbers, when no image can be drawn."""
    rows = slide_rows(dataset, slide.indicator_id)
    rows = rows[rows["value"].notna()]
    unit = dataset.indicator(slide.indicator_id)["unit"]
    if rows.empty:
        return ""
    body = "".join(
        f"<tr><td>{_e(r.period)}</td><td>{_e(r.area_name)}</td><td>{_e(r.category or '')}</td><td>{_e(format_value(r.value, unit))}</td></tr>"
        for r in rows.itertuples()
    )
    return f"<table><caption>{_e(slide.title)}</caption><tr><th>Period</th><th>Area</th><th>Category</th><th>Value</th></tr>{body}</table>"


def _slide_html(dataset, slide: Slide, index: int, total: int, chart: str | None) -> str:
    label = f"Slide {index} of {total}: {slide.title}"
    if slide.kind == "title":
        inner = f'<p class="kicker">Spotlight topic</p><h1>{_e(slide.title)}</h1><p class="intro">{_e(slide.text)}</p>'
        if slide.items:
            inner += "<ol>" + "".join(f'<li>{_e(n)} <strong class="{_e(j.replace(" ", "-"))}">{_e(c)}</strong></li>' for n, c, j in slide.items) + "</ol>"
    elif slide.kind == "headline":
        inner = f'<p class="kicker">{_e(slide.title)}</p><blockquote><p>{_e(slide.text)}</p></blockquote>'
    else:
        facts = (f'<p class="number">{_e(slide.number)}</p>' if slide.number else "") + f'<p class="caption">{_e(slide.number_caption)}</p>'
        if slide.change:
            facts += f'<p>Change: <strong class="{_e(slide.judgement.replace(" ", "-"))}">{_e(slide.change)}</strong></p>'
        if slide.england:
            facts += f'<p>{_e(slide.england)}</p>'
        if slide.status_label or slide.pending_reason:
            label = slide.status_label or f"Pending {slide.reporting_year}"
            facts += f'<p><strong class="badge">{_e(label)}</strong> {_e(slide.pending_reason or "")}</p>'
        if chart is None and slide.number:
            chart = "<p>One value: shown as a number, not a chart.</p>"
        if chart is None:
            chart = _value_table(dataset, slide) or "<p>No chart: the data set has no values to plot for this indicator.</p>"
        inner = (f"<h2>{_e(slide.title)}</h2><div class=\"body\"><div class=\"facts\">{facts}</div>"
                 f"<figure><div class=\"chart\">{chart}</div><figcaption>{_e(slide.text)}</figcaption></figure></div>")
    inner += f'<p class="source">{_e(slide.source)}</p>'
    return f'<section class="slide" id="slide-{index}" aria-label="{_e(label)}"><div class="frame"><div class="inner">{inner}</div></div></section>'


def deck_html(dataset, topic, slides: list[Slide], svgs: dict[int, str], note: str = "") -> str:
    total = len(slides)
    body = "\n".join(_slide_html(dataset, s, i, total, svgs.get(i)) for i, s in enumerate(slides, start=1))
    stamp = datetime.now(timezone.utc).strftime("%d %B %Y %H:%M UTC")
    meta = (f'<p class="meta">Exported {stamp} from the data set ({_e(dataset.updated or f"version {dataset.version}")}). '
            f"{total} slides: scroll or press Page Down for the next; print for one slide a page. {_e(note)}</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Spotlight: {_e(topic.title)}</title><style>{_CSS}</style></head>"
        f'<body><main aria-label="Spotlight: {_e(topic.title)}">{body}</main>{meta}</body></html>\n'
    )


@spotlight_export.get("/spotlight/<slug>/export.html")
def export_html(slug: str):
    dataset, topic, slides = _topic_or_404(slug)

    def build() -> tuple[bytes, bool]:
        charted = [(i, slide_figure(dataset, s.indicator_id)) for i, s in enumerate(slides, start=1) if s.kind == "indicator"]
        charted = [(i, f) for i, f in charted if f is not None]
        try:
            images = render_images([f for _, f in charted], "svg")
        except ChartsUnavailable:
            note = "Charts are shown as tables: this server could not draw chart images."
            return deck_html(dataset, topic, slides, {}, note).encode("utf-8"), False  # not kept: try again next time
        svgs = {i: _svg_inline(img, slides[i - 1].text) for (i, _), img in zip(charted, images, strict=True)}
        return deck_html(dataset, topic, slides, svgs).encode("utf-8"), True

    try:
        page = kept_export(export_key("html", dataset, topic, slides), ".html", build)
    except ExportBusy:
        return _busy()
    resp = Response(page, mimetype="text/html")
    resp.headers["Content-Disposition"] = f'attachment; filename="spotlight-{_file_name(topic.slug)}.html"'
    return resp


@spotlight_export.get("/spotlight/<slug>/slide/<int:n>.png")
def slide_png(slug: str, n: int):
    dataset, topic, slides = _topic_or_404(slug)
    if not 1 <= n <= len(slides) or slides[n - 1].kind != "indicator":
        abort(404)
    fig = slide_figure(dataset, slides[n - 1].indicator_id)
    if fig is None:
        abort(404)
    fig = png_figure(fig, slides[n - 1].title, slides[n - 1].source)
    try:
        png = kept_export(export_key("png-2", dataset, topic, slides, n), ".png", lambda: (render_images([fig], "png", *PNG_SIZE)[0], True))
    except ExportBusy:
        return _busy()
    except ChartsUnavailable as exc:
        return jsonify({"error": str(exc), "status": 503}), 503
    resp = Response(png, mimetype="image/png")
    resp.headers["Content-Disposition"] = f'attachment; filename="spotlight-{_file_name(topic.slug)}-slide-{n}.png"'
    return resp


# -- PowerPoint ----------------------------------------------------------------------

MIN_PPTX_PT = 14  # no text in the .pptx under 14 pt (a projected slide is read from the back of a room)
PPTX_CHART_PX = (760, 385)  # drawn at this size (scale 2) and placed 7.9 in wide: 20 px chart text shows at 15 pt


def slide_notes(slide: Slide, presenter_note: str = "") -> str:
    """A slide's speaker notes: what it says, in sentences, with its source; the topic's presenter note (kept by
    an editor on the deck page) on the first slide."""
    parts = [presenter_note.strip()] if presenter_note.strip() else []
    if slide.kind == "indicator":
        facts = [f"{slide.number} ({slide.number_caption})" if slide.number else slide.number_caption]
        if slide.change:
            facts.append(f"Change: {slide.change}.")
        if slide.pending_reason:
            facts.append(f"Pending {slide.reporting_year}: {slide.pending_reason}")
        parts += [slide.title, " ".join(f for f in facts if f), slide.text]
    else:
        parts += [slide.title, slide.text]
        parts += [f"{k}. {n}: {c}" for k, (n, c, _) in enumerate(slide.items, start=1)]
    parts.append(slide.source)
    return "\n\n".join(p for p in parts if p)


def deck_pptx(dataset, topic, slides: list[Slide], pngs: dict[int, bytes], presenter_note: str = "") -> bytes:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]
    dark, brand, grey = RGBColor(0x0B, 0x0C, 0x0C), RGBColor(0x12, 0x43, 0x6D), RGBColor(0x48, 0x49, 0x49)

    def text(slide, left, top, width, height, value, size, bold=False, color=dark):
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        frame = box.text_frame
        frame.word_wrap = True
        lines = value if isinstance(value, list) else [value]
        for k, line in enumerate(lines):
            para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
            para.text = line
            para.font.size, para.font.bold, para.font.color.rgb, para.font.name = Pt(size), bold, color, "Arial"
        return box

    for i, s in enumerate(slides, start=1):
        page = prs.slides.add_slide(blank)
        if s.kind == "title":
            text(page, 0.6, 0.5, 12, 0.5, "SPOTLIGHT TOPIC", 16, True, brand)
            text(page, 0.6, 1.0, 12, 1.2, s.title, 40, True)
            text(page, 0.6, 2.3, 12, 1.8, s.text, 20)
            if s.items:
                text(page, 0.6, 4.0, 12, 2.6, [f"{k}. {n}: {c}" for k, (n, c, _) in enumerate(s.items, start=1)], 16)
        elif s.kind == "headline":
            text(page, 0.6, 0.5, 12, 0.5, s.title.upper(), 16, True, brand)
            text(page, 0.9, 1.6, 11.5, 4.0, s.text, 30)
        else:
            text(page, 0.6, 0.35, 12.1, 1.0, s.title, 26, True)
            facts = []
            if s.number:
                text(page, 0.6, 1.5, 4.2, 1.1, s.number, 54, True, brand)
            facts.append(s.number_caption)
            if s.change:
                facts.append(f"Change: {s.change}")
            if s.england:
                facts.append(s.england)
            if s.status_label or s.pending_reason:
                label = s.status_label or f"Pending {s.reporting_year}"
                facts.append(f"{label}. {s.pending_reason}" if s.pending_reason else label)
            text(page, 0.6, 2.6, 4.2, 3.4, facts, 14)
            if i in pngs:
                page.shapes.add_picture(io.BytesIO(pngs[i]), Inches(5.0), Inches(1.4), width=Inches(7.9))
            text(page, 5.0, 5.5, 7.9, 1.0, s.text, 16, True)
        text(page, 0.6, 6.6, 12.1, 0.7, s.source, MIN_PPTX_PT, False, grey)
        page.notes_slide.notes_text_frame.text = slide_notes(s, presenter_note if i == 1 else "")
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@spotlight_export.get("/spotlight/<slug>/export.pptx")
def export_pptx(slug: str):
    dataset, topic, slides = _topic_or_404(slug)

    # The presenter note is for editors (the deck page shows it only to them): only their download carries it.
    store = current_store()
    kept_note = get_note(store.engine, topic.slug) if store is not None and current_editor() else None
    note = (kept_note or {}).get("note", "")

    def build() -> tuple[bytes, bool]:
        charted = [(i, slide_figure(dataset, s.indicator_id)) for i, s in enumerate(slides, start=1) if s.kind == "indicator"]
        charted = [(i, f) for i, f in charted if f is not None]
        images = render_images([f for _, f in charted], "png", *PPTX_CHART_PX, scale=2)
        return deck_pptx(dataset, topic, slides, {i: img for (i, _), img in zip(charted, images, strict=True)}, note), True

    try:
        # "pptx-2": files kept by the old layout (11 pt sources, no notes) are not served again; the note is in the key.
        data = kept_export(export_key(f"pptx-2\n{note}", dataset, topic, slides), ".pptx", build)
    except ExportBusy:
        return _busy()
    except ChartsUnavailable as exc:
        return jsonify({"error": str(exc), "status": 503}), 503
    resp = Response(data, mimetype="application/vnd.openxmlformats-officedocument.presentationml.presentation")
    resp.headers["Content-Disposition"] = f'attachment; filename="spotlight-{_file_name(topic.slug)}.pptx"'
    return resp


__all__ = ["ChartsUnavailable", "ExportBusy", "deck_html", "deck_pptx", "export_key", "kept_export", "render_images", "spotlight_export"]
