"""Pre-compressed scripts and stylesheets (issue 15): built once with brotli's best setting, served as they are.

Flask-Compress compresses every response on every request, at a speed-first level (the vendored Plotly
bundle: ~401 KB as zstd). The page's scripts and stylesheets never change between deployments, so
`flask --app app precompress` (make assets) compresses each once with brotli at quality 11 into
assets/precompressed/ (Plotly: ~329 KB), with a manifest naming each file's source and its sha256.

At start, each entry whose source file (the app's assets/, or a component package's bundle that Dash
serves under /_dash-component-suites/) still has that sha256 is loaded; an entry whose source
changed (a new Dash, an edited asset) is left out, and that file is compressed on the fly as before:
stale bytes are never served. A GET for a loaded file from a client that accepts br is answered
with the brotli bytes, `Content-Encoding: br`, `Vary: Accept-Encoding`, its type and an ETag (and
Dash's year-long cache for a fingerprinted bundle); anything else goes on to Dash and Flask-Compress.

The page also stops loading dash_table's bundle: Dash adds it to every page, and no page uses it.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

import click
from dash.fingerprint import check_fingerprint
from flask import Response, request

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "assets" / "precompressed"
MANIFEST = "manifest.json"
SUITES = "/_dash-component-suites/"
# Fetched after the page's own scripts (dcc.Graph's chunk): not in the page's HTML, but on every first load.
EXTRA = ("/_dash-component-suites/dash/dcc/async-graph.js",)
# Bundles Dash puts on every page that no page here uses (no DataTable anywhere: native tables only).
UNUSED = ("/_dash-component-suites/dash/dash_table/",)
QUALITY = 11


@dataclass(frozen=True)
class Entry:
    body: bytes
    mimetype: str
    etag: str


def key_of(path: str) -> tuple[str, bool]:
    """(the path without Dash's fingerprint, whether it had one): /_dash-component-suites/dash/dcc/x.v4_4_1m123.js -> .../x.js."""
    if path.startswith(SUITES):
        original, fingerprinted = check_fingerprint(path[len(SUITES):])
        return SUITES + original, fingerprinted
    return path, False


def source_file(key: str, assets_folder: Path) -> Path | None:
    """The file Dash serves for this (unfingerprinted) path, or None if it is not one of ours or a package's."""
    if key.startswith("/assets/"):
        path = (assets_folder / key[len("/assets/"):]).resolve()
        return path if path.is_relative_to(assets_folder.resolve()) and path.is_file() else None
    if key.startswith(SUITES):
        package, _, rel = key[len(SUITES):].partition("/")
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            return None
        if spec is None or spec.origin is None:
            return None
        base = Path(spec.origin).parent.resolve()
        path = (base / rel).resolve()
        return path if path.is_relative_to(base) and path.is_file() else None
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(folder: Path, assets_folder: Path) -> dict[str, Entry]:
    """The manifest's entries whose source is unchanged (the others are compressed on the fly)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    table = {}
    for key, item in manifest.get("files", {}).items():
        source = source_file(key, assets_folder)
        if source is None or _sha256(source) != item["sha256"]:
            continue
        try:
            body = (folder / item["br"]).read_bytes()
        except OSError:
            continue
        table[key] = Entry(body, item["mimetype"], item["sha256"][:16])  # 64 bits: plenty for a validator, and 16 bytes less a response
    return table


def accepts_br(header: str) -> bool:
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() == "br":
            q = re.search(r"q\s*=\s*([0-9.]+)", params)
            return not q or float(q.group(1)) > 0
    return False


def page_urls(server) -> list[str]:
    """Every script and stylesheet the app's pages load (the index page's, then EXTRA), unfingerprinted."""
    html = server.test_client().get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    found = re.findall(r'(?:src|href)="([^"?]+\.(?:js|css))(?:\?[^"]*)?"', html)
    keys = [key_of(u)[0] for u in found] + list(EXTRA)
    return [k for k in dict.fromkeys(keys) if not k.startswith(UNUSED)]


def build(server, assets_folder: Path, folder: Path = FOLDER) -> dict:
    """Compress every script and stylesheet the pages load into `folder`, and write the manifest."""
    import brotli

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for key in page_urls(server):
        source = source_file(key, assets_folder)
        if source is None:
            continue
        raw = source.read_bytes()
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", key.strip("/")) + ".br"
        (folder / name).write_bytes(brotli.compress(raw, quality=QUALITY))
        mimetype = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        files[key] = {"br": name, "sha256": hashlib.sha256(raw).hexdigest(), "mimetype": mimetype, "bytes": len(raw),
                      "br_bytes": (folder / name).stat().st_size}
    for stale in folder.glob("*.br"):
        if stale.name not in {f["br"] for f in files.values()}:
            stale.unlink()
    (folder / MANIFEST).write_text(json.dumps({"quality": QUALITY, "files": files}, indent=1, sort_keys=True) + "\n")
    return files


def drop_unused_bundles(app) -> None:
    """Leave UNUSED bundles out of every page's script tags."""
    original = app.interpolate_index

    def interpolate_index(**kwargs):
        scripts = kwargs.get("scripts", "")
        kwargs["scripts"] = "\n".join(line for line in scripts.split("\n") if not any(u in line for u in UNUSED))
        return original(**kwargs)

    app.interpolate_index = interpolate_index


def register(app, folder: Path = FOLDER) -> None:
    server = app.server
    assets_folder = Path(app.config.assets_folder)
    table = load(folder, assets_folder)
    drop_unused_bundles(app)

    def serve_precompressed():
        if request.method not in ("GET", "HEAD") or not table:
            return None
        key, fingerprinted = key_of(request.path)
        entry = table.get(key)
        if entry is None or not accepts_br(request.headers.get("Accept-Encoding", "")):
            return None
        headers = {"Vary": "Accept-Encoding", "ETag": f'"{entry.etag}"',
                   "Cache-Control": "public, max-age=31536000" if fingerprinted else "no-cache"}
        if entry.etag in request.if_none_match:
            return Response(status=304, headers=headers)
        response = Response(entry.body, mimetype=entry.mimetype, headers={**headers, "Content-Encoding": "br"})
        return response

    server.before_request(serve_precompressed)

    @server.cli.command("precompress")
    def precompress_command():
        """Compress the pages' scripts and stylesheets with brotli into assets/precompressed/ (make assets)."""
        files = build(server, assets_folder, folder)
        raw = sum(f["bytes"] for f in files.values())
        br = sum(f["br_bytes"] for f in files.values())
        click.echo(f"{len(files)} files: {raw:,} bytes -> {br:,} bytes brotli (quality {QUALITY}) in {folder}")
