"""Comparator groups over HTTP (data/storage/area_groups.py).

GET /api/area-groups           every group: [{"name", "areas": [{"code", "name"}]}] (public, like the data)
PUT /api/area-groups/<name>    JSON list of area codes -> 200 {"name", "areas"} | 422 {"error", "problems"}
                               editor only (session cookie from this site, or a Bearer token, as every editor API)
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from callbacks.auth import current_editor, editor_required
from callbacks.context import current_dataset, current_store
from data.storage.area_groups import AreaGroupError, describe, list_groups, save_group

area_groups_api = Blueprint("area_groups_api", __name__)


def _engine():
    store = current_store()
    return None if store is None else store.engine


@area_groups_api.get("/api/area-groups")
def api_area_groups():
    return jsonify(describe(list_groups(_engine())))


@area_groups_api.put("/api/area-groups/<path:name>")
@editor_required
def api_save_area_group(name: str):
    codes = request.get_json(silent=True)
    if codes is None:
        return jsonify({"error": "send a JSON list of area codes", "problems": ["the body is not JSON"], "status": 400}), 400
    try:
        members = save_group(_engine(), name, codes, current_editor() or "", current_dataset().areas)
    except AreaGroupError as exc:
        status = 503 if _engine() is None else 422
        return jsonify({"error": str(exc), "problems": exc.problems, "status": status}), status
    return jsonify({"name": name.strip(), "areas": [{"code": c, "name": n} for c, n in members]})
