"""Small building blocks shared by pages: badges, tables, the about panel."""
from __future__ import annotations

import re

import pandas as pd
from dash import html

from data.domain.formatting import as_worded, format_value, period_with_published
from data.domain.significance import METHOD
from data.domain.status import OUT_OF_DATE, OVERDUE


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def pending_badge(reporting_year: str) -> html.Strong:
    # Text, not colour alone: the word "Pending" carries the meaning.
    return html.Strong(f"Pending {reporting_year}", className="badge-pending")


def status_block(status_row: pd.Series, reporting_year: str, id_prefix: str) -> html.Div | None:
    """The pending or overdue badge and the indicator's own reason in visible text (never only in a tooltip)."""
    if status_row["status"] == OUT_OF_DATE and isinstance(status_row["latest_period"], str) and status_row["age_text"]:
        return html.Div([html.Strong("Out of date", className="badge-stale"), " ",
                         html.Span(f"The latest York value ({status_row['latest_period']}) is {status_row['age_text']}.",
                                   id=f"{id_prefix}-age", className="pending-reason")], className="pending-block")
    if not status_row["pending"]:
        return None
    badge = html.Strong(status_row["status_label"], className="badge-pending" + (" badge-overdue" if status_row["status"] == OVERDUE else ""))
    return html.Div(
        [badge, " ", html.Span(status_row["pending_reason"], id=f"{id_prefix}-pending-reason", className="pending-reason")],
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


def _cell(value, unit: str) -> str:
    return "" if value is None or pd.isna(value) else format_value(value, unit)


def _whole(value) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):,.0f}" if float(value).is_integer() else f"{float(value):,}"


def measure_columns(rows: pd.DataFrame, unit: str) -> dict[str, list[str]]:
    """The table columns of a value with what the data has beside it: "Value", then "95% CI" (lower to
    upper), "Count" and "Denominator" when any row has them (a column nobody has is left out)."""
    out = {"Value": ["no value" if v is None or pd.isna(v) else format_value(v, unit) for v in rows["value"]]}
    lower, upper = rows.get("lower_ci"), rows.get("upper_ci")
    if lower is not None and upper is not None and (lower.notna() & upper.notna()).any():
        out["95% CI"] = [f"{_cell(lo, unit)} to {_cell(hi, unit)}" if not (pd.isna(lo) or pd.isna(hi)) else ""
                         for lo, hi in zip(lower, upper, strict=True)]
    for col, title in (("count", "Count"), ("denominator", "Denominator")):
        if col in rows and rows[col].notna().any():
            out[title] = [_whole(v) for v in rows[col]]
    return out


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
                      f"{indicator['fingertips_id']}. Values from different sources (a Fingertips extract, the report) are separate "
                      "series: the chart breaks the line where the source changes, and no change is stated across the break."))
    if status_row is not None:
        items.append((f"Status for {reporting_year}", status_row["status_reason"]))
        if status_row["age_text"]:
            items.append(("Age of the latest value", f"York's latest value ({status_row['latest_period']}) is {status_row['age_text']}."))
        change = status_row["change_text"] or (status_row["change_note"][:1].upper() + status_row["change_note"][1:] if status_row["change_note"] else "")
        if change:
            items.append(("Change", change))
        if status_row["comparison_basis"]:
            items.append(("Compared with England", status_row["comparison_text"]))
        if status_row["trend_text"]:
            items.append(("Trend", status_row["trend_text"]))
    items.append(("How comparisons are made", METHOD))
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
