"""The app's data source, reached from any request or callback."""
from __future__ import annotations

from flask import current_app, g, has_request_context

from data.domain.dataset import Dataset
from data.settings import Settings

EXTENSION_KEY = "cyscp_data_source"
SETTINGS_KEY = "cyscp_settings"


def current_dataset() -> Dataset:
    """The data version this request reads: looked up once per request, so a publish landing while a
    request runs never gives it one version in one place and the next version in another."""
    if not has_request_context():
        return current_app.extensions[EXTENSION_KEY].current()
    dataset = g.get(_PINNED)
    if dataset is None:
        dataset = g.setdefault(_PINNED, current_app.extensions[EXTENSION_KEY].current())
    return dataset


_PINNED = "cyscp_dataset"


def current_settings() -> Settings:
    """The Settings the app was created with (app.create_app)."""
    return current_app.extensions[SETTINGS_KEY]


def current_store():
    """The writable store behind the data source (None when the app serves fixed data)."""
    return getattr(current_app.extensions[EXTENSION_KEY], "store", None)
