"""Upload files and sign-in helpers shared by the upload, publish and rollback tests.

Files are built as an editor would fill the template: the template's column names,
one dict per data row. Nothing here touches the app's internals.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

YORK = {"area_code": "E06000014", "area_name": "York"}
ENGLAND = {"area_code": "E92000001", "area_name": "England"}
RAW_FINGERTIPS = str(Path(__file__).resolve().parent / "data" / "fingertips" / "raw-download-example.csv")

# The columns of the partnership's upload template (see /upload/template.csv).
TEMPLATE_HEADER = ["indicator_id", "area_code", "area_name", "period", "period_type", "category_type", "category",
                   "value", "lower_ci", "upper_ci", "count", "denominator", "source", "note"]
NEW_INDICATOR_HEADER = TEMPLATE_HEADER + ["indicator_name", "set", "unit", "polarity", "definition", "age_band"]


def template_bytes(rows: list[dict], header: list[str] | None = None) -> bytes:
    """A template CSV (UTF-8, CRLF) with these rows; missing cells are blank."""
    header = list(header or TEMPLATE_HEADER)
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in header})
    return out.getvalue().encode("utf-8")


def york_value(indicator_id: str, period: str, value, period_type: str = "", **extra) -> dict:
    return {"indicator_id": indicator_id, **YORK, "period": period, "period_type": period_type,
            "value": str(value), "source": "Test upload", **extra}


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def csv_data_rows(content: bytes) -> list[dict]:
    """The data rows of a CSV file, read with the csv module (quoted newlines inside cells stay in the cell)."""
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


# -- the Dash sign-in page, as a browser uses it ------------------------------------------------

PAGE_REQUEST = {
    "output": "..page-content.children...data-updated.children..",
    "outputs": [{"id": "page-content", "property": "children"}, {"id": "data-updated", "property": "children"}],
    "changedPropIds": ["url.pathname"],
}


def render_page(client, pathname: str, search: str = ""):
    """What the renderer asks for on navigation: the page-content callback for this URL."""
    body = {**PAGE_REQUEST, "inputs": [{"id": "url", "property": "pathname", "value": pathname}],
            "state": [{"id": "url", "property": "search", "value": search}]}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def page_form_value(response, name: str) -> str:
    """The value of the <input name=...> in a rendered page (the login page's csrf_token)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    found = [n["props"]["value"] for n in _walk(response.get_json())
             if isinstance(n.get("props"), dict) and n["props"].get("name") == name]
    assert len(found) == 1, f"expected one input named {name}, found {found}"
    return found[0]


def sign_in(client, email: str, password: str, next_url: str = "/upload"):
    """Sign in the way the /login page's form does: its csrf token, then POST /login."""
    token = page_form_value(render_page(client, "/login", f"?next={next_url}"), "csrf_token")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": next_url})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert response.headers["Location"] == next_url, f"sign-in failed: redirected to {response.headers['Location']}"
    return response
