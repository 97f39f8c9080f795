"""Editing the catalogue: the /catalogue page's form and PATCH /api/indicators/<id>.

PATCH /api/indicators/<id>   JSON {field: value, ...[, "base_version": N]} (fields: catalogue.EDITABLE)
    200 {indicator, changed, data_version}   (changed [] and no new version when nothing differs)
    401 not signed in | 403 signed in but not an editor (or a cross-site cookie request)
    404 unknown id | 409 base_version is not the head any more | 415 not JSON | 422 {errors: [{field, message}]}
POST /catalogue/save          the page's native form (csrf_token); back to /catalogue with the outcome
POST /catalogue/groups/save   the comparator group form (csrf_token, group, areas: codes one per line); the same
                              validation as PUT /api/area-groups/<name> (data/storage/area_groups.save_group)

Every change goes through data/storage/catalogue.edit_indicator: one new data version, action "catalogue".
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from flask import Blueprint, abort, jsonify, redirect, request, session
from flask_login import current_user

from callbacks.auth import NOT_EDITOR, csrf_token_valid, current_editor, login_csrf_token
from callbacks.context import current_dataset, current_store
from data.storage.area_groups import AreaGroupError, list_groups, save_group
from data.storage.catalogue import EDITABLE, InvalidChange, UnknownIndicator, edit_indicator, indicator_fields
from data.storage.store import PublishConflict
from layouts import catalogue as ui

catalogue_routes = Blueprint("catalogue_routes", __name__)
DRAFT_KEY = "catalogue_draft"  # the values an editor sent that could not be saved (shown again with the problems)
GROUP_DRAFT_KEY = "group_draft"  # the same for a comparator group


def _refuse_non_editor():
    """401 when nobody is signed in, 403 when a viewer is; None for an editor."""
    if current_editor() is not None:
        return None
    if getattr(current_user, "is_authenticated", False):
        return jsonify({"error": "only editors can change the catalogue", "status": 403}), 403
    return jsonify({**NOT_EDITOR, "status": 401}), 401


def _base_version(raw) -> int | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not str(raw).isdigit():
        raise ValueError("base_version must be a data version number")
    return int(raw)


@catalogue_routes.patch("/api/indicators/<indicator_id>")
def api_patch_indicator(indicator_id: str):
    refused = _refuse_non_editor()
    if refused is not None:
        return refused
    store = current_store()
    if store is None:
        return jsonify({"error": "this app serves fixed data; the catalogue cannot be changed", "status": 503}), 503
    if request.mimetype != "application/json":
        return jsonify({"error": "send the changes as JSON (application/json)", "status": 415}), 415
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "send a JSON object of field: value", "status": 400,
                        "errors": [{"field": "(body)", "message": "is not a JSON object"}]}), 400
    changes = dict(body)
    try:
        base = _base_version(changes.pop("base_version", None))
    except ValueError as exc:
        return jsonify({"error": str(exc), "status": 422, "errors": [{"field": "base_version", "message": str(exc)}]}), 422
    try:
        result = edit_indicator(store, indicator_id, changes, user=current_editor() or "", base_version=base)
    except UnknownIndicator as exc:
        return jsonify({"error": str(exc), "status": 404}), 404
    except InvalidChange as exc:
        errors = [{"field": p.field, "message": p.message} for p in exc.problems]
        return jsonify({"error": f"nothing was changed: {exc}", "status": 422, "errors": errors}), 422
    except PublishConflict as exc:
        return jsonify({"error": str(exc), "status": 409, "retry": True}), 409
    version = result.version if result.version is not None else store.head_version()
    fields = {c: result.indicator.get(c, "") for c in ("id", *EDITABLE)}
    return jsonify({"indicator": fields, "changed": result.changed, "data_version": version})


def _editor_form(what: str):
    """The checks both editor forms share: (store, None) for a signed-in editor's POST with a valid form
    token on a store that can change, else (None, the redirect to sign in); aborts 400 or 503."""
    if current_editor() is None:
        return None, redirect("/login?" + urlencode({"next": "/catalogue"}), 303)
    if not csrf_token_valid(request.form.get("csrf_token")):
        abort(400, "the form expired; reload the page and try again")
    store = current_store()
    if store is None:
        abort(503, f"this app serves fixed data; {what} cannot be changed")
    return store, None


@catalogue_routes.post("/catalogue/save")
def page_save():
    store, sign_in = _editor_form("the catalogue")
    if store is None:
        return sign_in
    form = request.form
    indicator_id = (form.get("id") or "").strip()
    values = {name: form.get(name, "") for name in EDITABLE if name in form}
    back = {"id": indicator_id}
    try:
        result = edit_indicator(store, indicator_id, values, user=current_editor() or "",
                                base_version=_base_version(form.get("base_version")))
    except UnknownIndicator:
        return redirect("/catalogue?" + urlencode({"missing": indicator_id[:200]}), 303)
    except (InvalidChange, PublishConflict, ValueError) as exc:
        problems = ([[p.field, p.message] for p in exc.problems] if isinstance(exc, InvalidChange)
                    else [["(version)", f"{exc}. Your values are below: save again to apply them to the current version."]])
        session[DRAFT_KEY] = {"id": indicator_id, "values": values, "problems": problems}
        return redirect("/catalogue?" + urlencode({**back, "error": "1"}), 303)
    session.pop(DRAFT_KEY, None)
    if result.version is None:
        return redirect("/catalogue?" + urlencode({**back, "unchanged": "1"}), 303)
    return redirect("/catalogue?" + urlencode({**back, "saved": str(result.version)}), 303)


def area_codes(text: str) -> list[str]:
    """The codes of the group form's textarea: one per line, spaces dropped, blank lines skipped, upper case."""
    return [line.strip().upper() for line in text.splitlines() if line.strip()]


@catalogue_routes.post("/catalogue/groups/save")
def group_save():
    store, sign_in = _editor_form("the area groups")
    if store is None:
        return sign_in
    form = request.form
    name = (form.get("group") or "").strip()[:300]
    text = (form.get("areas") or "")[:20_000]
    back = {"group": name}
    if name not in list_groups(store.engine):  # the form edits a group that exists
        return redirect("/catalogue?" + urlencode({"group_missing": name}) + "#catalogue-groups", 303)
    try:
        save_group(store.engine, name, area_codes(text), current_editor() or "", current_dataset().areas)
    except AreaGroupError as exc:
        session[GROUP_DRAFT_KEY] = {"group": name, "areas": text, "problems": exc.problems[:50]}
        return redirect("/catalogue?" + urlencode({**back, "group_error": "1"}) + "#catalogue-groups", 303)
    session.pop(GROUP_DRAFT_KEY, None)
    return redirect("/catalogue?" + urlencode({**back, "group_saved": "1"}) + "#catalogue-groups", 303)


def groups_section(store, one):
    groups = list_groups(store.engine)
    status: list = []
    if one("group_missing"):
        status.append(ui.html.P(f"There is no group '{one('group_missing')}'; nothing was changed.", role="alert"))
    wanted = one("group")
    editing = wanted if wanted in groups else None
    if wanted and editing is None and not one("group_missing"):
        status.append(ui.html.P(f"There is no group '{wanted}'.", role="alert"))
    text, problems = "", []
    if editing is not None:
        text = "\n".join(code for code, _ in groups[editing])
        draft = session.get(GROUP_DRAFT_KEY)
        if one("group_error") and isinstance(draft, dict) and draft.get("group") == editing:
            text, problems = str(draft.get("areas") or ""), [str(p) for p in draft.get("problems") or []]
        if one("group_saved"):
            status.append(ui.html.P(f"Saved the group {editing}: {len(groups[editing])} areas.", className="saved-message"))
    return ui.groups_section(groups, editing, text, problems, status, login_csrf_token())


def catalogue_page(store, search: str | None):
    """The /catalogue page for the signed-in editor (routing checks the editor first)."""
    query = parse_qs((search or "").lstrip("?"))
    one = lambda k: (query.get(k) or [""])[0]  # noqa: E731
    catalogue = store.catalogue()
    version = store.head_version()
    status: list = []
    form = None
    wanted = one("id")
    if one("missing"):
        status.append(ui.html.P(f"There is no indicator '{one('missing')}' in the catalogue; nothing was changed.", role="alert"))
    indicator = indicator_fields(catalogue, wanted) if wanted else None
    if wanted and indicator is None:
        status.append(ui.html.P(f"There is no indicator '{wanted}' in the catalogue.", role="alert"))
    if indicator is not None:
        values, problems = dict(indicator), {}
        draft = session.get(DRAFT_KEY)
        if one("error") and isinstance(draft, dict) and draft.get("id") == wanted:
            values.update({k: str(v) for k, v in (draft.get("values") or {}).items() if k in EDITABLE})
            problems = {str(f): str(m) for f, m in draft.get("problems") or []}
        if one("saved"):
            status.append(ui.html.P([f"Saved as version {one('saved')}. ", ui.html.A("See the history", href="/versions"),
                                     " to undo it."], className="saved-message"))
        elif one("unchanged"):
            status.append(ui.html.P("Nothing to save: the values were the same."))
        form = ui.edit_form(indicator, values, problems, version, login_csrf_token())
    return ui.catalogue_page(catalogue, form, status, groups_section(store, one))
