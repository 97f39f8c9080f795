"""The in-memory dataset every page and endpoint reads: catalogue + observations.

Built once per data version (never per request or callback): numbers are
converted, periods parsed and sorted here so readers only filter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.domain.cache import VersionCache
from data.domain.periods import parse_period
from data.domain.schema import (
    INDICATOR_COLUMNS,
    NUMERIC_OBSERVATION_COLUMNS,
    OBSERVATION_COLUMNS,
    SETS,
    Problem,
    read_numbers,
    to_number,
    validate_indicators,
    validate_observations,
)

BUNDLED = Path(__file__).resolve().parents[1] / "bundled"
HOME_AREA = "E06000014"  # York: the partnership's own area
ENGLAND = "E92000001"
DEFAULT_REPORTING_YEAR = "2023/24"


class DataError(ValueError):
    """Data that breaks the schema; carries every problem found."""

    def __init__(self, where: str, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{where}: {len(problems)} problem(s)\n{shown}{more}")


@dataclass(frozen=True)
class Dataset:
    indicators: pd.DataFrame  # one row per indicator, catalogue columns, index = id
    observations: pd.DataFrame  # observation columns + period_start/period_end, sorted
    version: int = 1
    updated: str = ""  # when this version was published, for "Data last updated"
    cache: VersionCache = field(default_factory=VersionCache, repr=False, compare=False)  # data/domain/cache.py

    def indicator(self, indicator_id: str) -> pd.Series:
        row = self.indicators.loc[indicator_id]
        assert isinstance(row, pd.Series)  # ids are unique (validate_indicators)
        return row

    def has_indicator(self, indicator_id: str) -> bool:
        return indicator_id in self.indicators.index

    @property
    def sets(self) -> list[str]:
        """Indicator sets present, in catalogue order."""
        return list(dict.fromkeys(self.indicators["set"]))

    @property
    def areas(self) -> dict[str, str]:
        """area_code -> area_name, home area and England first (worked out once per Dataset)."""
        return dict(self.cache.once("areas", self._areas))

    def _areas(self) -> dict[str, str]:
        pairs = self.observations[["area_code", "area_name"]].drop_duplicates("area_code")
        names = dict(zip(pairs["area_code"], pairs["area_name"], strict=True))
        order = [c for c in (HOME_AREA, ENGLAND) if c in names] + sorted(c for c in names if c not in (HOME_AREA, ENGLAND))
        return {c: names[c] for c in order}

    def _rows_of(self, indicator_ids) -> pd.DataFrame | None:
        """The observations of these indicators, in the frame's order (as a boolean filter gives them),
        from positions indexed once per Dataset; None when an id is not text (then filter as usual)."""
        if isinstance(indicator_ids, str):
            return None
        ids = list(dict.fromkeys(indicator_ids))
        if not all(isinstance(i, str) for i in ids):
            return None
        positions = self.cache.once("positions_by_indicator", lambda: _positions_by_indicator(self.observations))
        found = [positions[i] for i in ids if i in positions]
        if not found:
            return self.observations.iloc[0:0]
        return self.observations.iloc[_positions(found[0]) if len(found) == 1 else np.sort(np.concatenate([_positions(f) for f in found]))]

    def _kept_rows(self, ids: list[str]) -> pd.DataFrame | None:
        rows = self._rows_of(ids)
        return expanded(rows) if rows is not None and len(rows) <= _KEPT_ROWS else None

    def observations_for(self, indicator_ids=None, sets=None, areas=None) -> pd.DataFrame:
        """The rows asked for, text columns as plain `str` columns (as every reader expects them),
        whether or not this Dataset holds them compactly."""
        obs = self.observations
        if indicator_ids and not sets and not isinstance(indicator_ids, str):
            ids = list(dict.fromkeys(indicator_ids))
            if all(isinstance(i, str) for i in ids):
                # One explore request asks for the same indicators' rows 3-4 times (its options, its cards, with
                # and without the chosen areas): kept per version, they are turned into text once (None: too many
                # rows to keep). A shallow copy out each time (pandas copies on write, so a caller that changes its
                # frame never changes the kept one); the areas are taken from the kept text frame (the same rows
                # as taking them first).
                kept = self.cache.remember("observations_for", tuple(sorted(ids)), lambda: self._kept_rows(ids), maxsize=64)
                if kept is not None:
                    return kept[kept["area_code"].isin(areas)] if areas else kept.copy(deep=False)
        if indicator_ids:
            rows = self._rows_of(indicator_ids)
            if rows is not None:
                obs, indicator_ids = rows, None
        if sets:
            ids_in_sets = self.indicators.index[self.indicators["set"].isin(sets)]
            obs = obs[obs["indicator_id"].isin(ids_in_sets)]
        if indicator_ids:
            obs = obs[obs["indicator_id"].isin(indicator_ids)]
        if areas:
            obs = obs[obs["area_code"].isin(areas)]
        return expanded(obs)


_KEPT_ROWS = 20_000  # observations_for keeps frames up to this many rows (~3 MB of pointers each)


def _positions_by_indicator(obs: pd.DataFrame) -> dict:
    """indicator_id -> its row positions: a slice when the frame is sorted by indicator (as built here), else an array."""
    column = obs["indicator_id"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        if len(codes) and codes.min() >= 0 and (np.diff(codes) >= 0).all():
            present = np.unique(codes)
            starts = np.searchsorted(codes, present, side="left")
            stops = np.searchsorted(codes, present, side="right")
            names = column.cat.categories
            return {names[c]: slice(int(a), int(b)) for c, a, b in zip(present, starts, stops, strict=True)}
    return column.groupby(column, sort=False, observed=True).indices


def _positions(where: slice | np.ndarray) -> np.ndarray:
    return np.arange(where.start, where.stop) if isinstance(where, slice) else where


def read_csv_text(path: Path) -> pd.DataFrame:
    """Every cell as text, blanks as '' (NA decisions belong to the schema, not pandas)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def build_dataset(indicators: pd.DataFrame, observations: pd.DataFrame, version: int = 1, updated: str = "") -> Dataset:
    """Validate raw text frames and turn them into a Dataset; DataError if anything is wrong."""
    problems = validate_indicators(indicators)
    if problems:
        raise DataError("indicator catalogue", problems)
    problems = validate_observations(observations, indicators)
    if problems:
        raise DataError("observations", problems)
    return build_from_typed(indicators, observations, version, updated)


def build_from_typed(indicators: pd.DataFrame, observations: pd.DataFrame, version: int = 1, updated: str = "", *, compact: bool = False) -> Dataset:
    """A Dataset from rows already validated (the store, a preview); numbers may be text or floats.

    compact: hold the text columns as Categoricals (see prepare_observations); for a Dataset that is served."""
    catalogue = indicators.reindex(columns=list(INDICATOR_COLUMNS), fill_value="").fillna("")
    # Sets in the report's order (new sets after them); within a set, the order the catalogue lists them.
    set_rank = catalogue["set"].map({name: i for i, name in enumerate(SETS)}).fillna(len(SETS))
    catalogue = catalogue.assign(_rank=set_rank).sort_values("_rank", kind="stable").drop(columns="_rank")
    catalogue = catalogue.set_index("id", drop=False)
    return Dataset(catalogue, prepare_observations(observations, catalogue, compact=compact), version, updated)


def _numbers(column: pd.Series) -> pd.Series:
    """to_number of every cell, as float64 (NaN for blanks); raises as to_number does for the first cell it cannot read."""
    numbers, unreadable = read_numbers(column)
    if unreadable.any():
        first = column.iloc[int(np.argmax(unreadable))]
        to_number(first)  # raises its own error for the cell
        raise ValueError(first)  # in case it read the cell after all: never a silent NaN
    return pd.Series(numbers, index=column.index, dtype="float64")


# -- typing: one pipeline, text columns as Categoricals ----------------------------------------------

FROM_CATALOGUE = (("unit", "unit"), ("indicator_name", "name"), ("set", "set"))  # (row column, catalogue column) every typed row takes from its indicator
_SORT_KEY = ["indicator_id", "area_code", "period_end", "period_start", "category_type", "category"]
SORT_KEY = tuple(_SORT_KEY)  # the served frame's order (data/storage/store.py checks a built version has no ties)


def prepare_observations(raw: pd.DataFrame, catalogue: pd.DataFrame, *, compact: bool = False) -> pd.DataFrame:
    """Valid rows -> typed rows with parsed periods, sorted by indicator, area, period.

    Built one way: every text column a Categorical whose categories are sorted (so sorting by it is
    lexical), a 1-4 byte code per cell instead of an 8-byte pointer, and each step works on the codes.
    compact=True returns that (what a worker serves); compact=False returns expanded(it): plain `str`
    columns, each distinct string held once. `raw` may hold Categoricals.
    """
    obs = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    for col in OBSERVATION_COLUMNS:
        column = raw[col] if col in raw.columns else pd.Series(np.nan, index=raw.index)
        obs[col] = _numbers(column).to_numpy() if col in NUMERIC_OBSERVATION_COLUMNS else _text_categorical(column)
    obs["period_type"], obs["period_start"], obs["period_end"] = _periods(obs["period"], obs["period_type"])
    for col, source in FROM_CATALOGUE:
        obs[col] = _from_catalogue(obs["indicator_id"], catalogue[source])
    obs = obs.sort_values(_SORT_KEY, na_position="first", kind="stable").reset_index(drop=True)
    return obs if compact else expanded(obs)


def _sorted_categorical(codes: np.ndarray, values: list) -> pd.Categorical:
    """values[codes] (code -1: missing) as a Categorical with sorted, distinct categories."""
    if not values:
        return pd.Categorical.from_codes(np.full(len(codes), -1), categories=pd.Index([], dtype=str))
    distinct, inverse = np.unique(np.array(values, dtype=object), return_inverse=True)  # Python's str order
    remap = np.append(inverse.astype(np.int64), -1)  # -1 stays -1
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index(distinct, dtype=str))


def _codes_and_text(column: pd.Series) -> tuple[np.ndarray, list]:
    """(int64 codes, missing -1; each code's value as astype(str) writes it) of a column: its own codes
    when it is a Categorical, else pd.factorize's. The values need not be distinct."""
    dtype = column.dtype
    values: Any
    if isinstance(dtype, pd.CategoricalDtype):
        codes, values = column.cat.codes.to_numpy(), column.cat.categories
    elif pd.api.types.is_object_dtype(dtype) or (isinstance(dtype, pd.StringDtype) and dtype.storage == "python"):
        # The Python objects themselves: the same codes and values as the column's own factorize, a third
        # less time at 1M rows (0.065 -> 0.04 s a column) than going through the string array.
        codes, values = pd.factorize(column.to_numpy(dtype=object))  # missing (None, NaN, NA) -> -1
    else:
        codes, values = pd.factorize(column)  # missing -> -1
    text = [v if isinstance(v, str) else (v.decode() if isinstance(v, bytes) else str(v)) for v in values]  # as astype(str)
    return np.asarray(codes, dtype=np.int64), text


def combined_text(parts: list[tuple[pd.Series | None, int]]) -> pd.Categorical:
    """_text_categorical of the parts' cells one after another, as plain objects (so only the values that
    occur are categories, not a Categorical's unused ones), without putting them together: each part (a
    column, or None for `length` missing cells) keeps its own codes (a Categorical's are read, not worked
    out again) and only the distinct values are merged. For the rows a publish keeps plus those it writes."""
    all_codes: list[np.ndarray] = []
    text: list = []
    for column, length in parts:
        if column is None:
            all_codes.append(np.full(length, -1, dtype=np.int64))
            continue
        codes, values = _codes_and_text(column)
        all_codes.append(np.where(codes < 0, -1, codes + len(text)))
        text += values
    codes = np.concatenate(all_codes) if all_codes else np.array([], dtype=np.int64)
    used = np.zeros(len(text) + 1, dtype=bool)
    used[codes] = True  # code -1 marks the extra last slot
    renumber = np.append(np.cumsum(used[:-1]) - 1, -1)
    return _text_from_codes(renumber[codes], [v for v, u in zip(text, used[:-1], strict=True) if u])


def _text_categorical(column: pd.Series) -> pd.Categorical:
    """column.fillna("").astype(str), as a Categorical with sorted categories."""
    return _text_from_codes(*_codes_and_text(column))


def _text_from_codes(codes: np.ndarray, text: list) -> pd.Categorical:
    """text[codes] (code -1: "") as a Categorical with sorted, distinct categories."""
    if len(codes) and codes.min() < 0:
        text.append("")
        codes = np.where(codes < 0, len(text) - 1, codes)
    return _sorted_categorical(codes, text)


def _periods(labels: pd.Series, types: pd.Series) -> tuple[pd.Categorical | np.ndarray, pd.DatetimeIndex, pd.DatetimeIndex]:
    """(type, start, end) of every row's period: each distinct (label, type) pair parsed once, in order of
    first appearance, so a bad label raises as a row-by-row pass would."""
    label_codes, label_names = labels.cat.codes.to_numpy(), list(labels.cat.categories)
    type_codes, type_names = types.cat.codes.to_numpy(), list(types.cat.categories)
    pair = label_codes.astype(np.int64) * max(len(type_names), 1) + type_codes
    distinct, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    periods: list = [None] * len(distinct)
    for k in np.argsort(first, kind="stable"):
        at = first[k]
        periods[k] = parse_period(label_names[label_codes[at]], type_names[type_codes[at]] or None)
    starts = pd.to_datetime([p.start for p in periods])[inverse]
    ends = pd.to_datetime([p.end for p in periods])[inverse]
    if not len(pair):  # no rows: the float64 column that assigning [] has always given (test_fast009 pins it)
        return np.array([], dtype="float64"), starts, ends
    return _sorted_categorical(inverse, [p.type for p in periods]), starts, ends


def _from_catalogue(ids: pd.Series, column: pd.Series):
    """column[id] of every row (NaN for an id the catalogue lacks), worked out once per distinct id; a
    Categorical when the catalogue holds text, else (an object column, say) what Series.map gives."""
    mapped = pd.Series(ids.cat.categories, dtype=str).map(column)
    if not isinstance(mapped.dtype, pd.StringDtype):
        return ids.astype(str).map(column)
    codes, values = pd.factorize(mapped)
    return _sorted_categorical(np.append(codes, -1)[ids.cat.codes.to_numpy()], list(values))


def expanded(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every Categorical column back as a plain `str` column (the frame itself if it has none).

    Equal to frame.astype({c: str for c in cats}) (tests/unit/test_snapshot.py compares them), at about half
    its cost on the small frames a request reads: each column is its categories as text, taken by code (a
    column with a missing cell goes through astype, which writes it as astype does)."""
    cats = {c for c, dtype in frame.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)}
    if not cats:
        return frame
    if frame.columns.has_duplicates:
        return frame.astype({c: str for c in cats})
    out: dict = {}
    for name in frame.columns:
        column = frame[name]
        if name in cats:
            codes = column.cat.codes.to_numpy()
            if len(codes) and codes.min() < 0:
                out[name] = column.astype(str)
            else:
                out[name] = pd.Series(column.cat.categories.astype(str).take(codes), index=frame.index, name=name)
        else:
            out[name] = column
    # copy=False: the other columns are the frame's own arrays, not copies (copy-on-write keeps the two frames
    # apart); 0.38 -> 0.22 s at 1M rows.
    return pd.DataFrame(out, index=frame.index, columns=frame.columns, copy=False)


def load_bundled(folder: Path = BUNDLED, version: int = 1, updated: str = "") -> Dataset:
    """The bundled report + Fingertips CSVs as one Dataset."""
    report_first = lambda path: ("fingertips" in path.name, path.name)  # noqa: E731
    indicators = pd.concat([read_csv_text(p) for p in sorted(folder.glob("indicators*.csv"), key=report_first)], ignore_index=True)
    observations = pd.concat([read_csv_text(p) for p in sorted(folder.glob("*_observations.csv"), key=report_first)], ignore_index=True)
    return build_dataset(indicators, observations, version, updated or "Annual Report 2023/24 (December 2024)")
