"""Warm a data version in the background when a worker loads it (issue 15).

The first overview year a worker serves after loading a version used to build that version's shared parts
(status, the table's rows and cells: ~0.7 s at 1M rows), so one request in each worker paid for them. Now
StoreSource.on_load hands each newly loaded version to a Warmer, whose one daemon thread builds those parts
while the request that triggered the load answers at once.

- The same cache entries a request builds (layouts/overview.py warm): a request that arrives while the
  warm-up runs waits on the build under way (VersionCache.remember builds a key once at a time) and gets the
  same object, so it never builds it twice and never sees other bytes.
- No old version kept: the Warmer holds a version only by weak reference while it waits, and stops between
  steps once a newer version is waiting or the version is no longer served by anyone.
- Errors are logged and swallowed: the warm-up never stops a worker serving.
- Off with WARM_VERSIONS=0 (data/settings.py): tests that count cache entries stay deterministic.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence

from data.domain.dataset import Dataset
from data.domain.views import option_facts
from data.settings import Settings
from layouts import overview
from layouts.explore import area_options
from layouts.explore_filters import year_range

log = logging.getLogger(__name__)

Step = Callable[[Dataset], object]


def explore_parts(dataset: Dataset) -> None:
    """What the explore page's first request builds for the whole version: its areas, the areas' options (as sent)
    and the calendar years the data spans (~100 ms at 1M rows; the status parts it also needs come with the
    overview's step)."""
    area_options(dataset)  # reads dataset.areas
    year_range(dataset)


def explore_facts(dataset: Dataset) -> None:
    """Every indicator's option facts (data/domain/views.option_facts: the periods, area types and breakdowns each
    explore view offers), so the first request naming an indicator in this worker does not work them out:
    ~7 ms an indicator at 1M rows (1.6 s CPU for 228 indicators at load 2), where the first request naming an
    indicator in a worker paid ~19 ms for it (30-60 ms under load; bench/NOTES.md, round 4)."""
    for indicator_id in dataset.indicators["id"].tolist():
        option_facts(dataset, indicator_id)


STEPS: tuple[Step, ...] = (overview.warm, explore_parts, explore_facts)
FREEZE_ROWS = 200_000  # a version with this many observations or more is frozen once warmed (Warmer._freeze)


class Warmer:
    """An on_load hook: warms each version handed to it, newest only, one at a time, in one daemon thread."""

    def __init__(self, steps: Sequence[Step] = STEPS):
        self.steps = tuple(steps)
        self._cond = threading.Condition()
        self._pending: weakref.ref[Dataset] | None = None
        self._busy = False
        self._thread: threading.Thread | None = None
        self.done: deque[tuple[int, float]] = deque(maxlen=16)  # (version, seconds) of the last warm-ups, for tests and logs
        self.freeze_rows = FREEZE_ROWS
        self.frozen = False  # this Warmer froze the objects alive after its last warm-up (see _freeze)

    def __call__(self, dataset: Dataset) -> None:
        with self._cond:
            self._pending = weakref.ref(dataset)  # a newer version replaces one still waiting
            if self._thread is None or not self._thread.is_alive():  # first use, or a forked worker (threads do not cross a fork)
                self._thread = threading.Thread(target=self._run, name="warm-versions", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once nothing waits and nothing runs (for tests and the bench)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is None and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None)
                ref, self._pending, self._busy = self._pending, None, True
            try:
                if ref is not None:
                    self._warm(ref)
            except Exception:  # never let the thread die: the next version must still be warmed
                log.exception("warming a data version failed")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _warm(self, ref: weakref.ref[Dataset]) -> None:
        """The steps with the cyclic collector paused (restored after, if it was on): a full collection while the
        warm-up allocates stopped every thread of the worker for ~200 ms at 1M rows (bench/NOTES.md, round 4),
        which a request answering meanwhile (e.g. right after a publish) paid for."""
        collecting = gc.isenabled()
        if self.frozen:
            gc.unfreeze()  # the previous version's objects: the collector may take them again
            self.frozen = False
        if collecting:
            gc.disable()
        try:
            self._steps(ref)
        finally:
            if collecting:
                gc.enable()
        dataset = ref()
        big = dataset is not None and len(dataset.observations) >= self.freeze_rows
        del dataset
        if collecting and big and self._pending is None:
            self._freeze()

    def _freeze(self) -> None:
        """Collect once, then move every object alive (the version, its warmed parts) out of the collector's
        sight (gc.freeze): at 1M rows each full collection walked them all, 100-200 ms with every thread of
        the worker stopped, 18 times in 200 uncached explore actions; frozen, 14-70 ms, and the slowest of
        those actions 194 ms -> 89 ms (in-process, bench/NOTES.md round 4). Frozen objects are still freed
        when nothing refers to them; only cycles among them wait for the next version's unfreeze. Only for
        big versions: a small one's collections are short anyway."""
        gc.collect()
        gc.freeze()
        self.frozen = True

    def _steps(self, ref: weakref.ref[Dataset]) -> None:
        started = time.perf_counter()
        version = None
        for step in self.steps:
            dataset = ref()
            if dataset is None or self._pending is not None:
                return  # nobody serves it any more, or a newer version waits: let this one go
            version = dataset.version
            try:
                step(dataset)
            except Exception:
                log.exception("warming data version %s: %s failed", version, getattr(step, "__qualname__", step))
                return
            finally:
                del dataset  # hold the version only while a step runs
        if version is not None:
            seconds = time.perf_counter() - started
            self.done.append((version, seconds))
            log.info("warmed data version %s in %.0f ms", version, seconds * 1000)


def attach(source, settings: Settings) -> Warmer | None:
    """Wire a Warmer to a source that loads versions (StoreSource.on_load), unless WARM_VERSIONS=0."""
    hooks = getattr(source, "on_load", None)
    if not settings.warm_versions or hooks is None:
        return None
    warmer = Warmer()
    hooks.append(warmer)
    return warmer
