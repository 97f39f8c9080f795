"""Where the current Dataset comes from.

Callers ask `source.current()` on every request; a source hands back the same
Dataset object until the data changes, so nothing is re-read or re-derived
per request.
"""
from __future__ import annotations

import threading
from pathlib import Path

from data.dataset import BUNDLED, Dataset, load_bundled


class BundledSource:
    """The CSVs bundled under data/bundled, read once."""

    def __init__(self, folder: Path = BUNDLED):
        self._folder = folder
        self._dataset: Dataset | None = None
        self._lock = threading.Lock()

    def current(self) -> Dataset:
        if self._dataset is None:
            with self._lock:
                if self._dataset is None:
                    self._dataset = load_bundled(self._folder)
        return self._dataset


class FixedSource:
    """A given Dataset (tests, scripts)."""

    def __init__(self, dataset: Dataset):
        self._dataset = dataset

    def current(self) -> Dataset:
        return self._dataset
