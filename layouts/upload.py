"""The upload page (file form, progress, preview) and the version history page."""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from data.ingest.upload_jobs import INVALID, READY, STAGE_LABELS
from layouts import ids
from layouts.components import data_table


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
    if job_id:
        children.append(html.Section([
            html.H2("Your file"),
            dcc.Store(id=ids.UP_JOB, data=job_id),
            dcc.Interval(id=ids.UP_POLL, interval=700, n_intervals=0),
            html.Div(id=ids.UP_PROGRESS, role="status"),
            html.Div(id=ids.UP_PREVIEW),
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


def preview_view(job: dict, current_version: int | None) -> list:
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
    if summary["new_indicators"]:
        out.append(html.P(["New indicators: ", ", ".join(summary["new_indicators"])]))
    if summary["pending_cleared"]:
        out.append(html.P(["Pending flags that would clear: ", ", ".join(summary["pending_cleared"])]))
    if current_version is not None and job.get("base_version") not in (None, current_version):
        out.append(html.P("The data changed since this check: publishing will ask you to check the file again.", role="alert"))
    return out


def versions_table(versions: list[dict]) -> html.Div:
    rows = []
    # Every column has a header (axe empty-table-header): the last holds the restore buttons.
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Version", "When (UTC)", "Who", "What", "File", "Rows", "Restore")]))
    for i, v in enumerate(versions):
        what = v["action"] + (f" of version {v['restored_from']}" if v.get("restored_from") else "")
        counts = f"+{v['rows_added']} added, {v['rows_changed']} changed, {v['rows_removed']} removed"
        button = "" if i == 0 else html.Button(f"Restore version {v['version']}", id={"type": ids.VERSIONS_RESTORE, "index": v["version"]},
                                               className="btn btn-outline-primary btn-sm", n_clicks=0)
        rows.append(html.Tr([html.Th(str(v["version"]), scope="row"), html.Td(v["created_at"][:19].replace("T", " ")),
                             html.Td(v["created_by"]), html.Td(what), html.Td(v.get("file_name") or ""),
                             html.Td(counts), html.Td(button)]))
    table = html.Table([html.Caption("Every version of the data, newest first (the audit log)", id="versions-caption"), head, html.Tbody(rows)],
                       className="table table-sm data-table")
    # Wider than a phone: the table scrolls in its own labelled, focusable region, never the page (WCAG 1.4.10).
    return html.Div(table, className="table-scroll", role="region", tabIndex="0", **{"aria-labelledby": "versions-caption"})


def versions_page(versions: list[dict]) -> html.Div:
    return html.Div([
        html.H1("Version history"),
        html.P("Each publish or rollback makes a new version; nothing is overwritten. Restoring an older version "
               "makes its data current again, as a new version.", className="lead"),
        html.Div(id=ids.VERSIONS_RESULT, role="status"),
        html.Div(versions_table(versions), id=ids.VERSIONS_TABLE),
    ])
