"""What an explore view is: one object saying how a card shows an indicator's rows.

A view module builds one ExploreView and the registry (layouts/explore_views/__init__.py) lists
it; the page, the URL query, the state's normalising, the card and the callback all read the
registry, so nothing else names a view.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from data.domain.dataset import Dataset
from data.domain.formatting import format_value

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState

Shaped = Any  # whatever a view's shape() returns: its figure, table and summary all read it


def all_rows(rows: pd.DataFrame, state: ExploreState) -> pd.DataFrame:
    return rows


def unchanged(rows: pd.DataFrame, state: ExploreState) -> Shaped:
    return rows


def value_text(value, unit: str) -> str:
    """A table cell: the formatted value, or "no value"."""
    return "no value" if value is None or pd.isna(value) else format_value(value, unit)


@dataclass(frozen=True)
class ViewField:
    """One choice a view owns (compare's "Period A"): a state value, a query key and a select."""

    name: str  # the state's and the URL query's key ("a")
    label: str
    control_id: str
    pick: Callable[[list[str]], str]  # the value when the state's is not among the options
    # Its own options, when they differ from the rest of its group's (breakdown's area beside its period).
    options: Callable[[Dataset, ExploreState], list[str]] | None = None
    labels: Callable[[Dataset], dict[str, str]] | None = None  # option value -> text shown (area code -> name)


@dataclass(frozen=True)
class ViewControls:
    """The selects of a view's own fields, in a group shown only while that view is chosen."""

    group_id: str
    fields: tuple[ViewField, ...]
    options: Callable[[Dataset, ExploreState], list[str]]  # what each of the group's selects offers

    def offered(self, dataset: Dataset, state: ExploreState, field: ViewField) -> list[str]:
        """What one field's select offers: its own options, else the group's."""
        return (field.options or self.options)(dataset, state)

    def choose(self, dataset: Dataset, state: ExploreState) -> dict[str, str]:
        """A valid value for each field: the state's when offered, else the field's pick."""
        shared = self.options(dataset, state) if any(f.options is None for f in self.fields) else []
        out = {}
        for f in self.fields:
            offered = f.options(dataset, state) if f.options else shared
            out[f.name] = state.choice(f.name) if state.choice(f.name) in offered else f.pick(offered)
        return out


@dataclass(frozen=True)
class ExploreView:
    """How a card shows one indicator: which rows, read how, drawn, tabled and said in a sentence.

    Each callable may read the whole state except the set, the age band and the other indicators:
    a card is cached under the state less those (layouts/explore.card_key), so it can be shared."""

    key: str  # the URL's mode=...
    label: str  # the "Show" radio's text
    shape: Callable[[pd.DataFrame, ExploreState], Shaped]
    figure: Callable[[Shaped, pd.Series, ExploreState], Any]
    table: Callable[[Shaped, pd.Series, ExploreState], Any]
    summary: Callable[[Shaped, pd.Series, ExploreState], str]
    rows: Callable[[pd.DataFrame, ExploreState], pd.DataFrame] = all_rows  # what the card shows and downloads
    controls: ViewControls | None = None
    every_area: bool = False  # its rows are every area's (compare areas), not only the chosen areas'
    # Anything besides the state and the data version the card depends on (a comparator group's areas):
    # part of the card's cache key.
    cache_key: Callable[[ExploreState], Any] | None = None
    # Why this card has nothing to show in this view ("" when it has): the card says so instead of a chart.
    unavailable: Callable[[pd.DataFrame, ExploreState], str] = lambda rows, state: ""

    @property
    def fields(self) -> tuple[ViewField, ...]:
        return self.controls.fields if self.controls else ()

    def parts(self, rows: pd.DataFrame, indicator: pd.Series, state: ExploreState) -> tuple[Any, Any, str]:
        """(figure, table, summary sentence), all from the same card rows."""
        shaped = self.shape(rows, state)
        return self.figure(shaped, indicator, state), self.table(shaped, indicator, state), self.summary(shaped, indicator, state)
