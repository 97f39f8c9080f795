"""The upload page (file form, progress, preview) and the version history page."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from data.ingest.indicator_choices import FIELDS, LABELS, OPTIONS, describe
from data.ingest.upload_jobs import INVALID, READY, STAGE_LABELS
from layouts import ids
from layouts.components import data_table
from layouts.fetch import fetch_form


def sign_in_prompt(path: str) -> html.Div:
    return html.Div([
        html.H1("Sign in needed"),
        html.P(["Viewing the dashboard is open to everyone; changing its data needs an editor. ",
                html.A("Sign in as an editor", href=f"/login?next={path}"), "."]),
    ])


def upload_page(job_id: str | None, error: str | None, csrf_token: str) -> html.Div:
    children = [
        html.H1("Upload new data"),
        html.P("Add or update figures from the partnership's template or a Fingertips \"Download data\" CSV. "
               "The file is checked first: you see what would change before anything is published, and every "
               "publish can be rolled back from the version history.", className="lead"),
        html.Ul([
            html.Li(["Our template (CSV or Excel): ", html.A("download the template", href="/upload/template.csv"),
                     " (its example rows come from the Annual Report 2023/24)."]),
            html.Li("A Fingertips download (26 or 27 columns): every area in it is kept; deprivation and other "
                    "category rows stay categories."),
            html.Li("UTF-8 or Windows-1252; \"8.1%\" and \"1,150\" are read as numbers."),
        ]),
    ]
    if error == "nofile":
        children.append(html.P("Choose a file first.", className="error-message", role="alert"))
    children.append(html.Form(
        [
            html.Label("File to check", htmlFor="upload-file", className="form-label"),
            _hidden("csrf_token", csrf_token),
            # Dash has no file <input>; assets/zz-app/file-input.js puts a native one in this slot.
            html.Div(id="upload-file-slot", className="mb-3", **{"data-name": "file", "data-accept": ".csv,.xlsx,text/csv"}),
            html.Button("Check the file", type="submit", className="btn btn-primary"),
        ],
        method="POST", action="/upload/start", encType="multipart/form-data", className="upload-form",
    ))
    children.append(fetch_form(csrf_token))  # Fetch from Fingertips (layouts/fetch.py)
    if job_id:
        children.append(html.Section([
            html.H2("Your file"),
            dcc.Store(id=ids.UP_JOB, data=job_id),
            dcc.Interval(id=ids.UP_POLL, interval=700, n_intervals=0),
            html.Div(id=ids.UP_PROGRESS, role="status"),
            html.Div(id=ids.UP_PREVIEW),
            html.Div(id=ids.UP_CHOOSE_RESULT, role="status"),
            html.Button("Publish", id=ids.UP_PUBLISH, className="btn btn-primary", hidden=True, n_clicks=0),
            html.Div(id=ids.UP_PUBLISH_RESULT, role="status"),
        ], className="upload-job"))
    children.append(html.P(html.A("Version history and rollback", href="/versions")))
    return html.Div(children)


def _hidden(name: str, value: str):
    # Dash's html has no <input>; dcc.Input renders one and submits with the form by its name.
    return dcc.Input(type="hidden", name=name, value=value)


def progress_view(job: dict) -> list:
    label = STAGE_LABELS.get(job["stage"], job["stage"])
    pct = int(round(100 * float(job.get("progress") or 0)))
    children = [html.P([html.Strong(label), f" ({job['file_name']})"])]
    if job["stage"] not in (READY, INVALID, "published", "failed"):
        children.append(html.Progress(value=str(pct), max="100", **{"aria-label": f"{label}: {pct}%"}))
    return children


def preview_view(job: dict, current_version: int | None, catalogue: list[tuple[str, str]] | None = None) -> list:
    """The preview of a finished job. catalogue: (id, name) of every catalogue indicator, the
    choices a new indicator may be mapped onto."""
    if job["stage"] in (INVALID, "failed"):
        errors = pd.DataFrame(job["errors"] or [], columns=["row", "column", "message"]).fillna("")
        errors.columns = ["Row", "Column", "Problem"]
        return [
            html.P("Nothing was changed. Fix these problems and upload the file again.", className="error-message", role="alert"),
            data_table(errors.astype(str), f"Problems found in {job['file_name']}"),
        ]
    summary = job.get("summary")
    if not summary:
        return []
    counts = pd.DataFrame({
        "What": ["Rows in the file", "Rows added", "Values changed", "Unchanged", "New indicators", "Pending flags cleared"],
        "Number": [summary.get("rows", ""), summary["added"], summary["changed"], summary["unchanged"],
                   len(summary["new_indicators"]), len(summary["pending_cleared"])],
    }).astype(str)
    out = [data_table(counts, "What publishing this file would change", row_header="What")]
    if summary["changes"]:
        changes = pd.DataFrame(summary["changes"])
        changes = changes.rename(columns={"indicator_id": "Indicator", "area_code": "Area", "period": "Period",
                                          "category": "Category", "old": "Old value", "new": "New value"})
        out.append(data_table(changes.astype(str), "Values that would change (old to new), first 50"))
    out += _matched(summary.get("matched") or [])
    if summary["new_indicators"]:
        out.append(html.P(["New indicators: ", ", ".join(summary["new_indicators"])]))
    if summary["pending_cleared"]:
        names = summary.get("pending_cleared_names") or {}
        out.append(html.Div([
            html.P(["Pending flags that would clear: ", ", ".join(summary["pending_cleared"])]),
            html.Ul([html.Li(f"{i}: {names[i]} gets a value for the reporting year it was expected for") for i in summary["pending_cleared"] if i in names]),
        ], className="pending-cleared"))
    if summary.get("indicators"):
        out.append(choices_form(summary, catalogue or []))
    if current_version is not None and job.get("base_version") not in (None, current_version):
        out.append(html.P("The data changed since this check: publishing will ask you to check the file again.", role="alert"))
    return out


def _matched(matched: list[dict]) -> list:
    if not matched:
        return []
    return [html.H3("Indicators the catalogue already holds"), html.Ul([
        html.Li(f"Fingertips indicator {m['source_id']} joins \"{m['name']}\" ({m['indicator_id']}), matched by its Fingertips id"
                + (f"; periods read as {m['period_basis']}s" if m.get("period_basis") else ""))
        for m in matched])]


NOT_MAPPED = "-"  # the map_to select's "add it as a new indicator" (a select's empty value is its placeholder)


def choices_form(summary: dict, catalogue: list[tuple[str, str]]) -> html.Div:
    """For each new indicator: what the file holds, what it says the indicator is, and native controls to
    confirm or correct each field or map it onto a catalogue indicator. Publish waits for every choice."""
    waiting = summary.get("needs_choice") or []
    parts: list = [html.H3("New indicators in this file")]
    if waiting:
        parts.append(html.P([html.Strong("Choose before you publish: "), f"{len(waiting)} field(s) the file does not say "
                             "(marked \"needs your choice\"). Publish is refused until each is chosen, or the indicator "
                             "is mapped onto one the catalogue holds."], className="error-message", role="alert"))
    else:
        parts.append(html.P("Every field is known. Check them, change any that are wrong, and save before you publish."))
    for entry in summary["indicators"]:
        parts.append(_indicator_fieldset(entry, catalogue))
    parts.append(html.Button("Save choices and preview again", id=ids.UP_CHOOSE, className="btn btn-outline-primary", n_clicks=0))
    return html.Div(parts, className="upload-choices")


def _indicator_fieldset(entry: dict, catalogue: list[tuple[str, str]]) -> html.Fieldset:
    source = entry["source_id"]
    name = entry["fields"].get("name", {}).get("value") or entry["indicator_id"]
    shown = pd.DataFrame(list(describe(entry)), columns=["Field", "Value", "Where it comes from"]).astype(str)
    holds = [
        html.Li(f"{entry['rows']:,} rows"),
        html.Li(f"{entry['areas']:,} areas" + (f", including {', '.join(entry['key_areas'])}" if entry["key_areas"] else "")),
        html.Li(_periods(entry["periods"])),
        html.Li(_categories(entry)),
    ]
    if entry.get("map_to"):
        holds.append(html.Li(html.Strong(f"Mapped onto {entry['map_to']}: its rows join that indicator's history.")))

    def control(field: str):
        cid = {"type": ids.UP_CHOICE, "source": source, "field": field}
        current = entry["fields"].get(field, {}).get("value", "")
        if field in OPTIONS:
            # dbc.Select's placeholder is its hidden, empty first option: what an unchosen field shows.
            blank = "— needs your choice —" if field in entry.get("needs", []) else "— read from the period labels —"
            options = [{"label": o, "value": o} for o in OPTIONS[field]]
            ctl = dbc.Select(id=cid, options=options, value=current if current in OPTIONS[field] else "", placeholder=blank)
        else:
            ctl = dbc.Input(id=cid, type="text", value=current, debounce=True)
        needs = field in entry.get("needs", [])
        text = LABELS[field].capitalize() + (" (needs your choice)" if needs else "")
        return html.Label([html.Span(text, className="form-label d-block"), ctl], className="choice-field" + (" needs-choice" if needs else ""))

    map_options = [{"label": "No: add it as a new indicator", "value": NOT_MAPPED}] + [{"label": f"{n} ({i})", "value": i} for i, n in catalogue]
    mapping = html.Label([html.Span("Map onto a catalogue indicator instead", className="form-label d-block"),
                          dbc.Select(id={"type": ids.UP_CHOICE, "source": source, "field": "map_to"}, options=map_options,
                                     value=entry.get("map_to") or NOT_MAPPED)], className="choice-field")
    return html.Fieldset([
        html.Legend(f"{name} (file indicator {source})"),
        html.P("What the file holds:"), html.Ul(holds),
        data_table(shown, f"What the file says {name} is", row_header="Field"),
        html.Div([mapping, *[control(f) for f in FIELDS]], className="choice-grid"),
    ], className="indicator-choice", id=f"choice-{source}")


def _periods(labels: list[str]) -> str:
    if not labels:
        return "no periods"
    if len(labels) <= 6:
        return f"{len(labels)} period(s): {', '.join(labels)}"
    return f"{len(labels)} periods, {labels[0]} to {labels[-1]}"


def _categories(entry: dict) -> str:
    count = entry.get("category_count", len(entry["categories"]))
    if not count:
        return "area totals only (no categories)"
    types = entry.get("category_types", len(entry["categories"]))
    more = f"; and {types - len(entry['categories'])} more types" if types > len(entry["categories"]) else ""
    return f"{count} categories (breakdowns, kept apart from the area totals): {'; '.join(entry['categories'])}{more}"


def versions_table(versions: list[dict]) -> html.Div:
    rows = []
    # Every column has a header (axe empty-table-header): the last holds the restore buttons.
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Version", "When (UTC)", "Who", "What", "File", "Rows", "Pending flags", "Restore")]))
    for i, v in enumerate(versions):
        what = v["action"] + (f" of version {v['restored_from']}" if v.get("restored_from") else "")
        counts = f"+{v['rows_added']} added, {v['rows_changed']} changed, {v['rows_removed']} removed"
        button = "" if i == 0 else html.Button(f"Restore version {v['version']}", id={"type": ids.VERSIONS_RESTORE, "index": v["version"]},
                                               className="btn btn-outline-primary btn-sm", n_clicks=0)
        rows.append(html.Tr([html.Th(str(v["version"]), scope="row"), html.Td(v["created_at"][:19].replace("T", " ")),
                             html.Td(v["created_by"]), html.Td(what), html.Td(v.get("file_name") or ""),
                             html.Td(counts), html.Td(pending_moves(v)), html.Td(button)]))
    table = html.Table([html.Caption("Every version of the data, newest first (the audit log)", id="versions-caption"), head, html.Tbody(rows)],
                       className="table table-sm data-table")
    # Wider than a phone: the table scrolls in its own labelled, focusable region, never the page (WCAG 1.4.10).
    return html.Div(table, className="table-scroll", role="region", tabIndex="0", **{"aria-labelledby": "versions-caption"})


def pending_moves(version: dict) -> str:
    """'cleared: a, b; pending again: c' for a version, '' when it moved none."""
    parts = []
    if version.get("pending_cleared"):
        parts.append("cleared: " + ", ".join(version["pending_cleared"].split()))
    if version.get("pending_reopened"):
        parts.append("pending again: " + ", ".join(version["pending_reopened"].split()))
    return "; ".join(parts)


def versions_page(versions: list[dict]) -> html.Div:
    return html.Div([
        html.H1("Version history"),
        html.P("Each publish or rollback makes a new version; nothing is overwritten. Restoring an older version "
               "makes its data current again, as a new version.", className="lead"),
        html.Div(id=ids.VERSIONS_RESULT, role="status"),
        html.Div(versions_table(versions), id=ids.VERSIONS_TABLE),
    ])
