"""Composition root: builds the Dash app, its pages, callbacks and API, and exposes `server`.

    python app.py            # 127.0.0.1:8050 (HOST, PORT override)
    gunicorn app:server      # production (see Procfile)

Importing this module does nothing by itself: `server` (and `app`) are built on first
use, from Settings.from_env(), so a test or a script can import create_app without
touching the store. ARCHITECTURE.md follows a request from here.
"""
from __future__ import annotations

import dash

from callbacks import precompressed, warm
from callbacks.api import api
from callbacks.area_groups_api import area_groups_api
from callbacks.auth import register_auth
from callbacks.catalogue import catalogue_routes
from callbacks.context import EXTENSION_KEY, SETTINGS_KEY
from callbacks.fetch import cli_group as fingertips_cli
from callbacks.fetch import fetch_routes
from callbacks.register import register_callbacks
from callbacks.security import register_security
from callbacks.spotlight_export import spotlight_export
from callbacks.uploads_api import uploads_api
from data.domain.status import configure as configure_status
from data.settings import Settings
from data.storage.store import Store, StoreSource
from layouts.shell import INDEX_STRING, app_shell


def store_source(settings: Settings) -> StoreSource:
    """The store (DATABASE_URL, else SQLite under instance/), migrated and seeded on first start."""
    store = Store(settings.database_url or None, instance=settings.instance)
    store.setup()
    return StoreSource(store)


def create_app(settings: Settings | None = None, *, source=None) -> dash.Dash:
    """A fresh app. settings: default Settings.from_env(); source: default the store (tests may pass a FixedSource)."""
    settings = settings or Settings.from_env()
    app = dash.Dash(
        __name__,
        title="Children's indicators - " + settings.partnership_name,
        compress=True,
        serve_locally=True,
        suppress_callback_exceptions=True,  # pages are built on navigation
        update_title=None,
        index_string=INDEX_STRING,
    )
    server = app.server
    server.extensions[SETTINGS_KEY] = settings
    configure_status(settings.stale_after_years)  # the staleness span every status reads (data/domain/status.py)
    server.extensions[EXTENSION_KEY] = source or store_source(settings)
    warm.attach(server.extensions[EXTENSION_KEY], settings)  # build each version's overview and explore parts in the background on load
    server.config["PARTNERSHIP_NAME"] = settings.partnership_name
    register_auth(app, getattr(server.extensions[EXTENSION_KEY], "store", None), settings)  # sessions, /login, CLI
    server.register_blueprint(api)
    server.register_blueprint(uploads_api)
    server.register_blueprint(area_groups_api)
    server.register_blueprint(spotlight_export)
    server.register_blueprint(catalogue_routes)  # /catalogue/save, PATCH /api/indicators/<id>
    server.register_blueprint(fetch_routes)  # /upload/fetch
    server.cli.add_command(fingertips_cli())  # flask --app app fingertips fetch IDS
    app.layout = app_shell(settings.partnership_name)
    register_callbacks(app)
    register_security(app, settings)  # the CSP hashes the inline scripts registered above
    precompressed.register(app)  # brotli-11 scripts and stylesheets (assets/precompressed/), no unused bundles
    return app


_built: dict[str, dash.Dash] = {}


def __getattr__(name: str):
    """`app`, and its Flask `server` (gunicorn's `app:server`; `flask --app app` finds it as
    `application`), built once on first use."""
    if name not in ("app", "server", "application"):
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    if "app" not in _built:
        _built["app"] = create_app()
    return _built["app"] if name == "app" else _built["app"].server


if __name__ == "__main__":
    settings = Settings.from_env()
    create_app(settings).run(host=settings.host, port=settings.port, debug=False)
