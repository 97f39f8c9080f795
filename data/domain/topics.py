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
from data.domain.formatting import display_name, format_period, format_value, is_missing
from data.domain.significance import BETTER, NO_CHANGE, WORSE
from data.domain.status import OUT_OF_DATE, indicator_status
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
    """One emerging-trends item: an indicator with evidence, and why it is on the list."""

    indicator_id: str
    change: float | None  # the comparable change, if any
    judgement: str  # worse | better | no judgement | no change
    latest_period: str
    previous_period: str
    latest_value: float
    previous_value: float | None
    label: str  # why it is here: "Significantly worse than England in 2017/18 ...; +4 percentage points since ..."
    evidence: str = ""  # trend | england | change: what put it on the list
    size: float = 0.0  # the change relative to its previous value (unit-free), for ranking


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
    status_label: str = ""  # "Overdue: expected November 2024", "Pending 2023/24", "Out of date" (words, not colour)
    england: str = ""  # England's value and the comparison, in words
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
_TIERS = {"trend": 0, "england": 0, "change": 1}


def emerging_trends(dataset: Dataset, n: int = 8, reporting_year: str = DEFAULT_REPORTING_YEAR) -> list[Trend]:
    """Indicators whose latest York value is not out of date and shows evidence of a movement, with why.

    First, significant evidence: a significant trend (chi-squared test for trend) or a significant
    difference from England (stated by the source or by the 95% confidence interval); worse before
    better. Then comparable changes (the previous value of the same source), the largest relative to
    its previous value first (unit-free, so a rate and a percentage rank fairly). A series whose latest
    value is out of date never appears, and no change is counted across a break in source.
    """
    status = indicator_status(dataset, reporting_year)
    usable = status[(status["status"] != OUT_OF_DATE) & ~status["stale"] & status["latest_value"].notna()
                    & status["latest_period_end"].notna()]
    trends = []
    for ind_id, st in usable.iterrows():
        item = _evidence(str(ind_id), st)
        if item is not None:
            trends.append(item)
    trends.sort(key=lambda t: (_TIERS[t.evidence], _RANK[t.judgement], -t.size, t.indicator_id))
    return trends[:n]


def _evidence(ind_id: str, st: pd.Series) -> Trend | None:
    reasons, evidence, judgement = [], "", "no judgement"
    if st["trend"] and st["trend"] != NO_CHANGE:
        reasons.append(st["trend_text"].rstrip("."))
        evidence, judgement = "trend", st["trend_judgement"] or "no judgement"
    if st["comparison"] in (BETTER, WORSE) or st["comparison"] in ("Higher", "Lower"):
        reasons.append(st["comparison_text"].rstrip("."))
        if not evidence:
            evidence = "england"
            judgement = {BETTER: "better", WORSE: "worse"}.get(st["comparison"], "no judgement")
    has_change = not pd.isna(st["change"])
    if has_change:
        rel = st["change_relative"]
        size = "" if pd.isna(rel) else f", {abs(rel) * 100:.0f}% of the previous value"
        reasons.append(f"{st['change_text']}{size}")
        if not evidence:
            evidence, judgement = "change", st["change_judgement"] or "no judgement"
    if not evidence:
        return None
    rel = st["change_relative"]
    return Trend(
        ind_id, None if not has_change else float(st["change"]), judgement, st["latest_period"],
        st["previous_period"] or "", float(st["latest_value"]),
        None if pd.isna(st["previous_value"]) else float(st["previous_value"]),
        "; ".join(reasons) + ".", evidence, 0.0 if pd.isna(rel) else abs(float(rel)),
    )


def emerging_topic(dataset: Dataset, n: int = 8) -> Topic:
    trends = emerging_trends(dataset, n)
    return Topic(
        EMERGING, EMERGING_TITLE,
        "Indicators whose latest York value is not out of date and shows evidence of a movement: a significant "
        "trend or a significant difference from England first (worse before better), then the largest changes "
        "since the previous value from the same source, measured against that value. Each item says why it is here.",
        "Computed from the data set: York's latest value of each indicator, its comparison with England and its "
        "change since the previous comparable value",
        (), tuple(t.indicator_id for t in trends), -1, "", "", computed=True,
    )


# -- slides ------------------------------------------------------------------------

def slide_rows(dataset: Dataset, indicator_id: str) -> pd.DataFrame:
    """The rows a slide's chart and sentence use: York and England, every period."""
    return indicator_rows(dataset, indicator_id, [HOME_AREA, ENGLAND])


def _indicator_slide(dataset: Dataset, ind_id: str, status: pd.DataFrame, reporting_year: str, trend: Trend | None) -> Slide:
    ind = dataset.indicator(ind_id)
    st: pd.Series = status.loc[ind_id]  # type: ignore[assignment]  # ids are unique
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
        dated = not pd.isna(st["latest_period_end"])
        when = format_period(st["latest_period"]) if dated else "period not stated"
        caption = f"York, {when}"
        if dated and st["age_years"] and st["age_years"] > 0:
            caption += f": {st['age_text']}"
    sources = list(dict.fromkeys(s for s in rows.loc[rows["value"].notna(), "source"] if s)) or [ind["source"]]
    change = trend.label if trend else str(st["change_text"] or (st["change_note"] if st["change_note"].startswith("no change") else ""))
    judgement = trend.judgement if trend else str(st["change_judgement"] or "")
    label = str(st["status_label"]) if st["status"] in ("pending", "overdue", "out_of_date") else ""
    reason = str(st["pending_reason"]) if st["pending"] else None
    return Slide(
        "indicator", display_name(ind), text, "Source: " + "; ".join(sources), ind_id, number, caption,
        change, judgement, reason, reporting_year,
        status_label=label, england=england_words(st, unit),
    )


def england_words(st: pd.Series, unit: str) -> str:
    """England's value for York's latest period and the comparison, in words ("" when neither is known)."""
    if is_missing(st["latest_value"]) or pd.isna(st["latest_period_end"]):
        return ""
    parts = []
    if not is_missing(st["england_value"]):
        parts.append(f"England {format_value(st['england_value'], unit)} in {format_period(st['latest_period'])}.")
    if st["comparison_basis"]:
        parts.append(st["comparison_text"])
    return " ".join(parts)


def deck(dataset: Dataset, topic: Topic, reporting_year: str = DEFAULT_REPORTING_YEAR) -> list[Slide]:
    """The topic's slides: title, one per headline, one per indicator in the data set."""
    status = indicator_status(dataset, reporting_year)
    present = [i for i in topic.indicator_ids if dataset.has_indicator(i)]
    trends = {t.indicator_id: t for t in emerging_trends(dataset, reporting_year=reporting_year)} if topic.computed else {}
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
