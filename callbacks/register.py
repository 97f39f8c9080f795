"""Every callback of the app, registered in one place."""
from __future__ import annotations

from callbacks import explore, overview, routing, spotlight, upload


def register_callbacks(app) -> None:
    routing.register(app)
    overview.register(app)
    explore.register(app)
    upload.register(app)
    spotlight.register(app)
