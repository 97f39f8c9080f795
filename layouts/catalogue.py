"""The catalogue page (/catalogue, editors only): every indicator, and a native form to edit one.

The form posts (with the session's CSRF token) to /catalogue/save; each saved change is a new data
version, listed in the version history and undone by restoring an earlier version."""
from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
from dash import dcc, html

from data.domain.schema import POLARITIES, SETS, UNITS
from data.storage.catalogue import EDITABLE, LABELS, MAX_LENGTH

CAT_FORM = "catalogue-form"
CAT_SAVE = "catalogue-save"
CAT_STATUS = "catalogue-status"
CAT_TABLE = "catalogue-table"
GROUPS = "catalogue-groups"
GROUP_FORM = "group-form"
GROUP_AREAS = "group-areas"
GROUP_SAVE = "group-save"
GROUP_PROBLEMS = "group-problems"
GROUP_STATUS = "group-status"
CHOICES = {"unit": UNITS, "polarity": POLARITIES, "set": SETS}
LONG_TEXT = ("definition", "note", "expected_update")
HINTS = {
    "short_name": "Shown on cards and charts; empty: the name is shown.",
    "fingertips_id": "The Fingertips indicator whose definition is the same; empty if none. Uploads and fetches of this id update this indicator.",
    "expected_update_for": "The reporting year a missing value is expected for (e.g. 2023/24); empty if none is expected.",
    "expected_by": "The month the value was expected by; once past with no value, the indicator shows as overdue.",
}


def control_id(name: str) -> str:
    return f"catalogue-field-{name.replace('_', '-')}"


def _field(name: str, value: str, problem: str | None) -> html.Div:
    cid = control_id(name)
    label = [LABELS[name]]
    if problem:
        label.append(html.Span(["Error: ", problem], className="d-block text-danger fw-bold"))
    if name in CHOICES:
        options = list(CHOICES[name]) if value in CHOICES[name] else [value, *CHOICES[name]]
        control = html.Select([html.Option(o, value=o, selected=o == value) for o in options],
                              id=cid, name=name, className="form-select")
    elif name in LONG_TEXT:
        control = dcc.Textarea(id=cid, name=name, value=value, rows=3 if name != "definition" else 4,
                               maxLength=MAX_LENGTH[name], className="form-control")
    else:
        control = dcc.Input(id=cid, type="text", name=name, value=value, maxLength=MAX_LENGTH[name],
                            spellCheck=name in ("name", "short_name"), autoComplete="off", className="form-control",
                            required=name == "name")
    parts = [html.Label(label, htmlFor=cid, className="form-label"), control]
    if name in HINTS:
        parts.append(html.Div(HINTS[name], className="form-text"))
    return html.Div(parts, className="mb-3" + (" border-start border-4 border-danger ps-3" if problem else ""))


def edit_form(indicator: dict, values: dict, problems: dict, version: int | None, csrf_token: str) -> html.Section:
    """The edit form for one indicator; values: what the fields show (the catalogue's, or what was sent)."""
    children: list = [
        html.H2(["Edit ", html.Span(indicator["name"])], id="catalogue-edit-title"),
        html.P([f"Indicator id {indicator['id']} (the id never changes). Set {indicator['set']}; source: ",
                indicator["source"] or "not stated", "."]),
    ]
    if problems:
        children.append(html.Div([
            html.H3("There is a problem: nothing was saved", className="h5"),
            html.Ul([html.Li(html.A(f"{LABELS.get(f, f)}: {m}", href=f"#{control_id(f)}" if f in LABELS else "#catalogue-form"))
                     for f, m in problems.items()], className="mb-0"),
        ], className="border border-4 border-danger p-3 mb-3", role="alert", id="catalogue-problems"))
    children.append(html.Form([
        dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
        dcc.Input(type="hidden", name="id", value=indicator["id"]),
        dcc.Input(type="hidden", name="base_version", value=str(version or "")),
        *[_field(name, values.get(name, ""), problems.get(name)) for name in EDITABLE],
        html.Button("Save as a new version", id=CAT_SAVE, type="submit", className="btn btn-primary me-2"),
        html.A("Cancel", href="/catalogue", className="btn btn-outline-secondary"),
    ], id=CAT_FORM, method="POST", action="/catalogue/save", className="catalogue-form"))
    return html.Section(children, className="catalogue-edit mb-4", **{"aria-labelledby": "catalogue-edit-title"})


def catalogue_table(catalogue: pd.DataFrame) -> html.Table:
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in
                               ("Indicator", "Set", "Unit", "Polarity", "Fingertips id", "Update expected for", "")]))
    rows = []
    for rec in catalogue.to_dict("records"):
        rows.append(html.Tr([
            html.Th(rec["name"], scope="row"), html.Td(rec["set"]), html.Td(rec["unit"]), html.Td(rec["polarity"]),
            html.Td(rec["fingertips_id"] or ""), html.Td(rec["expected_update_for"] or ""),
            html.Td(html.A(["Edit", html.Span(f" {rec['name']}", className="visually-hidden")],
                           href=f"/catalogue?id={rec['id']}", id=f"catalogue-edit-{rec['id']}")),
        ]))
    return html.Table([html.Caption(f"Every indicator in the catalogue ({len(catalogue)})"), head, html.Tbody(rows)],
                      className="table table-sm data-table", id=CAT_TABLE)


def group_edit_id(name: str) -> str:
    return "group-edit-" + "".join(c if c.isalnum() else "-" for c in name.lower())


def groups_section(groups: dict, editing: str | None, areas_text: str, problems: list[str], status: list,
                   csrf_token: str) -> html.Section:
    """Comparator groups (the Compare areas view's "only a group" choice): each group with its areas, and a
    native form for one group's members, area codes one per line (posted to /catalogue/groups/save)."""
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Group", "Areas", "")]))
    rows = [html.Tr([
        html.Th(name, scope="row"),
        html.Td(f"{len(members)}: " + ", ".join(area for _, area in members)),
        html.Td(html.A(["Edit", html.Span(f" the {name} group", className="visually-hidden")],
                       href="/catalogue?" + urlencode({"group": name}) + "#" + GROUPS, id=group_edit_id(name))),
    ]) for name, members in groups.items()]
    children: list = [
        html.H2("Comparator groups", id="catalogue-groups-title"),
        html.P("A group is a named list of areas; the Compare areas view can rank only a group's areas. "
               "Changing a group is not a data version: it applies at once and stays when data is published or restored."),
        html.Div(status, id=GROUP_STATUS, role="status"),
        html.Div(html.Table([html.Caption(f"Comparator groups ({len(groups)})"), head, html.Tbody(rows)],
                            className="table table-sm data-table", id="group-table"),
                 className="catalogue-table-wrap", tabIndex="0", role="region", style={"overflowX": "auto", "position": "relative"},
                 **{"aria-label": "Comparator groups table"}),
    ]
    if editing is not None:
        form_children: list = [html.H3(["Edit the group ", html.Span(editing)], className="h5", id="group-edit-title")]
        if problems:
            form_children.append(html.Div([
                html.H4("There is a problem: nothing was saved", className="h6"),
                html.Ul([html.Li(html.A(m, href=f"#{GROUP_AREAS}")) for m in problems], className="mb-0"),
            ], className="border border-4 border-danger p-3 mb-3", role="alert", id=GROUP_PROBLEMS))
        form_children.append(html.Form([
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
            dcc.Input(type="hidden", name="group", value=editing),
            # The hint is inside the label (dcc.Textarea takes no aria-describedby), so it is read with the box.
            html.Label(["Area codes, one per line, in the order the group lists them",
                        html.Span("ONS area codes such as E06000014 (York); each must be an area in the data or already in a group.",
                                  className="form-text d-block")], htmlFor=GROUP_AREAS, className="form-label"),
            dcc.Textarea(id=GROUP_AREAS, name="areas", value=areas_text, rows=min(max(areas_text.count("\n") + 2, 4), 20),
                         className="form-control font-monospace mb-3", spellCheck="false"),
            html.Button("Save the group", id=GROUP_SAVE, type="submit", className="btn btn-primary me-2"),
            html.A("Cancel", href="/catalogue#" + GROUPS, className="btn btn-outline-secondary"),
        ], id=GROUP_FORM, method="POST", action="/catalogue/groups/save"))
        children.append(html.Div(form_children, className="mt-3" + (" border-start border-4 border-danger ps-3" if problems else ""),
                                 role="group", **{"aria-labelledby": "group-edit-title"}))
    return html.Section(children, id=GROUPS, className="mb-4", **{"aria-labelledby": "catalogue-groups-title"})


def catalogue_page(catalogue: pd.DataFrame, form: html.Section | None, status: list | None,
                   groups: html.Section | None = None) -> html.Div:
    return html.Div([
        html.H1("Indicator catalogue"),
        html.P("Change what an indicator is called, its unit, polarity, set, definition, Fingertips id and "
               "expected update. Each saved change is a new version of the data: the version history lists it, "
               "and restoring an earlier version puts the earlier values back.", className="lead"),
        html.Div(status or [], id=CAT_STATUS, role="status"),
        *([form] if form is not None else []),
        # A scrolling region of its own on a phone (the page itself never scrolls sideways); focusable for keyboards.
        html.Div(catalogue_table(catalogue), className="catalogue-table-wrap", tabIndex="0", role="region",
                 style={"overflowX": "auto", "position": "relative"},  # relative: the hidden link texts stay inside
                 **{"aria-label": "Indicator catalogue table"}),
        *([groups] if groups is not None else []),
        html.P(html.A("Version history and rollback", href="/versions")),
    ])
