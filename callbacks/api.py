"""The read-only data API. Field names here are a contract: keep them stable.

GET /healthz
GET /api/indicators[?reporting_year=2023/24]   status: current | recent | pending | overdue | out_of_date
GET /api/observations.csv[?indicator=ID&set=NAME&area=CODE&format=json]
"""
from __future__ import annotations

import math
import sqlite3

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from callbacks.context import current_dataset, current_store
from data.domain.dataset import DEFAULT_REPORTING_YEAR
from data.domain.export import to_csv, to_records
from data.domain.formatting import display_name
from data.domain.periods import PeriodError, canonical_year
from data.domain.status import indicator_status, reporting_years
from data.storage.store import store_fault

api = Blueprint("api", __name__)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@api.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return jsonify({"error": exc.message, "status": exc.status}), exc.status


def _only_params(*allowed: str) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise ApiError(400, f"unknown parameter(s): {', '.join(unknown)}; allowed: {', '.join(allowed) or 'none'}")


def _number(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _whole(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


@api.get("/healthz")
def healthz():
    """200 {"status": "ok", "data_version"} only when the store answers and takes writes; else 503
    {"status": "unavailable" | "read-only", "error": why} (a load balancer takes the host out)."""
    store = current_store()
    if store is not None:
        status, why = store.health()
        if status != "ok":
            return jsonify({"status": status, "error": why}), 503
    return jsonify({"status": "ok", "data_version": int(current_dataset().version)})


def _store_fault(exc: Exception):
    """A locked store or a full disk answers 503 with a clear message (JSON under /api/, a plain page
    otherwise), not a generic 500; any other database error stays a 500."""
    why = store_fault(exc)
    if why is None:
        raise exc
    headers = {"Retry-After": "5"}
    if request.path.startswith("/api/") or request.path == "/healthz":
        return jsonify({"error": why, "status": 503}), 503, headers
    return Response(f"Service unavailable: {why}.\n", status=503, mimetype="text/plain", headers=headers)


# The store's bulk inserts use the DBAPI cursor, so the drivers' own errors come unwrapped as well.
_DRIVER_ERRORS: list[type[Exception]] = [DBAPIError, sqlite3.Error]
try:
    import psycopg

    _DRIVER_ERRORS.append(psycopg.Error)
except ImportError:  # pragma: no cover - PostgreSQL's driver is in requirements.txt
    pass
for _error in _DRIVER_ERRORS:
    api.app_errorhandler(_error)(_store_fault)


@api.get("/api/indicators")
def indicators():
    _only_params("reporting_year")
    dataset = current_dataset()
    try:
        reporting_year = canonical_year(request.args.get("reporting_year", DEFAULT_REPORTING_YEAR))
    except PeriodError as exc:
        raise ApiError(400, f"reporting_year: {exc}") from None
    years = reporting_years(dataset)
    if reporting_year not in years:  # the status cache is per year: only the data's own years are worked out
        raise ApiError(400, f"reporting_year: {reporting_year} is outside the data's range, {years[-1]} to {years[0]}")
    status = indicator_status(dataset, reporting_year)
    out = []
    for ind_id, ind in dataset.indicators.iterrows():
        st = status.loc[ind_id]
        out.append({
            "id": ind_id,
            "name": ind["name"],
            "short_name": display_name(ind),  # the display name (issue 14); name is the report's wording
            "set": ind["set"],
            "age_band": ind["age_band"] or None,
            "unit": ind["unit"],
            "polarity": ind["polarity"],
            "definition": ind["definition"],
            "source": ind["source"],
            "fingertips_id": ind["fingertips_id"] or None,
            "note": ind["note"] or None,
            "reporting_year": reporting_year,
            "latest_period": None if not isinstance(st["latest_period"], str) else st["latest_period"],
            "latest_value": _number(st["latest_value"]),
            "status": st["status"],
            "status_label": st["status_label"],
            "pending": bool(st["pending"]),
            "pending_reason": st["pending_reason"],
            "expected_by": st["expected_by"] or None,
            "status_reason": st["status_reason"],
            "latest_age_years": _whole(st["age_years"]),
            "out_of_date": bool(st["stale"]),
            "change": _number(st["change"]),
            "change_since": None if not isinstance(st["previous_period"], str) else st["previous_period"],
            "change_text": st["change_text"] or None,
            "change_note": st["change_note"] or None,
            "england_value": _number(st["england_value"]),
            "compared_with_england": st["comparison"],
            "comparison_basis": st["comparison_basis"] or None,
            "trend": st["trend"] or None,
            "trend_text": st["trend_text"] or None,
        })
    return jsonify(out)


@api.get("/api/observations.csv")
def observations():
    _only_params("indicator", "set", "area", "format")
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "json"):
        raise ApiError(400, f"format '{fmt}' is not csv or json")
    dataset = current_dataset()
    wanted = {name: request.args.getlist(name) for name in ("indicator", "set", "area")}
    known = {
        "indicator": set(dataset.indicators.index),
        "set": set(dataset.sets),
        "area": set(dataset.areas),
    }
    for name, values in wanted.items():
        unknown = [v for v in values if v not in known[name]]
        if unknown:
            raise ApiError(404, f"unknown {name}: {', '.join(unknown)}")
    rows = dataset.observations_for(wanted["indicator"], wanted["set"], wanted["area"])
    if fmt == "json":
        return jsonify(to_records(rows))
    return Response(
        to_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=observations.csv"},
    )


@api.get("/api/<path:rest>")
def _unknown_api_path(rest):
    """Dash's catch-all page route would answer 200 HTML; an unknown API path is a JSON 404."""
    raise ApiError(404, f"no API endpoint /api/{rest}")


@api.app_errorhandler(HTTPException)
def _http_error_as_json_for_api(exc: HTTPException):
    """404/405 under /api answer in JSON like the rest of the API; pages keep Flask's default."""
    if request.path.startswith("/api/"):
        return jsonify({"error": exc.description, "status": exc.code}), exc.code
    return exc
