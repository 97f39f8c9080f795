"""Security headers (flask-talisman): a Content-Security-Policy with no inline script but Dash's own.

Call register_security(app, settings) LAST in create_app: app.csp_hashes() covers only the inline
scripts (Dash's renderer bootstrap, clientside callbacks) that exist by then.

No 'unsafe-eval': Plotly.js needs it only for its WebGL traces (scattergl, splom, parcoords,
scatterpolargl: regl compiles them with Function()) and for Plotly.d3.csv. This app draws SVG
scatter and bar traces only; the remaining `Function(...)` uses in the bundles are fallbacks that
never run in a current browser (globalThis exists, Function.prototype.bind is native).
tests/unit/test_security.py (test_sec007) loads / and /explore in headless Chromium: charts drawn, no CSP violations.
"""
from __future__ import annotations

from flask_talisman import DENY, Talisman

from data.settings import Settings


def content_security_policy(app) -> dict:
    return {
        "default-src": "'self'",
        "script-src": ["'self'", *app.csp_hashes()],
        # React style attributes and Plotly's injected <style> elements need inline styles.
        "style-src": ["'self'", "'unsafe-inline'"],
        # data:/blob: for Plotly's "download plot as PNG" and inline SVG/icons.
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }


# Headers that only a document (a page) acts on: a browser ignores them on a script or a stylesheet, and
# every page loads ~15 of those, each carrying ~450 bytes of them (issue 15: the first page's bytes).
DOCUMENT_ONLY = ("Content-Security-Policy", "X-Frame-Options")
SUBRESOURCE_TYPES = ("text/css", "application/javascript", "text/javascript")


def _drop_document_headers(response):
    if response.mimetype in SUBRESOURCE_TYPES:
        for name in DOCUMENT_ONLY:
            response.headers.pop(name, None)
    return response


def register_security(app, settings: Settings) -> Talisman:
    """Talisman on app.server; cookie flags agree with callbacks.auth.configure_server."""
    server = app.server
    # Registered before Talisman, so it runs after Talisman's own after_request (Flask runs them last-registered first).
    server.after_request(_drop_document_headers)
    secure = bool(server.config.get("SESSION_COOKIE_SECURE", settings.cookie_secure))
    return Talisman(
        server,
        content_security_policy=content_security_policy(app),
        force_https=settings.force_https,
        frame_options=DENY,
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
        session_cookie_secure=secure,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        # HSTS is sent only on HTTPS responses; keep it to this host (no includeSubDomains surprises).
        strict_transport_security=True,
        strict_transport_security_include_subdomains=False,
    )
