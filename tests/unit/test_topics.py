"""Spotlight topics (data/domain/topics.py), their store tables on SQLite and PostgreSQL, the exports and the notes guard."""
from __future__ import annotations

import io
import re
import shutil
from itertools import count

import pandas as pd
import pytest
from sqlalchemy import func, inspect, select

from data.domain.dataset import HOME_AREA, build_from_typed
from data.domain.formatting import format_change
from data.domain.schema import INDICATOR_COLUMNS, OBSERVATION_COLUMNS
from data.domain.source import FixedSource
from data.domain.topics import EMERGING, TOPICS_CSV, Topic, TopicError, deck, emerging_trends, read_bundled_topics
from data.storage import users
from data.storage.store import Store, StoreSource
from data.storage.tables import topics as topics_table
from data.storage.topics import all_topics, find_topic, get_note, get_topic, list_topics, save_note, save_topic, seed_topics
from layouts.spotlight import slide_figure

PRIORITIES = {
    "prevention-and-early-help": "Priority One",
    "child-exploitation": "Priority Two",
    "children-missing-from-education": "Priority Three",
    "working-with-fathers": "Priority Four",
    "mental-health-and-wellbeing": "Priority Five",
}
EDITOR, PASSWORD = "editor@example.org", "correct horse battery"
_n = count()


def largest_adverse_change(dataset) -> str:
    """Worked out from the observations and each indicator's polarity, not from data/domain/topics.py."""
    obs = dataset.observations
    york = obs[(obs["area_code"] == HOME_AREA) & (obs["category_type"] == "") & obs["value"].notna() & obs["period_end"].notna()]
    worst, size = None, 0.0
    for ind_id, rows in york.groupby("indicator_id"):
        rows = rows.sort_values(["period_end", "period_start"])
        if len(rows) < 2:
            continue
        delta = rows["value"].iloc[-1] - rows["value"].iloc[-2]
        polarity = dataset.indicator(ind_id)["polarity"]
        adverse = (polarity == "higher is better" and delta < 0) or (polarity == "lower is better" and delta > 0)
        if adverse and abs(delta) > size:
            worst, size = ind_id, abs(delta)
    assert worst is not None, "the data has no adverse change"
    return worst


# -- the bundled topics ---------------------------------------------------------------

def test_spt001_bundled_topics_cover_the_report_and_name_only_known_indicators(bundled):
    topics = read_bundled_topics()
    slugs = [t.slug for t in topics]
    assert set(PRIORITIES) | {"first-1001-days", "learning-and-training"} <= set(slugs)
    assert len(slugs) == len(set(slugs)) and EMERGING not in slugs
    for t in topics:
        unknown = [i for i in t.indicator_ids if not bundled.has_indicator(i)]
        assert not unknown, f"{t.slug}: {unknown}"
        assert t.title and t.introduction and t.source.startswith("Annual Report 2023/24")
        if t.slug in PRIORITIES:
            assert PRIORITIES[t.slug] in t.source, t.slug
    by_slug = {t.slug: t for t in topics}
    assert by_slug["working-with-fathers"].indicator_ids == ()  # the report has no figure for it
    assert by_slug["working-with-fathers"].headlines
    hsb = [i for i in bundled.indicators.index if bundled.indicator(i)["set"] == "Harmful Sexual Behaviour survey"]
    assert set(hsb) <= set(by_slug["child-exploitation"].indicator_ids)
    assert {"nrm-decision-time", "online-safety-production-reach"} <= set(by_slug["child-exploitation"].indicator_ids)
    first = [i for i in bundled.indicators.index if bundled.indicator(i)["set"] == "First 1001 days"]
    assert list(by_slug["first-1001-days"].indicator_ids) == first


def test_spt002_decks_have_a_title_headlines_and_one_slide_per_indicator(bundled):
    for topic in read_bundled_topics():
        slides = deck(bundled, topic)
        assert [s.kind for s in slides] == ["title"] + ["headline"] * len(topic.headlines) + ["indicator"] * len(topic.indicator_ids)
        assert [s.indicator_id for s in slides if s.kind == "indicator"] == list(topic.indicator_ids)
        assert all(s.source for s in slides), topic.slug
    fathers = deck(bundled, find_topic(None, bundled, "working-with-fathers"))
    assert "No indicator for this topic is in the data set yet." in fathers[0].text
    year6 = deck(bundled, Topic("weight", "Weight", indicator_ids=("year6-overweight",)))[1]
    # Its own part of the footnote, overdue against today's date (November 2024 has passed).
    assert year6.pending_reason == bundled.indicator("year6-overweight")["pending_reason"]
    assert "National Child Measurement Programme" in year6.pending_reason and "hospital" not in year6.pending_reason
    assert year6.status_label == "Overdue: expected November 2024"
    assert year6.number == "32.5%" and year6.number_caption == "York, 2022/23: one year older than the reporting year 2023/24"
    assert year6.change.startswith("no change stated: the source changed after 2017/18")


# -- emerging trends ------------------------------------------------------------------

def test_spt003_emerging_trends_rank_evidence_and_never_list_out_of_date_series(bundled):
    from data.domain.status import indicator_status

    status = indicator_status(bundled, "2023/24")
    trends = emerging_trends(bundled)
    assert trends, "the bundled data has comparable changes"
    for t in trends:
        st = status.loc[t.indicator_id]
        assert st["status"] != "out_of_date" and not st["stale"], t.indicator_id
        assert t.label  # each item says why it is there
    # Out-of-date series (latest 2016-2018) never appear, however large their change.
    listed = {t.indicator_id for t in trends}
    assert not listed & {"fingertips-low-income-families", "fingertips-neet-16-17", "fingertips-school-readiness-fsm",
                         "fingertips-self-harm-admissions-10-24-asr", "fingertips-dental-decay-free-5"}
    # No change across a break: the report's 22/23 weight figures after Fingertips' 2017/18 are not changes.
    assert not listed & {"reception-overweight", "year6-overweight"}
    tiers = [{"trend": 0, "england": 0, "change": 1}[t.evidence] for t in trends]
    assert tiers == sorted(tiers)
    changes = [t for t in trends if t.evidence == "change"]
    for group in ("worse", "better"):
        sizes = [t.size for t in changes if t.judgement == group]
        assert sizes == sorted(sizes, reverse=True)
    first = trends[0]
    unit = bundled.indicator(first.indicator_id)["unit"]
    if first.evidence == "change":
        assert first.label.startswith(format_change(first.latest_value - first.previous_value, unit))
    topic = find_topic(None, bundled, EMERGING)
    assert topic.computed and topic.indicator_ids[0] == first.indicator_id
    assert [t.slug for t in all_topics(None, bundled)][0] == EMERGING


def test_spt004_a_new_adverse_value_moves_to_the_top(bundled):
    obs = bundled.observations
    row = obs[(obs["indicator_id"] == "hsb-support-awareness") & (obs["period"] == "June 2023")].copy()
    row["period"], row["value"] = "Sept 2024", 40.0  # 84% -> 40%: higher is better, so worse by 44 points
    changed = build_from_typed(bundled.indicators[list(INDICATOR_COLUMNS)].reset_index(drop=True),
                               pd.concat([obs[list(OBSERVATION_COLUMNS)], row[list(OBSERVATION_COLUMNS)]], ignore_index=True))
    assert largest_adverse_change(changed) == "hsb-support-awareness"
    first = emerging_trends(changed)[0]
    assert (first.indicator_id, first.judgement, first.evidence) == ("hsb-support-awareness", "worse", "change")
    assert first.label == "-44.0 percentage points since June 2023, one year earlier (worse), 52% of the previous value."


def test_spt015_significant_difference_from_england_ranks_before_a_change(bundled):
    """A current value the source states is worse than England outranks any plain change."""
    obs = bundled.observations
    row = obs[(obs["indicator_id"] == "fingertips-self-harm-admissions-10-24-asr") & (obs["period"] == "2017/18")].copy()
    assert row["note"].iloc[0] == "Compared with England: Worse"
    row = row[row["area_code"] == HOME_AREA]
    row["period"] = "2023/24"  # the same real value and stated comparison, dated in the reporting year
    changed = build_from_typed(bundled.indicators[list(INDICATOR_COLUMNS)].reset_index(drop=True),
                               pd.concat([obs[list(OBSERVATION_COLUMNS)], row[list(OBSERVATION_COLUMNS)]], ignore_index=True))
    first = emerging_trends(changed)[0]
    assert (first.indicator_id, first.evidence, first.judgement) == ("fingertips-self-harm-admissions-10-24-asr", "england", "worse")
    assert first.label.startswith("York was significantly worse than England in 2023/24 (as the source states)")


# -- the store ------------------------------------------------------------------------



def test_spt005_migration_adds_the_tables_and_setup_seeds_them_once(store):
    assert {"topics", "topic_notes"} <= set(inspect(store.engine).get_table_names())
    bundled_topics = read_bundled_topics()
    stored = list_topics(store.engine)
    assert [(t.slug, t.title, t.introduction, t.source, t.headlines, t.indicator_ids, t.position) for t in stored] == \
        [(t.slug, t.title, t.introduction, t.source, t.headlines, t.indicator_ids, t.position) for t in bundled_topics]
    store.setup()
    assert seed_topics(store.engine) == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(topics_table)).scalar() == len(bundled_topics)


def test_spt006_editors_change_topics_and_bad_changes_change_nothing(store):
    dataset = store.load_dataset()
    saved = save_topic(store.engine, "child-exploitation", " Exploitation and HSB ", "New intro.",
                       ["nrm-decision-time", "hsb-procedure", "nrm-decision-time"], 0, EDITOR, dataset, headlines="One\n\nTwo")
    assert (saved.title, saved.introduction, saved.indicator_ids, saved.headlines, saved.updated_by) == \
        ("Exploitation and HSB", "New intro.", ("nrm-decision-time", "hsb-procedure"), ("One", "Two"), EDITOR)
    assert saved.source == "Annual Report 2023/24, Priority Two: Child Exploitation"  # kept
    assert list_topics(store.engine)[0].slug == "child-exploitation"  # order 0 is now first
    before = get_topic(store.engine, "child-exploitation")
    for args, words in [
        (("child-exploitation", "T", "", ["no-such-indicator"], 1, EDITOR), "not in the data set: no-such-indicator"),
        (("child-exploitation", "  ", "", [], 1, EDITOR), "the title is empty"),
        (("child-exploitation", "T", "", [], "first", EDITOR), "whole number"),
        ((EMERGING, "T", "", [], 1, EDITOR), "computed from the data"),
        (("Bad Slug!", "T", "", [], 1, EDITOR), "lower-case"),
        (("child-exploitation", "T", "", [], 1, ""), "signed-in editor"),
    ]:
        with pytest.raises(TopicError, match=re.escape(words)):
            save_topic(store.engine, *args, dataset)
    assert get_topic(store.engine, "child-exploitation") == before
    created = save_topic(store.engine, "new-topic", "New", "", "hsb-procedure", 50, EDITOR, dataset)
    assert get_topic(store.engine, "new-topic") == created and list_topics(store.engine)[-1].slug == "new-topic"


def test_spt007_presenter_notes_round_trip(store):
    assert get_note(store.engine, "child-exploitation") is None
    note = save_note(store.engine, "child-exploitation", "  Mention the survey response rate.  ", EDITOR)
    assert note["note"] == "Mention the survey response rate." and note["updated_by"] == EDITOR
    save_note(store.engine, EMERGING, "Start with year 6.", "other@example.org")
    assert get_note(store.engine, EMERGING)["note"] == "Start with year 6."
    save_note(store.engine, "child-exploitation", "Second version", EDITOR)
    assert get_note(store.engine, "child-exploitation")["note"] == "Second version"
    with pytest.raises(TopicError, match="longer than"):
        save_note(store.engine, "child-exploitation", "x" * 2001, EDITOR)
    with pytest.raises(TopicError, match="signed-in editor"):
        save_note(store.engine, "child-exploitation", "anonymous", None)
    assert get_note(store.engine, "child-exploitation")["note"] == "Second version"
    assert save_note(store.engine, "child-exploitation", "", EDITOR) is None
    assert get_note(store.engine, "child-exploitation") is None


def test_spt008_without_a_store_topics_come_from_the_csv_read_only(bundled):
    assert [t.slug for t in list_topics(None)] == [t.slug for t in read_bundled_topics(TOPICS_CSV)]
    assert get_topic(None, "child-exploitation").title == "Child exploitation"
    assert get_note(None, "child-exploitation") is None
    with pytest.raises(TopicError, match="no store"):
        save_topic(None, "child-exploitation", "T", "", [], 1, EDITOR, bundled)
    with pytest.raises(TopicError, match="no store"):
        save_note(None, "child-exploitation", "note", EDITOR)


# -- exports (Flask test client) ----------------------------------------------------------

def test_spt009_html_export_is_one_self_contained_file(client, bundled):
    response = client.get("/spotlight/child-exploitation/export.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "attachment" in response.headers["Content-Disposition"]
    page = response.get_data(as_text=True)
    slides = deck(bundled, find_topic(None, bundled, "child-exploitation"))
    assert page.count('<section class="slide"') == len(slides)
    for s in slides:
        assert s.title.replace("'", "&#x27;") in page
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "an address to fetch"
    assert not re.search(r"url\((?!#)", page), "a CSS url() other than an SVG fragment"
    charted = [s for s in slides if s.kind == "indicator" and slide_figure(bundled, s.indicator_id) is not None]
    assert 0 < len(charted) < len([s for s in slides if s.kind == "indicator"])
    assert page.count("<svg") == len(charted), "a chart is missing (kaleido could not draw it?)"
    # One value is a number, not a chart (issue 13, point 8).
    assert page.count("One value: shown as a number, not a chart.") == len([s for s in slides if s.kind == "indicator"]) - len(charted)
    assert client.get("/spotlight/no-such-topic/export.html").status_code == 404


def test_spt010_png_of_a_slide_chart_and_404_for_a_slide_without_one(client, bundled):
    slides = deck(bundled, find_topic(None, bundled, "child-exploitation"))
    n = next(i for i, s in enumerate(slides, start=1) if s.kind == "indicator" and slide_figure(bundled, s.indicator_id) is not None)
    response = client.get(f"/spotlight/child-exploitation/slide/{n}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    assert Image.open(io.BytesIO(response.data)).size == (1200, 675)
    assert client.get("/spotlight/child-exploitation/slide/1.png").status_code == 404  # the title slide
    assert client.get(f"/spotlight/child-exploitation/slide/{len(slides) + 1}.png").status_code == 404


def test_spt011_pptx_export_has_every_slide(client, bundled):
    from pptx import Presentation

    response = client.get("/spotlight/child-exploitation/export.pptx")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    prs = Presentation(io.BytesIO(response.data))
    slides = deck(bundled, find_topic(None, bundled, "child-exploitation"))
    assert len(prs.slides) == len(slides)
    texts = [" ".join(sh.text_frame.text for sh in page.shapes if sh.has_text_frame) for page in prs.slides]
    for text, s in zip(texts, slides, strict=True):
        assert s.title in text or s.title.upper() in text
    pictures = sum(1 for page in prs.slides for sh in page.shapes if sh.shape_type == 13)
    assert pictures == sum(1 for s in slides if s.kind == "indicator" and slide_figure(bundled, s.indicator_id) is not None)


# -- notes are for editors only -----------------------------------------------------------

@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("spotlight") / "template.db"
    s = Store(f"sqlite:///{path}")
    s.setup()
    users.create_user(s.engine, EDITOR, PASSWORD, role="editor")
    s.dispose()
    return path


@pytest.fixture
def site(template_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-" + "k" * 32)
    db = tmp_path / f"s{next(_n)}.db"
    shutil.copy(template_db, db)
    store = Store(f"sqlite:///{db}")
    from app import create_app
    from callbacks.auth import login_csrf_token

    app = create_app(source=StoreSource(store))
    app.server.add_url_rule("/test/csrf", "test_csrf", lambda: login_csrf_token())
    return app, store


def _signed_in(app):
    client = app.server.test_client()
    token = client.get("/test/csrf").get_data(as_text=True)
    assert client.post("/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": token}).status_code == 303
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"  # as a browser sends with every POST from the page
    return client


def _note_request(text: str) -> dict:
    return {
        "output": "notes-status.children", "outputs": {"id": "notes-status", "property": "children"},
        "inputs": [{"id": "notes-save", "property": "n_clicks", "value": 1}],
        "state": [{"id": "notes-text", "property": "value", "value": text},
                  {"id": "spotlight-deck-meta", "property": "data", "value": {"slug": "child-exploitation"}}],
        "changedPropIds": ["notes-save.n_clicks"],
    }


def _page(client, path: str) -> str:
    body = {"output": "..page-content.children...data-updated.children..",
            "outputs": [{"id": "page-content", "property": "children"}, {"id": "data-updated", "property": "children"}],
            "inputs": [{"id": "url", "property": "pathname", "value": path}],
            "state": [{"id": "url", "property": "search", "value": ""}], "changedPropIds": ["url.pathname"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    return response.get_data(as_text=True).replace("\\u002f", "/")  # Dash escapes "/" in JSON


def test_spt012_only_an_editor_keeps_a_presenter_note(site):
    app, store = site
    anonymous = app.server.test_client()
    refused = anonymous.post("/_dash-update-component", json=_note_request("from anonymous"))
    assert refused.status_code == 403 and refused.get_json() == {"error": "sign in as an editor"}
    assert get_note(store.engine, "child-exploitation") is None
    assert "notes-text" not in _page(anonymous, "/spotlight/child-exploitation")

    editor = _signed_in(app)
    assert "notes-text" in _page(editor, "/spotlight/child-exploitation")
    response = editor.post("/_dash-update-component", json=_note_request("Ask about the Hackett model."))
    assert response.status_code == 200 and "Saved by editor@example.org" in response.get_data(as_text=True)
    assert get_note(store.engine, "child-exploitation")["note"] == "Ask about the Hackett model."
    assert "Ask about the Hackett model." in _page(editor, "/spotlight/child-exploitation")
    assert "Ask about the Hackett model." not in _page(anonymous, "/spotlight/child-exploitation")
    # The topic edit form is guarded the same way.
    edit = {"output": "notes-topic-status.children", "outputs": {"id": "notes-topic-status", "property": "children"},
            "inputs": [{"id": "notes-topic-save", "property": "n_clicks", "value": 1}],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in [
                ("notes-topic-title", "value", "Exploitation"), ("notes-topic-introduction", "value", "Intro"),
                ("notes-topic-headlines", "value", "Only headline"), ("notes-topic-indicators", "value", ["nrm-decision-time"]),
                ("notes-topic-order", "value", 3), ("spotlight-deck-meta", "data", {"slug": "child-exploitation"})]],
            "changedPropIds": ["notes-topic-save.n_clicks"]}
    assert anonymous.post("/_dash-update-component", json=edit).status_code == 403
    assert get_topic(store.engine, "child-exploitation").title == "Child exploitation"
    response = editor.post("/_dash-update-component", json=edit)
    assert response.status_code == 200 and "Saved by editor@example.org" in response.get_data(as_text=True)
    changed = get_topic(store.engine, "child-exploitation")
    assert (changed.title, changed.headlines, changed.indicator_ids, changed.position) == ("Exploitation", ("Only headline",), ("nrm-decision-time",), 3)
    edit["state"][3]["value"] = ["no-such-indicator"]
    assert "not in the data set: no-such-indicator" in editor.post("/_dash-update-component", json=edit).get_data(as_text=True)
    assert get_topic(store.engine, "child-exploitation") == changed


def test_spt013_fixed_data_app_lists_topics_and_shows_no_notes(client_for, bundled):
    client = client_for(bundled)
    listing = _page(client, "/spotlight")
    for topic in read_bundled_topics():
        assert f"/spotlight/{topic.slug}" in listing
    assert "/spotlight/emerging-trends" in listing
    assert "notes-text" not in _page(client, "/spotlight/child-exploitation")
    assert "Topic not found" in _page(client, "/spotlight/no-such-topic")
    assert FixedSource(bundled).current() is bundled


def test_spt014_a_slide_time_axis_keeps_its_labels_legible(bundled):
    from layouts.spotlight import MAX_SLIDE_TICKS, slide_figure

    fig = slide_figure(bundled, "year6-overweight")  # 13 periods: every label would overlap at 20 px
    axis = fig.layout.xaxis
    assert 2 <= len(axis.tickvals) <= MAX_SLIDE_TICKS and len(axis.ticktext) == len(axis.tickvals)
    assert axis.ticktext[0] == "2006/07"  # the first period is still labelled
    shown = {label for trace in fig.data for label in trace.customdata if label}
    assert set(axis.ticktext) <= shown  # only real period labels, each at its own point
