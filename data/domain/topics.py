"""Spotlight topics: what a presenter talks the room through at a partnership meeting.

The report (Priority Two, "What we will do next"): "We will continue to include a
'spotlight topic' at each meeting in response with any emerging trends and themes
identified within the data set."

Topics are data, never layout code: seeded from data/bundled/topics.csv into the
store's `topics` table on first start, then changed by editors in the app
(data/storage/topics.py keeps them). Without a store (a FixedSource app) the CSV is read, read-only.
"Emerging trends" is computed from the data on every request (emerging_trends).

A deck is a list of Slide: a title slide, a headline slide per report sentence,
then a slide per indicator. Plain Python, no Dash: the app, the HTML export and
the .pptx export all draw the same slides.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data.domain.dataset import BUNDLED, DEFAULT_REPORTING_YEAR, ENGLAND, HOME_AREA, Dataset, read_csv_text
from data.domain.formatting import display_name, format_change, format_period, format_value, is_missing
from data.domain.status import PENDING, change_direction, indicator_status
from data.domain.views import area_totals, breakdown_summary, indicator_rows, is_breakdown, trend_summary, unpublished_reason, values_unpublished

TOPICS_CSV = BUNDLED / "topics.csv"
EMERGING = "emerging-trends"
EMERGING_TITLE = "Emerging trends"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_TITLE, MAX_TEXT, MAX_HEADLINES, MAX_HEADLINE, MAX_INDICATORS, MAX_NOTE = 200, 2000, 10, 500, 40, 2000


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

def split_ids(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split()
    return tuple(dict.fromkeys(v.strip() for v in (value or ()) if v and v.strip()))


def split_lines(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.splitlines()
    return tuple(v.strip() for v in (value or ()) if v and v.strip())


def stamp(value) -> str:
    if value is None or value == "":
        return ""
    return value.strftime("%d %B %Y %H:%M") if hasattr(value, "strftime") else str(value)


def read_bundled_topics(path: Path = TOPICS_CSV) -> list[Topic]:
    """The topics of data/bundled/topics.csv (slug, title, introduction, source, headlines, indicator_ids, order)."""
    frame = read_csv_text(path)
    out = [
        Topic(r["slug"], r["title"], r["introduction"], r["source"], split_lines(r["headlines"]),
              split_ids(r["indicator_ids"]), int(r["order"] or 0), "", "bundled topics")
        for r in frame.to_dict("records")
    ]
    return sorted(out, key=lambda t: (t.position, t.slug))


# -- writing -----------------------------------------------------------------------


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
    ids = split_ids(indicator_ids)
    unknown = [i for i in ids if not dataset.has_indicator(i)]
    if unknown:
        problems.append("not in the data set: " + ", ".join(unknown))
    if len(ids) > MAX_INDICATORS:
        problems.append(f"more than {MAX_INDICATORS} indicators")
    lines = split_lines(headlines)
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
        ind_id = str(ind_id)
        ind = dataset.indicator(ind_id)
        delta = float(st["latest_value"] - st["previous_value"])
        judgement = change_direction(delta, ind["polarity"])
        judged = f" ({judgement})" if judgement in ("better", "worse") else ""
        label = f"{format_change(delta, ind['unit'])} since {format_period(st['previous_period'])}{judged}"
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
        when: str = format_period(st["latest_period"]) if not pd.isna(st["latest_period_end"]) else "period not stated"
        caption = f"York, {when}"
    sources = list(dict.fromkeys(s for s in rows.loc[rows["value"].notna(), "source"] if s)) or [ind["source"]]
    return Slide(
        "indicator", display_name(ind), text, "Source: " + "; ".join(sources), ind_id, number, caption,
        trend.label if trend else "", trend.judgement if trend else "",
        str(st["pending_reason"]) if st["status"] == PENDING else None, reporting_year,
    )


def deck(dataset: Dataset, topic: Topic, reporting_year: str = DEFAULT_REPORTING_YEAR) -> list[Slide]:
    """The topic's slides: title, one per headline, one per indicator in the data set."""
    status = indicator_status(dataset, reporting_year)
    present = [i for i in topic.indicator_ids if dataset.has_indicator(i)]
    trends = {t.indicator_id: t for t in emerging_trends(dataset)} if topic.computed else {}
    intro = topic.introduction
    if not present:
        intro = (intro + " " if intro else "") + "No indicator for this topic is in the data set yet."
    items: tuple[tuple[str, str, str], ...] = ()
    if topic.computed:
        items = tuple(
            (display_name(dataset.indicator(i)), trends[i].label, trends[i].judgement)
            for i in present if i in trends
        )
    slides = [Slide("title", topic.title, intro, topic.source or "", items=items, reporting_year=reporting_year)]
    slides += [Slide("headline", topic.title, h, topic.source or "", reporting_year=reporting_year) for h in topic.headlines]
    slides += [_indicator_slide(dataset, i, status, reporting_year, trends.get(i)) for i in present]
    return slides
