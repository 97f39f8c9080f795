"""Every callback of the app, registered in one place."""
from __future__ import annotations

from callbacks import explore, fetch, overview, routing, spotlight, upload


def register_callbacks(app) -> None:
    routing.register(app)
    overview.register(app)
    explore.register(app)
    upload.register(app)
    fetch.register(app)
    spotlight.register(app)
