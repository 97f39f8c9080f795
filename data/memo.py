"""Small per-data-version memo tables.

A Dataset is immutable for its version, so anything worked out from it (an
explore card, a normalised filter state) can be kept on the Dataset itself
and is dropped with it when a new version is loaded. Each table is an LRU
with a bound, so a worker's memory stays flat however many views people ask for.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")
_LOCK = threading.Lock()  # the dev server and tests run threaded; gunicorn's sync workers do not


def remember(cache: dict, table: str, key: Hashable, build: Callable[[], T], maxsize: int = 128) -> T:
    """build() once per key in cache[table] (an LRU of maxsize entries); later calls return the same object."""
    with _LOCK:
        lru = cache.get(("memo", table))
        if lru is None:
            lru = cache[("memo", table)] = OrderedDict()
        if key in lru:
            lru.move_to_end(key)
            return lru[key]
    value = build()  # outside the lock: a slow build must not hold up other threads
    with _LOCK:
        lru[key] = value
        lru.move_to_end(key)
        while len(lru) > maxsize:
            lru.popitem(last=False)
    return value
