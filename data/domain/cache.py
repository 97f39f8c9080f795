"""The one per-data-version cache.

A Dataset is immutable for its version, so anything worked out from it (the
status table, an explore card, a normalised filter state, a page section as the
JSON Dash sends) is kept in the Dataset's VersionCache and dropped with it when
a new version is loaded. Each named table is an LRU with a bound, so a worker's
memory stays flat however many different views people ask for.

Nothing else keeps per-version results: code never reaches into a Dataset for a
dict of its own. (`periods.parse_period` keeps a bounded lru_cache of label
parses: a pure function of its text, the same for every version.)
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_SIZE = 128


class VersionCache:
    """Named LRU tables of built values; thread-safe (the dev server and gthread workers run threads)."""

    def __init__(self) -> None:
        self._tables: dict[str, OrderedDict[Hashable, Any]] = {}
        self._lock = threading.Lock()

    def remember(self, table: str, key: Hashable, build: Callable[[], T], maxsize: int = DEFAULT_SIZE) -> T:
        """build() once per key in `table` (an LRU of maxsize entries); later calls return the same object."""
        with self._lock:
            lru = self._tables.setdefault(table, OrderedDict())
            if key in lru:
                lru.move_to_end(key)
                return lru[key]
        value = build()  # outside the lock: a slow build must not hold up other threads
        with self._lock:
            lru[key] = value
            lru.move_to_end(key)
            while len(lru) > maxsize:
                lru.popitem(last=False)
        return value

    def once(self, table: str, build: Callable[[], T]) -> T:
        """A value the whole version has one of (its areas, its row index)."""
        return self.remember(table, None, build, maxsize=1)

    def sizes(self) -> dict[str, int]:
        """Entries per table: for tests and the bench."""
        with self._lock:
            return {name: len(lru) for name, lru in self._tables.items()}

    def __len__(self) -> int:
        return sum(self.sizes().values())
