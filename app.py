"""Composition root: builds the Dash app, its pages, callbacks and API, and exposes `server`.

    python app.py            # 127.0.0.1:8050 (HOST, PORT override)
    gunicorn app:server      # production (see Procfile)
"""
from __future__ import annotations

import os

import dash

from callbacks.api import api
from callbacks.auth import register_auth
from callbacks.context import EXTENSION_KEY
from callbacks.register import register_callbacks
from callbacks.security import register_security
from callbacks.spotlight_export import spotlight_export
from callbacks.uploads_api import uploads_api
from data.storage.store import Store, StoreSource
from layouts.shell import INDEX_STRING, app_shell

DEFAULT_PARTNERSHIP = "City of York Safeguarding Children Partnership"


def default_source():
    """The store (DATABASE_URL, else SQLite under instance/), migrated and seeded on first start."""
    store = Store()
    store.setup()
    return StoreSource(store)


def create_app(source=None, partnership: str | None = None) -> dash.Dash:
    """A fresh app on `source` (default: the store; tests may pass a FixedSource)."""
    app = dash.Dash(
        __name__,
        title="Children's indicators - " + (partnership or os.environ.get("PARTNERSHIP_NAME") or DEFAULT_PARTNERSHIP),
        compress=True,
        serve_locally=True,
        suppress_callback_exceptions=True,  # pages are built on navigation
        update_title=None,
        index_string=INDEX_STRING,
    )
    server = app.server
    server.extensions[EXTENSION_KEY] = source or default_source()
    server.config["PARTNERSHIP_NAME"] = partnership or os.environ.get("PARTNERSHIP_NAME") or DEFAULT_PARTNERSHIP
    register_auth(app, getattr(server.extensions[EXTENSION_KEY], "store", None))  # sessions, /login, CLI
    server.register_blueprint(api)
    server.register_blueprint(uploads_api)
    server.register_blueprint(spotlight_export)
    app.layout = app_shell(server.config["PARTNERSHIP_NAME"])
    register_callbacks(app)
    register_security(app)  # last: the CSP hashes the inline scripts registered above
    return app


app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8050")), debug=False)
