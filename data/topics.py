"""Spotlight topics: what a presenter talks the room through at a partnership meeting.

The report (Priority Two, "What we will do next"): "We will continue to include a
'spotlight topic' at each meeting in response with any emerging trends and themes
identified within the data set."

Topics are data, never layout code: seeded from data/bundled/topics.csv into the
store's `topics` table on first start, then changed by editors in the app
(save_topic). Without a store (a FixedSource app) the CSV is read, read-only.
"Emerging trends" is computed from the data on every request (emerging_trends).

A deck is a list of Slide: a title slide, a headline slide per report sentence,
then a slide per indicator. Plain Python, no Dash: the app, the HTML export and
the .pptx export all draw the same slides.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from data.dataset import BUNDLED, DEFAULT_REPORTING_YEAR, ENGLAND, HOME_AREA, Dataset, read_csv_text
from data.formatting import format_change, format_value, is_missing
from data.status import PENDING, change_direction, indicator_status
from data.store_tables import topic_notes, topics
from data.views import area_totals, breakdown_summary, indicator_rows, is_breakdown, trend_summary, unpublished_reason, values_unpublished

TOPICS_CSV = BUNDLED / "topics.csv"
EMERGING = "emerging-trends"
EMERGING_TITLE = "Emerging trends"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_TITLE, MAX_TEXT, MAX_HEADLINES, MAX_HEADLINE, MAX_INDICATORS, MAX_NOTE = 200, 2000, 10, 500, 40, 2000
_SEED_LOCK = 20240403  # PostgreSQL advisory lock: workers seeding at once


class TopicError(ValueError):
    """A topic or note that cannot be saved; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    introduction: str = ""
    source: str = ""
    headlines: tuple[str, ...] = ()
    indicator_ids: tuple[str, ...] = ()
    position: int = 0
    updated_at: str = ""
    updated_by: str = ""
    computed: bool = False  # Emerging trends: made from the data, not editable


@dataclass(frozen=True)
class Trend:
    indicator_id: str
    change: float
    judgement: str  # worse | better | no judgement | no change
    latest_period: str
    previous_period: str
    latest_value: float
    previous_value: float
    label: str  # "+0.7 percentage points since 2017/18 (worse)"


@dataclass(frozen=True)
class Slide:
    kind: str  # title | headline | indicator
    title: str
    text: str  # the introduction, the report's sentence, or what changed
    source: str
    indicator_id: str = ""
    number: str = ""  # the big number
    number_caption: str = ""  # "York, Q2 23/24"
    change: str = ""  # Emerging trends: the size of the change
    judgement: str = ""
    pending_reason: str | None = None
    reporting_year: str = DEFAULT_REPORTING_YEAR
    items: tuple[tuple[str, str, str], ...] = ()  # Emerging trends' title slide: (name, change, judgement)


# -- reading -----------------------------------------------------------------------

def _split_ids(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split()
    return tuple(dict.fromkeys(v.strip() for v in (value or ()) if v and v.strip()))


def _split_lines(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.splitlines()
    return tuple(v.strip() for v in (value or ()) if v and v.strip())


def _stamp(value) -> str:
    if value is None or value == "":
        return ""
    return value.strftime("%d %B %Y %H:%M") if hasattr(value, "strftime") else str(value)


def read_bundled_topics(path: Path = TOPICS_CSV) -> list[Topic]:
    """The topics of data/bundled/topics.csv (slug, title, introduction, source, headlines, indicator_ids, order)."""
    frame = read_csv_text(path)
    out = [
        Topic(r["slug"], r["title"], r["introduction"], r["source"], _split_lines(r["headlines"]),
              _split_ids(r["indicator_ids"]), int(r["order"] or 0), "", "bundled topics")
        for r in frame.to_dict("records")
    ]
    return sorted(out, key=lambda t: (t.position, t.slug))


def _from_row(row) -> Topic:
    return Topic(row["slug"], row["title"], row["introduction"], row["source"], _split_lines(row["headlines"]),
                 _split_ids(row["indicator_ids"]), int(row["position"]), _stamp(row["updated_at"]), row["updated_by"])


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


# -- writing -----------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(timezone.utc)


def validate_topic(slug: str, title: str, introduction: str, indicator_ids, position, dataset: Dataset, headlines=()) -> list[str]:
    problems = []
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 100:
        problems.append(f"the address name {slug!r} must be lower-case letters, digits and single hyphens")
    elif slug == EMERGING:
        problems.append("Emerging trends is computed from the data and cannot be edited")
    title = (title or "").strip()
    if not title:
        problems.append("the title is empty")
    elif len(title) > MAX_TITLE:
        problems.append(f"the title is longer than {MAX_TITLE} characters")
    if len(introduction or "") > MAX_TEXT:
        problems.append(f"the introduction is longer than {MAX_TEXT} characters")
    ids = _split_ids(indicator_ids)
    unknown = [i for i in ids if not dataset.has_indicator(i)]
    if unknown:
        problems.append("not in the data set: " + ", ".join(unknown))
    if len(ids) > MAX_INDICATORS:
        problems.append(f"more than {MAX_INDICATORS} indicators")
    lines = _split_lines(headlines)
    if len(lines) > MAX_HEADLINES:
        problems.append(f"more than {MAX_HEADLINES} headlines")
    if any(len(h) > MAX_HEADLINE for h in lines):
        problems.append(f"a headline is longer than {MAX_HEADLINE} characters")
    try:
        pos = int(position)
        if not 0 <= pos <= 999:
            raise ValueError
    except (TypeError, ValueError):
        problems.append("the order must be a whole number from 0 to 999")
    return problems


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
        "headlines": "\n".join(_split_lines(headlines)), "indicator_ids": " ".join(_split_ids(indicator_ids)),
        "position": int(position), "updated_at": _now(), "updated_by": user,
    }
    with engine.begin() as conn:
        moved = conn.execute(update(topics).where(topics.c.slug == slug).values(**values)).rowcount
        if not moved:
            try:
                conn.execute(insert(topics).values(slug=slug, **values))
            except IntegrityError:  # pragma: no cover - another editor created it at the same moment
                conn.execute(update(topics).where(topics.c.slug == slug).values(**values))
    return get_topic(engine, slug)


def get_note(engine: Engine | None, slug: str) -> dict | None:
    """{"note", "updated_at", "updated_by"} of the topic's presenter note, or None."""
    if engine is None:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(topic_notes).where(topic_notes.c.slug == slug)).mappings().first()
    if row is None:
        return None
    return {"note": row["note"], "updated_at": _stamp(row["updated_at"]), "updated_by": row["updated_by"]}


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
    if problems:
        raise TopicError(problems)
    with engine.begin() as conn:
        if not note:
            conn.execute(delete(topic_notes).where(topic_notes.c.slug == slug))
            return None
        values = {"note": note, "updated_at": _now(), "updated_by": user}
        if not conn.execute(update(topic_notes).where(topic_notes.c.slug == slug).values(**values)).rowcount:
            conn.execute(insert(topic_notes).values(slug=slug, **values))
    return get_note(engine, slug)


# -- emerging trends ---------------------------------------------------------------

_RANK = {"worse": 0, "better": 1, "no judgement": 2, "no change": 3}


def emerging_trends(dataset: Dataset, n: int = 8, reporting_year: str = DEFAULT_REPORTING_YEAR) -> list[Trend]:
    """Indicators whose latest York value (area total) moved since its previous period.

    Worse first (by each indicator's polarity), then better, then changes with no
    judgement; within each, the larger absolute change first.
    """
    status = indicator_status(dataset, reporting_year)
    moved = status[status["latest_value"].notna() & status["previous_value"].notna() & status["latest_period_end"].notna()]
    trends = []
    for ind_id, st in moved.iterrows():
        ind = dataset.indicator(ind_id)
        delta = float(st["latest_value"] - st["previous_value"])
        judgement = change_direction(delta, ind["polarity"])
        judged = f" ({judgement})" if judgement in ("better", "worse") else ""
        label = f"{format_change(delta, ind['unit'])} since {st['previous_period']}{judged}"
        trends.append(Trend(ind_id, delta, judgement, st["latest_period"], st["previous_period"],
                            float(st["latest_value"]), float(st["previous_value"]), label))
    trends.sort(key=lambda t: (_RANK[t.judgement], -abs(t.change), t.indicator_id))
    return trends[:n]


def emerging_topic(dataset: Dataset, n: int = 8) -> Topic:
    trends = emerging_trends(dataset, n)
    return Topic(
        EMERGING, EMERGING_TITLE,
        "The indicators whose latest York value moved most since its previous period in the data set: "
        "changes for the worse first, then changes for the better, each with the size of its change.",
        "Computed from the data set: York's latest value of each indicator against its previous period",
        (), tuple(t.indicator_id for t in trends), -1, "", "", computed=True,
    )


def all_topics(engine: Engine | None, dataset: Dataset) -> list[Topic]:
    """Emerging trends first, then the stored topics in their order."""
    return [emerging_topic(dataset), *list_topics(engine)]


def find_topic(engine: Engine | None, dataset: Dataset, slug: str) -> Topic | None:
    return emerging_topic(dataset) if slug == EMERGING else get_topic(engine, slug)


# -- slides ------------------------------------------------------------------------

def slide_rows(dataset: Dataset, indicator_id: str) -> pd.DataFrame:
    """The rows a slide's chart and sentence use: York and England, every period."""
    return indicator_rows(dataset, indicator_id, [HOME_AREA, ENGLAND])


def _indicator_slide(dataset: Dataset, ind_id: str, status: pd.DataFrame, reporting_year: str, trend: Trend | None) -> Slide:
    ind = dataset.indicator(ind_id)
    st = status.loc[ind_id]
    rows = slide_rows(dataset, ind_id)
    unit = ind["unit"]
    if values_unpublished(rows):
        text = unpublished_reason(rows)
    elif is_breakdown(rows) and is_missing(st["latest_value"]):
        text = breakdown_summary(rows[rows["area_code"] == HOME_AREA], ind)
    else:
        text = trend_summary(area_totals(rows), ind)
    if is_missing(st["latest_value"]):
        number, caption = "", ("Published as a breakdown: see the chart" if is_breakdown(rows) and not values_unpublished(rows)
                               else "No York figure stated as a number")
    else:
        number = format_value(st["latest_value"], unit)
        when = st["latest_period"] if not pd.isna(st["latest_period_end"]) else "period not stated"
        caption = f"York, {when}"
    sources = list(dict.fromkeys(s for s in rows.loc[rows["value"].notna(), "source"] if s)) or [ind["source"]]
    name = ind["name"]
    return Slide(
        "indicator", name[:1].upper() + name[1:], text, "Source: " + "; ".join(sources), ind_id, number, caption,
        trend.label if trend else "", trend.judgement if trend else "",
        st["pending_reason"] if st["status"] == PENDING else None, reporting_year,
    )


def deck(dataset: Dataset, topic: Topic, reporting_year: str = DEFAULT_REPORTING_YEAR) -> list[Slide]:
    """The topic's slides: title, one per headline, one per indicator in the data set."""
    status = indicator_status(dataset, reporting_year)
    present = [i for i in topic.indicator_ids if dataset.has_indicator(i)]
    trends = {t.indicator_id: t for t in emerging_trends(dataset)} if topic.computed else {}
    intro = topic.introduction
    if not present:
        intro = (intro + " " if intro else "") + "No indicator for this topic is in the data set yet."
    items = ()
    if topic.computed:
        items = tuple(
            (dataset.indicator(i)["name"][:1].upper() + dataset.indicator(i)["name"][1:], trends[i].label, trends[i].judgement)
            for i in present if i in trends
        )
    slides = [Slide("title", topic.title, intro, topic.source or "", items=items, reporting_year=reporting_year)]
    slides += [Slide("headline", topic.title, h, topic.source or "", reporting_year=reporting_year) for h in topic.headlines]
    slides += [_indicator_slide(dataset, i, status, reporting_year, trends.get(i)) for i in present]
    return slides
