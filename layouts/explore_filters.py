"""What the data offers a filter state: the sets' indicators and age bands, its years and periods.

Kept apart from explore_state so a view module can offer these as choices (compare offers the
periods) without importing the state module, which imports the view registry.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from data.domain.dataset import Dataset
from data.domain.views import OptionFacts, facts_periods, option_facts, periods_of

if TYPE_CHECKING:
    from layouts.explore_state import ExploreState


def candidates(dataset: Dataset, set_name: str, age: str) -> list[str]:
    return list(dataset.cache.remember("candidates", (set_name, age), lambda: _candidates(dataset, set_name, age)))


def _candidates(dataset: Dataset, set_name: str, age: str) -> list[str]:
    cat = dataset.indicators
    mask = (cat["set"] == set_name) if set_name else cat["set"].notna()
    if age:
        mask &= cat["age_band"] == age
    return list(cat.index[mask])


def age_bands(dataset: Dataset, set_name: str) -> list[str]:
    return list(dataset.cache.remember("age_bands", set_name, lambda: _age_bands(dataset, set_name)))


def _age_bands(dataset: Dataset, set_name: str) -> list[str]:
    cat = dataset.indicators
    if set_name:
        cat = cat[cat["set"] == set_name]
    return sorted(b for b in cat["age_band"].unique() if b)


def year_range(dataset: Dataset) -> list[str]:
    """Every calendar year the data spans; the same for every request on this data version."""
    return list(dataset.cache.remember("year_range", None, lambda: _year_range(dataset)))


def _year_range(dataset: Dataset) -> list[str]:
    years = dataset.observations["period_start"].dropna().dt.year
    ends = dataset.observations["period_end"].dropna().dt.year
    return [] if years.empty else [str(y) for y in range(int(years.min()), int(ends.max()) + 1)]


def periods_for(dataset: Dataset, state: ExploreState) -> list[str]:
    """Dated periods with a value for the state's indicators and areas, oldest first (worked out once per
    version and selection: a request asks twice, for its state and its controls)."""
    key = (tuple(state.indicators), tuple(state.areas))
    return list(dataset.cache.remember("periods_for", key, lambda: _periods_for(dataset, *key), maxsize=256))


def indicator_facts(dataset: Dataset, indicators) -> list[OptionFacts] | None:
    """Each indicator's option facts (data/domain/views.option_facts), or None when they cannot be had."""
    found = [option_facts(dataset, i) for i in dict.fromkeys(indicators)]
    return None if any(f is None for f in found) else [f for f in found if f is not None]


def _periods_for(dataset: Dataset, indicators: tuple[str, ...], areas: tuple[str, ...]) -> list[str]:
    facts = indicator_facts(dataset, indicators) if indicators else None
    if facts is not None:
        return facts_periods(facts, areas)
    if not indicators:  # every indicator: let the store's frame filter its areas first
        rows = dataset.observations_for(None, None, list(areas))
    else:
        rows = dataset.observations_for(list(indicators))  # kept per version; its areas are taken from it here
        if areas:
            rows = rows[rows["area_code"].isin(list(areas))]
    rows = rows[rows["category_type"] == ""]
    return periods_of(rows[rows["period_end"].notna()])
