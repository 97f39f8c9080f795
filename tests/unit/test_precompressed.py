"""Pre-compressed scripts and stylesheets (callbacks/precompressed.py): right headers, identical bytes, never stale."""
from __future__ import annotations

import json
import re
import shutil

import brotli
import pytest

from app import create_app
from callbacks import precompressed
from data.domain.source import FixedSource

BR = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def _page_scripts(client) -> list[str]:
    html = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    return re.findall(r'(?:src|href)="([^"]+\.(?:js|css)[^"]*)"', html)


@pytest.fixture(scope="module")
def manifest():
    return json.loads((precompressed.FOLDER / precompressed.MANIFEST).read_text())["files"]


def test_pre001_every_page_script_is_served_precompressed_with_the_right_headers_and_identical_bytes(client, manifest):
    urls = _page_scripts(client)
    plotly = [u for u in urls if "plotly-basic" in u]
    assert plotly and any("dash_core_components" in u for u in urls)
    served = 0
    for url in urls + list(precompressed.EXTRA):
        key = precompressed.key_of(url.split("?")[0])[0]
        identity = client.get(url, headers={"Accept-Encoding": "identity"})
        assert identity.status_code == 200, url
        assert identity.headers.get("Content-Encoding") in (None, "identity"), url
        r = client.get(url, headers=BR)
        assert r.status_code == 200, url
        assert "Accept-Encoding" in r.headers.get("Vary", ""), url
        if key in manifest:
            assert r.headers["Content-Encoding"] == "br", url
            assert r.mimetype == identity.mimetype, url
            assert brotli.decompress(r.get_data()) == identity.get_data(), url
            served += 1
    assert served >= 10  # the build covered the page (plotly, dash's bundles, the app's css/js)


def test_pre002_a_client_without_br_never_gets_brotli(client):
    url = next(u for u in _page_scripts(client) if "plotly-basic" in u)
    raw = (precompressed.ROOT / "assets" / "vendor" / "plotly-basic.min.js").read_bytes()
    # (br;q=0 is refused by accepts_br; Flask-Compress itself ignores q=0, so it is not asked here.)
    assert not precompressed.accepts_br("gzip, br;q=0") and precompressed.accepts_br("gzip, br;q=0.5")
    for header in ("gzip", ""):
        r = client.get(url, headers={"Accept-Encoding": header})
        assert r.headers.get("Content-Encoding") != "br", header
        assert "Accept-Encoding" in r.headers.get("Vary", ""), header
        if r.headers.get("Content-Encoding") in (None, "identity"):
            assert r.get_data() == raw


def test_pre003_an_entry_whose_source_changed_is_not_served(tmp_path, bundled, manifest):
    assets = tmp_path / "assets"
    shutil.copytree(precompressed.ROOT / "assets", assets, ignore=shutil.ignore_patterns("precompressed"))
    folder = tmp_path / "pre"
    shutil.copytree(precompressed.FOLDER, folder)
    table = precompressed.load(folder, assets)
    assert "/assets/vendor/plotly-basic.min.js" in table
    (assets / "vendor" / "plotly-basic.min.js").write_text("// edited\n")
    table = precompressed.load(folder, assets)
    assert "/assets/vendor/plotly-basic.min.js" not in table
    assert "/assets/vendor/bootstrap.min.css" in table


def test_pre004_no_page_loads_dash_table(client):
    assert not [u for u in _page_scripts(client) if "dash_table" in u]


def test_pre005_a_revalidation_with_the_etag_is_answered_304(client):
    url = next(u for u in _page_scripts(client) if "plotly-basic" in u)
    etag = client.get(url, headers=BR).headers["ETag"]
    r = client.get(url, headers={**BR, "If-None-Match": etag})
    assert r.status_code == 304 and not r.get_data()


def test_pre006_the_build_writes_what_load_serves(tmp_path, bundled):
    server = create_app(source=FixedSource(bundled)).server
    files = precompressed.build(server, precompressed.ROOT / "assets", tmp_path)
    assert "/assets/vendor/plotly-basic.min.js" in files
    assert not [k for k in files if "dash_table" in k]
    table = precompressed.load(tmp_path, precompressed.ROOT / "assets")
    assert set(table) == set(files)
    raw = (precompressed.ROOT / "assets" / "vendor" / "plotly-basic.min.js").read_bytes()
    assert brotli.decompress(table["/assets/vendor/plotly-basic.min.js"].body) == raw
