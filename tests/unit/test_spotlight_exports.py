"""Issue 14's export fixes: the chart PNG's title clear of its legend and a source line in the image; the
.pptx with speaker notes (the editor's presenter note for editors only) and no text under 14 pt."""
from __future__ import annotations

import io
import re
import shutil

import pytest
from pptx import Presentation
from pptx.util import Pt

from data.domain.dataset import load_bundled
from data.domain.source import FixedSource
from data.domain.topics import deck
from data.storage import users
from data.storage.store import Store, StoreSource
from data.storage.topics import find_topic, save_note
from layouts.spotlight import slide_figure

EDITOR, PASSWORD = "editor@example.org", "correct horse battery"
NOTE = "Start with the Hackett model: ask who has heard of it."


def _slide(dataset, slug: str, kind_index: int):
    return deck(dataset, find_topic(None, dataset, slug))[kind_index - 1]


def _svg_geometry(svg: str) -> dict:
    """Where plotly drew the title, the legend, the plot and the source annotation (px from the top)."""
    title = re.search(r'<text class="gtitle"[^>]*?y="([\d.]+)"[^>]*?dy="([\d.]+)em"[^>]*?font-size: ([\d.]+)px[^>]*>(.*?)</text>', svg)
    assert title, "no title"
    y, dy, size = float(title.group(1)), float(title.group(2)), float(title.group(3))
    lines = max(1, title.group(4).count('class="line"'))
    legend = re.search(r'<g class="legend"[^>]*transform="translate\(([\d.]+),([\d.]+)\)"><rect class="bg"[^>]*height="([\d.]+)"', svg)
    source = re.search(r'<g class="cursor-pointer" transform="translate\(([\d.]+),([\d.]+)\)"><rect class="bg"[^>]*height="([\d.]+)"'
                       r'.{0,400}?<text class="annotation-text"[^>]*>(.*?)</text>', svg, re.S)
    return {
        "title_bottom": y + (dy + 0.3) * size + (lines - 1) * 1.3 * size,
        "legend": (float(legend.group(2)), float(legend.group(2)) + float(legend.group(3))) if legend else None,
        "source": (float(source.group(2)), float(source.group(2)) + float(source.group(3)), re.sub(r"<[^>]+>", " ", source.group(4)))
        if source else None,
    }


@pytest.fixture(scope="module")
def bundled_data():
    return load_bundled()


@pytest.mark.parametrize("slug, n", [("emerging-trends", 2), ("child-exploitation", 4), ("child-exploitation", 6)])
def test_spx001_png_title_clears_the_legend_and_the_image_carries_its_source(bundled_data, slug, n):
    from callbacks.spotlight_export import render_images
    from layouts.spotlight import PNG_SIZE, png_figure

    slide = _slide(bundled_data, slug, n)
    assert slide.kind == "indicator"
    fig = png_figure(slide_figure(bundled_data, slide.indicator_id), slide.title, slide.source)
    svg = render_images([fig], "svg", *PNG_SIZE)[0]
    geo = _svg_geometry(svg.decode() if isinstance(svg, bytes) else svg)
    assert geo["title_bottom"] > 0
    if len(fig.data) > 1:  # York and England: a legend, under the title and above the plot
        assert geo["legend"], "a two-series chart has a legend"
        assert geo["title_bottom"] <= geo["legend"][0], f"title (to {geo['title_bottom']} px) overlaps the legend {geo['legend']}"
        assert geo["legend"][1] <= fig.layout.margin.t, "the legend overlaps the plot"
    assert geo["source"], "no source line in the image"
    top, bottom, text = geo["source"]
    assert " ".join(text.split()).startswith("Source:")
    assert " ".join(text.split()).removeprefix("Source: ") in slide.source.removeprefix("Source: ") or slide.source.removeprefix("Source: ")[:40] in text
    assert fig.layout.height - fig.layout.margin.b < top and bottom <= PNG_SIZE[1], "the source is under the plot, inside the image"


def _sizes(prs) -> list[tuple[int, str, float]]:
    """Every explicit font size in the deck (slide number, text, points)."""
    found = []
    for k, page in enumerate(prs.slides, start=1):
        for shape in page.shapes:
            if not shape.has_text_frame:
                continue
            for para in shape.text_frame.paragraphs:
                for size in [para.font.size, *(run.font.size for run in para.runs)]:
                    if size is not None:
                        found.append((k, para.text[:40], size.pt))
    return found


def _notes(prs) -> list[str]:
    return [page.notes_slide.notes_text_frame.text if page.has_notes_slide else "" for page in prs.slides]


def test_spx002_pptx_has_speaker_notes_and_no_text_under_14pt(bundled_data, tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    from app import create_app

    client = create_app(source=FixedSource(bundled_data)).server.test_client()
    response = client.get("/spotlight/child-exploitation/export.pptx")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    prs = Presentation(io.BytesIO(response.data))
    sizes = _sizes(prs)
    assert sizes, "the deck sets its font sizes"
    small = [s for s in sizes if s[2] < Pt(14).pt]
    assert small == [], f"text under 14 pt: {small}"
    slides = deck(bundled_data, find_topic(None, bundled_data, "child-exploitation"))
    notes = _notes(prs)
    assert len(notes) == len(slides)
    for note, slide in zip(notes, slides, strict=True):
        assert slide.title in note and slide.source in note, f"slide {slide.title!r}: notes {note!r}"
        if slide.kind == "indicator":
            assert slide.text in note


@pytest.fixture
def store_site(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-" + "x" * 32)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.setup()
    users.create_user(store.engine, EDITOR, PASSWORD, role="editor")
    from app import create_app
    from callbacks.auth import login_csrf_token

    app = create_app(source=StoreSource(store))
    app.server.add_url_rule("/test/csrf", "test_csrf", lambda: login_csrf_token())
    yield app, store
    store.dispose()
    shutil.rmtree(tmp_path / "instance", ignore_errors=True)


def test_spx003_the_presenter_note_is_in_an_editors_pptx_only(store_site):
    app, store = store_site
    save_note(store.engine, "child-exploitation", NOTE, EDITOR)
    anonymous = app.server.test_client()
    public = Presentation(io.BytesIO(anonymous.get("/spotlight/child-exploitation/export.pptx").data))
    assert not any(NOTE in n for n in _notes(public)), "an anonymous download carries the editors' note"

    editor = app.server.test_client()
    token = editor.get("/test/csrf").get_data(as_text=True)
    assert editor.post("/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": token}).status_code == 303
    theirs = Presentation(io.BytesIO(editor.get("/spotlight/child-exploitation/export.pptx").data))
    notes = _notes(theirs)
    assert notes[0].startswith(NOTE)
    assert all(NOTE not in n for n in notes[1:])
