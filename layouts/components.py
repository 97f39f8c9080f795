"""Small building blocks shared by pages: badges, tables, the about panel."""
from __future__ import annotations

import re

import pandas as pd
from dash import html

from data.domain.formatting import as_worded, period_with_published
from data.domain.status import PENDING


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def pending_badge(reporting_year: str) -> html.Strong:
    # Text, not colour alone: the word "Pending" carries the meaning.
    return html.Strong(f"Pending {reporting_year}", className="badge-pending")


def status_block(status_row: pd.Series, reporting_year: str, id_prefix: str) -> html.Div | None:
    """The pending badge and its reason in visible text (never only in a tooltip)."""
    if status_row["status"] != PENDING:
        return None
    return html.Div(
        [pending_badge(reporting_year), " ", html.Span(status_row["pending_reason"], id=f"{id_prefix}-pending-reason", className="pending-reason")],
        className="pending-block",
    )


def data_table(frame: pd.DataFrame, caption: str, row_header: str | None = None) -> html.Table:
    """An accessible HTML table: a caption, column headers with scope, and an optional row header column."""
    head = html.Thead(html.Tr([html.Th(col, scope="col") for col in frame.columns]))
    body = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, val in zip(frame.columns, rec, strict=True):
            text = "" if val is None or (isinstance(val, float) and pd.isna(val)) else str(val)
            cells.append(html.Th(text, scope="row") if col == row_header else html.Td(text))
        body.append(html.Tr(cells))
    return html.Table([html.Caption(caption), head, html.Tbody(body)], className="table table-sm data-table")


def details(summary: str, children, class_name: str = "") -> html.Details:
    """A native disclosure: keyboard and screen-reader support come with the element."""
    return html.Details([html.Summary(summary), html.Div(children, className="details-body")], className=f"disclosure {class_name}".strip())


def about_panel(indicator: pd.Series, rows: pd.DataFrame, status_row: pd.Series | None, reporting_year: str) -> html.Details:
    sources = list(dict.fromkeys(rows["source"])) or [indicator["source"]]
    periods = list(dict.fromkeys(rows["period"]))
    notes = [indicator["note"]] if indicator["note"] else []
    notes += [n for n in dict.fromkeys(rows["note"]) if n and not n.startswith("Compared with England")]
    items = [
        ("Definition", indicator["definition"] or indicator["name"]),
        ("As the report words it" if indicator["source"].startswith("Annual Report") else "As the source words it", as_worded(indicator)),
        ("Unit", indicator["unit"]),
        ("Polarity", indicator["polarity"]),
        ("Periods shown", ", ".join(period_with_published(p) for p in periods) if periods else "none in the chosen years"),
        ("Sources", sources),
    ]
    if indicator["fingertips_id"]:
        items.append(("Fingertips indicator",
                      f"{indicator['fingertips_id']}: its history is joined to the report's figure because the definitions are the same."))
    if status_row is not None:
        items.append((f"Status for {reporting_year}", status_row["status_reason"]))
    if notes:
        items.append(("Notes", notes))
    dl = []
    for term, desc in items:
        dl.append(html.Dt(term))
        if isinstance(desc, list):
            dl.append(html.Dd(html.Ul([html.Li(d) for d in desc])))
        else:
            dl.append(html.Dd(desc))
    return details("About this data", html.Dl(dl, className="about-list"), "about-panel")
