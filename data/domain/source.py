"""Where the current Dataset comes from.

Callers ask `source.current()` on every request; a source hands back the same
Dataset object until the data changes, so nothing is re-read or re-derived
per request. The app's own source is data.storage.store.StoreSource; this one serves
a fixed Dataset (tests, scripts).
"""
from __future__ import annotations

from data.domain.dataset import Dataset


class FixedSource:
    """A given Dataset (tests, scripts)."""

    def __init__(self, dataset: Dataset):
        self._dataset = dataset

    def current(self) -> Dataset:
        return self._dataset
