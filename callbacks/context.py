"""The app's data source, reached from any request or callback."""
from __future__ import annotations

from flask import current_app

from data.domain.dataset import Dataset

EXTENSION_KEY = "cyscp_data_source"


def current_dataset() -> Dataset:
    return current_app.extensions[EXTENSION_KEY].current()


def current_store():
    """The writable store behind the data source (None when the app serves fixed data)."""
    return getattr(current_app.extensions[EXTENSION_KEY], "store", None)
