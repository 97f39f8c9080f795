"""Spotlight topics in the store: the `topics` and `topic_notes` tables, read and written.

The topics themselves, their checks and their decks are data/domain/topics.py."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from data.domain.dataset import Dataset
from data.domain.topics import (
    EMERGING,
    MAX_NOTE,
    SLUG_RE,
    TOPICS_CSV,
    Topic,
    TopicError,
    emerging_topic,
    read_bundled_topics,
    split_ids,
    split_lines,
    stamp,
    validate_topic,
)
from data.storage.tables import topic_notes, topics

_SEED_LOCK = 20240403  # PostgreSQL advisory lock: workers seeding at once


def _from_row(row) -> Topic:
    return Topic(row["slug"], row["title"], row["introduction"], row["source"], split_lines(row["headlines"]),
                 split_ids(row["indicator_ids"]), int(row["position"]), stamp(row["updated_at"]), row["updated_by"])


def list_topics(engine: Engine | None) -> list[Topic]:
    """Stored topics in their order (the bundled CSV when there is no store)."""
    if engine is None:
        return read_bundled_topics()
    with engine.connect() as conn:
        rows = conn.execute(select(topics).order_by(topics.c.position, topics.c.slug)).mappings().all()
    return [_from_row(r) for r in rows]


def get_topic(engine: Engine | None, slug: str) -> Topic | None:
    if engine is None:
        return next((t for t in read_bundled_topics() if t.slug == slug), None)
    with engine.connect() as conn:
        row = conn.execute(select(topics).where(topics.c.slug == slug)).mappings().first()
    return _from_row(row) if row else None


def seed_topics(engine: Engine, path: Path = TOPICS_CSV) -> int:
    """On an empty `topics` table, insert the bundled topics; returns how many were added (0 on later starts)."""
    bundled = read_bundled_topics(path)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SEED_LOCK})")
        if conn.execute(select(func.count()).select_from(topics)).scalar():
            return 0
        now = _now()
        conn.execute(insert(topics), [
            {"slug": t.slug, "title": t.title, "introduction": t.introduction, "source": t.source,
             "headlines": "\n".join(t.headlines), "indicator_ids": " ".join(t.indicator_ids),
             "position": t.position, "updated_at": now, "updated_by": "bundled topics"}
            for t in bundled
        ])
    return len(bundled)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def save_topic(engine: Engine | None, slug: str, title: str, introduction: str, indicator_ids, position, user: str,
               dataset: Dataset, headlines=None, source: str | None = None) -> Topic:
    """Create or change a topic; indicator ids must be in `dataset`. TopicError lists what is wrong."""
    if engine is None:
        raise TopicError(["this app serves fixed data: it has no store to keep topics in"])
    existing = get_topic(engine, slug) if isinstance(slug, str) else None
    headlines = existing.headlines if headlines is None and existing else (headlines or ())
    problems = validate_topic(slug, title, introduction, indicator_ids, position, dataset, headlines)
    if not user:
        problems.append("only a signed-in editor can change a topic")
    if problems:
        raise TopicError(problems)
    values = {
        "title": title.strip(), "introduction": (introduction or "").strip(),
        "source": (existing.source if existing and source is None else (source or "")).strip(),
        "headlines": "\n".join(split_lines(headlines)), "indicator_ids": " ".join(split_ids(indicator_ids)),
        "position": int(position), "updated_at": _now(), "updated_by": user,
    }
    with engine.begin() as conn:
        moved = conn.execute(update(topics).where(topics.c.slug == slug).values(**values)).rowcount
        if not moved:
            try:
                conn.execute(insert(topics).values(slug=slug, **values))
            except IntegrityError:  # pragma: no cover - another editor created it at the same moment
                conn.execute(update(topics).where(topics.c.slug == slug).values(**values))
    saved = get_topic(engine, slug)
    assert saved is not None  # just written
    return saved


def get_note(engine: Engine | None, slug: str) -> dict | None:
    """{"note", "updated_at", "updated_by"} of the topic's presenter note, or None."""
    if engine is None:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(topic_notes).where(topic_notes.c.slug == slug)).mappings().first()
    if row is None:
        return None
    return {"note": row["note"], "updated_at": stamp(row["updated_at"]), "updated_by": row["updated_by"]}


def save_note(engine: Engine | None, slug: str, note: str, user: str) -> dict | None:
    """Keep (or, when empty, remove) the presenter note of a topic; TopicError when it cannot be kept."""
    problems = []
    if engine is None:
        problems.append("this app serves fixed data: it has no store to keep notes in")
    if not user:
        problems.append("only a signed-in editor can keep a presenter note")
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 100:
        problems.append("unknown topic")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        problems.append(f"the note is longer than {MAX_NOTE} characters")
    if problems or engine is None:
        raise TopicError(problems)
    with engine.begin() as conn:
        if not note:
            conn.execute(delete(topic_notes).where(topic_notes.c.slug == slug))
            return None
        values = {"note": note, "updated_at": _now(), "updated_by": user}
        if not conn.execute(update(topic_notes).where(topic_notes.c.slug == slug).values(**values)).rowcount:
            conn.execute(insert(topic_notes).values(slug=slug, **values))
    return get_note(engine, slug)


def all_topics(engine: Engine | None, dataset: Dataset) -> list[Topic]:
    """Emerging trends first, then the stored topics in their order."""
    return [emerging_topic(dataset), *list_topics(engine)]


def find_topic(engine: Engine | None, dataset: Dataset, slug: str) -> Topic | None:
    return emerging_topic(dataset) if slug == EMERGING else get_topic(engine, slug)

