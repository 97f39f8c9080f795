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


class _Flight:
    """One build under way: its thread, and its value once done (ok) for the threads waiting on it."""

    __slots__ = ("done", "ok", "owner", "value")

    def __init__(self, owner: int) -> None:
        self.owner, self.done, self.ok = owner, threading.Event(), False
        self.value: Any = None


class VersionCache:
    """Named LRU tables of built values; thread-safe (the dev server and gthread workers run threads)."""

    def __init__(self) -> None:
        self._tables: dict[str, OrderedDict[Hashable, Any]] = {}
        self._lock = threading.Lock()
        self._building: dict[tuple[str, Hashable], _Flight] = {}  # (table, key) -> the build under way

    def remember(self, table: str, key: Hashable, build: Callable[[], T], maxsize: int = DEFAULT_SIZE) -> T:
        """build() once per key in `table` (an LRU of maxsize entries); later calls return the same object.

        One build at a time per key: a thread asking for a key another thread is building waits for that
        build and gets its value (a background warm-up and a request never build the same thing twice at
        once). If that build raises, the waiting thread builds it itself. A build that asks for its own key
        again (the same thread) builds it again rather than waiting for itself."""
        me = threading.get_ident()
        while True:
            with self._lock:
                lru = self._tables.setdefault(table, OrderedDict())
                if key in lru:
                    lru.move_to_end(key)
                    return lru[key]
                flight = self._building.get((table, key))
                if flight is None or flight.owner == me:
                    mine = _Flight(me)
                    if flight is None:
                        self._building[(table, key)] = mine
                    break
            flight.done.wait()  # another thread builds it: wait, then take its value (or build if it failed)
            if flight.ok:
                return flight.value
        try:
            value = build()  # outside the lock: a slow build must not hold up other threads
        except BaseException:
            with self._lock:
                if self._building.get((table, key)) is mine:
                    del self._building[(table, key)]
            mine.done.set()
            raise
        with self._lock:
            lru[key] = value
            lru.move_to_end(key)
            while len(lru) > maxsize:
                lru.popitem(last=False)
            if self._building.get((table, key)) is mine:
                del self._building[(table, key)]
        mine.value, mine.ok = value, True
        mine.done.set()
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
