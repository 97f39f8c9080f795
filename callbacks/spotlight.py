"""Spotlight: the pages (built by routing), slide changes in the browser, and the editors' saves.

Slide changes never reach the server: assets/zz-app/spotlight.js moves ?slide=N on key
presses and button clicks, and a clientside callback shows that slide. Notes and topic
edits are guarded twice: their output ids start with "notes-" (refused before Dash runs
them unless an editor is signed in, callbacks/auth.py) and they check current_editor().
"""
from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, html

from callbacks.auth import current_editor
from callbacks.context import current_dataset, current_store
from data.domain.topics import TopicError, deck
from data.storage.topics import all_topics, find_topic, get_note, save_note, save_topic
from layouts import ids
from layouts.spotlight import deck_page, edit_panel, not_found, notes_panel, slide_figure, slide_number, topics_page


def _engine():
    store = current_store()
    return store.engine if store is not None else None


def deck_figures(dataset, slides) -> list:
    return [slide_figure(dataset, s.indicator_id) if s.kind == "indicator" else None for s in slides]


def spotlight_page(path: str, search: str | None):
    """/spotlight: the topic list; /spotlight/<slug>: that topic's deck (?slide=N)."""
    dataset, engine = current_dataset(), _engine()
    if path == "/spotlight":
        topics = all_topics(engine, dataset)
        return topics_page(topics, {t.slug: len(deck(dataset, t)) for t in topics})
    slug = path.removeprefix("/spotlight/")
    topic = find_topic(engine, dataset, slug) if "/" not in slug else None
    if topic is None:
        return not_found(slug)
    slides = deck(dataset, topic)
    panels = []
    if engine is not None and current_editor():
        panels = [notes_panel(get_note(engine, topic.slug)), edit_panel(topic, dataset)]
    return deck_page(topic, slides, deck_figures(dataset, slides), slide_number(search, len(slides)), panels)


def _problems(exc: TopicError) -> list:
    return ["Not saved: ", html.Ul([html.Li(p) for p in exc.problems])]


def save_note_clicked(n_clicks, text, meta):
    editor = current_editor()
    if not n_clicks or not editor:  # the guard refuses anonymous requests; this is the second check
        return "Sign in as an editor to keep a note."
    try:
        note = save_note(_engine(), (meta or {}).get("slug"), text, editor)
    except TopicError as exc:
        return _problems(exc)
    return f"Saved by {note['updated_by']}, {note['updated_at']} UTC." if note else "Note removed."


def save_topic_clicked(n_clicks, title, introduction, headlines, indicator_ids, order, meta):
    editor = current_editor()
    if not n_clicks or not editor:
        return "Sign in as an editor to change a topic."
    slug = (meta or {}).get("slug")
    try:
        topic = save_topic(_engine(), slug, title, introduction, indicator_ids or [], order, editor, current_dataset(), headlines=headlines or "")
    except TopicError as exc:
        return _problems(exc)
    return [f"Saved by {topic.updated_by}, {topic.updated_at} UTC. ", html.A("Show the updated deck", href=f"/spotlight/{topic.slug}"), "."]


def register(app) -> None:
    app.clientside_callback(
        ClientsideFunction("spotlight", "show"),
        Output({"type": ids.SP_SLIDE, "index": ALL}, "className"),
        Output(ids.SP_COUNTER_VALUE, "children"),
        Output(ids.SP_PREV, "disabled"),
        Output(ids.SP_NEXT, "disabled"),
        Output(ids.SP_PNG, "href"),
        Output(ids.SP_PNG, "className"),
        Input(ids.SP_URL, "search"),
        State(ids.SP_META, "data"),
        State({"type": ids.SP_SLIDE, "index": ALL}, "className"),
        State(ids.SP_PNG, "className"),
    )
    app.clientside_callback(
        ClientsideFunction("spotlight", "fullscreen"),
        Output(ids.SP_FULLSCREEN_STATE, "data"),
        Input(ids.SP_FULLSCREEN, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("spotlight", "print"),
        Output(ids.SP_PRINT_STATE, "data"),
        Input(ids.SP_PRINT, "n_clicks"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.NOTES_STATUS, "children"),
        Input(ids.NOTES_SAVE, "n_clicks"),
        State(ids.NOTES_TEXT, "value"),
        State(ids.SP_META, "data"),
        prevent_initial_call=True,
    )(save_note_clicked)
    app.callback(
        Output(ids.NOTES_TOPIC_STATUS, "children"),
        Input(ids.NOTES_TOPIC_SAVE, "n_clicks"),
        State(ids.NOTES_TOPIC_TITLE, "value"),
        State(ids.NOTES_TOPIC_INTRO, "value"),
        State(ids.NOTES_TOPIC_HEADLINES, "value"),
        State(ids.NOTES_TOPIC_INDICATORS, "value"),
        State(ids.NOTES_TOPIC_ORDER, "value"),
        State(ids.SP_META, "data"),
        prevent_initial_call=True,
    )(save_topic_clicked)
