"""The registry of explore views: the one list the page, the URL query, the state and the callback read.

A new view is one module building an ExploreView, added to BUILT_IN below (or, for a plug-in or
a test, passed to register()). Its fields (the periods of "compare") are parsed from and written
to the query, normalised, rendered as selects and wired into the callback from here.
"""
from __future__ import annotations

import pandas as pd

from data.domain.views import is_breakdown
from layouts.explore_views import breakdown, compare, compare_areas, england, trend
from layouts.explore_views.base import ExploreView, ViewControls, ViewField

DEFAULT = "trend"  # the view of an address that names none (or one that no longer exists)
BUILT_IN = (trend.VIEW, compare.VIEW, england.VIEW, compare_areas.VIEW, breakdown.VIEW)  # in the order the "Show" radio lists them

# Names the state (ExploreState) and the URL query already use: a view's field may not take one.
TAKEN_NAMES = frozenset({"set", "age", "indicators", "areas", "start", "end", "mode", "choices", "indicator", "area", "from", "to"})

_views: dict[str, ExploreView] = {}


def register(view: ExploreView) -> None:
    """Add a view. Do it before the app is built: the callback wires the views' fields when it is registered."""
    if view.key in _views:
        raise ValueError(f"an explore view is already registered as {view.key!r}")
    names = [f.name for f in view.fields]
    clashes = set(names) & (TAKEN_NAMES | {f.name for f in fields()})
    if clashes or len(set(names)) != len(names):
        raise ValueError(f"view {view.key!r}: field names {sorted(clashes) or names} are taken")
    if view.controls:  # two components with one id would break the page
        own = [view.controls.group_id, *(f.control_id for f in view.fields)]
        taken = {c.group_id for _, c in control_groups()} | {f.control_id for f in fields()}
        if taken & set(own) or len(set(own)) != len(own):
            raise ValueError(f"view {view.key!r}: component ids {own} clash")
    _views[view.key] = view


def unregister(key: str) -> None:
    if key == DEFAULT:
        raise ValueError("the default view cannot be removed")
    del _views[key]


def all_views() -> tuple[ExploreView, ...]:
    return tuple(_views.values())


def keys() -> tuple[str, ...]:
    """The registered keys, in order: part of any cache key whose value depends on which views exist."""
    return tuple(_views)


def is_view(key: str) -> bool:
    return key in _views


def view(key: str) -> ExploreView:
    """The view of that key, or the default one."""
    return _views.get(key) or _views[DEFAULT]


def control_groups() -> tuple[tuple[str, ViewControls], ...]:
    """(view key, its controls) for each view with fields of its own: their selects sit in a group
    shown only while that view is chosen."""
    return tuple((v.key, v.controls) for v in _views.values() if v.controls)


def fields() -> tuple[ViewField, ...]:
    """Every view's own fields, in registry order."""
    return tuple(f for v in _views.values() for f in v.fields)


def outside_key(state) -> tuple:
    """What the views read besides the state and the data (comparator groups): part of every cache key
    whose value depends on it (the state's normalising, the control options, the cards)."""
    return tuple(v.cache_key(state) for v in _views.values() if v.cache_key)


def card_view(rows: pd.DataFrame, key: str) -> ExploreView:
    """The view a card uses for an indicator's rows: an indicator published only as categories (courses,
    ratings) always shows as a breakdown; any other shows the chosen view, which reads its area totals."""
    return breakdown.VIEW if is_breakdown(rows) else view(key)


for _view in BUILT_IN:
    register(_view)
