"""A Fingertips "Download data" CSV (26 or 27 columns, read by column NAME; also saved as .xlsx).

Each Fingertips indicator maps to the catalogue indicator with its fingertips_id, or becomes a
new indicator (set FINGERTIPS_SET, unit inferred from its name). Sex (unless Persons) and Age
(unless the indicator's headline age) become categories."""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import pandas as pd

from data.domain.periods import PeriodError, parse_period
from data.domain.schema import INDICATOR_COLUMNS, OBSERVATION_COLUMNS, SETS, Problem, group_ids, validate_indicators
from data.ingest.containers.table import Table, blanks
from data.ingest.formats import fingertips_meta
from data.ingest.formats.base import Mapped, catalogue_ids, column_reader, empty_indicators, find_columns, normalised

FINGERTIPS_SET = "Fingertips indicators"
FINGERTIPS_LICENCE = "OHID Fingertips, OGL v3.0"
FINGERTIPS_NOTE = "Created from a Fingertips download; unit inferred from the indicator name."

assert FINGERTIPS_SET in SETS

# Fingertips column (lower case, single spaces) -> observation column it fills.
_ID, _NAME = "indicator id", "indicator name"
_COLUMNS = {
    "area code": "area_code",
    "area name": "area_name",
    "time period": "period",
    "value": "value",
    "lower ci 95.0 limit": "lower_ci",
    "upper ci 95.0 limit": "upper_ci",
    "count": "count",
    "denominator": "denominator",
    "value note": "note",
}
_OPTIONAL = ("category type", "category", "sex", "age")
# Read for what they say about a new indicator (fingertips_meta): its polarity, period basis, unit;
# "Compared to England" is also kept in each area-total row's note ("Compared with England: Better").
_TREND, _COMPARED, _RANGE, _VALUE_TYPE = "recent trend", "compared to england value or percentiles", "time period range", "value type"
_META = (_TREND, _COMPARED, _RANGE, _VALUE_TYPE)
# Names only a Fingertips download has; two of them make a header Fingertips'.
SIGNATURE = frozenset({_ID, _NAME, "area code", "area name", "time period", "lower ci 95.0 limit",
                       "upper ci 95.0 limit", "value note", "time period sortable", "area type"})
_DISPLAY = {"indicator id": "Indicator ID", "indicator name": "Indicator Name", "area code": "Area Code",
            "area name": "Area Name", "time period": "Time period", "value": "Value"}


class FingertipsFormat:
    name = "fingertips"
    required_columns: tuple[str, ...] = (_ID, _NAME, "area code", "area name", "time period", "value")

    def sniff(self, header: Sequence[str]) -> bool:
        return len({normalised(h) for h in header} & SIGNATURE) >= 2

    def to_observations(self, table: Table, catalogue: pd.DataFrame, *, filename: str,
                        observations: pd.DataFrame | None = None) -> Mapped:
        header = table.names
        known = {k: k for k in (_ID, _NAME, *_COLUMNS, *_OPTIONAL, *_META)}
        where, header_problems = find_columns(header, known, ())
        header_problems += [Problem(None, _DISPLAY.get(c, c), "required column is missing")
                            for c in self.required_columns if c not in where]
        if header_problems:
            return Mapped(header_problems)
        label = {key: header[j] for key, j in where.items()}  # the file's own spelling, for problems
        n = len(table)
        column = column_reader(table, where)
        numbers = table.numbers
        ft_ids, ft_names = column(_ID), column(_NAME)
        sexes, ages = column("sex"), column("age")
        cat_types, cats = column("category type"), column("category")

        by_fingertips_id: dict[str, str] = {}
        if "fingertips_id" in catalogue.columns:
            for ind_id, ft in zip(catalogue_ids(catalogue), catalogue["fingertips_id"], strict=True):
                ft = _fingertips_number(str(ft) if ft is not None and ft == ft else "")
                if ft:
                    by_fingertips_id.setdefault(ft, ind_id)
        known_ids = set(catalogue_ids(catalogue))

        # Each row's Fingertips number (each distinct cell read once); rows grouped by it, first seen first.
        raw_codes, raw_uniques = pd.factorize(ft_ids)
        ft_rows = np.array([_fingertips_number(r) for r in raw_uniques], dtype=object)[raw_codes] if n else blanks(0)
        own: list[Problem] = []
        for k in np.flatnonzero((ft_rows == "") & (ft_ids != "")).tolist():
            own.append(Problem(numbers[k], label[_ID], f"'{ft_ids[k]}' is not a Fingertips indicator ID (a whole number)"))
        ft_codes, ft_uniques = pd.factorize(ft_rows)
        fts = list(ft_uniques)
        order = np.argsort(ft_codes, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(ft_codes, minlength=len(fts)))))

        # Per Fingertips indicator: the catalogue indicator, or a new one; the headline age.
        new: list[dict] = []
        first_rows: list[int] = []  # each new indicator's first row, for its problems
        target: dict[str, str] = {}
        default_age: dict[str, str | None] = {}
        for g, ft in enumerate(fts):
            if not ft:
                continue
            ks = order[bounds[g]:bounds[g + 1]]  # the indicator's rows, in file order
            names_of = ft_names[ks]
            named = np.flatnonzero(names_of != "")
            ind_name = " ".join(names_of[named[0]].split()) if len(named) else ""
            default_age[ft] = _default_age(ages[ks], cat_types[ks], ind_name)
            ind_id = by_fingertips_id.get(ft) or f"fingertips-{ft}"
            target[ft] = ind_id
            if ind_id not in known_ids:
                new.append({
                    "id": ind_id, "name": ind_name, "set": FINGERTIPS_SET, "age_band": "", "unit": infer_unit(ind_name),
                    "polarity": "no judgement", "definition": "", "source": f"{FINGERTIPS_LICENCE} (indicator {ft})",
                    "fingertips_id": ft, "expected_update_for": "", "expected_update": "", "note": FINGERTIPS_NOTE,
                })
                first_rows.append(numbers[int(ks[0])])
        if new:  # checked together (row i: the i-th new indicator; their ids are distinct, so none repeats)
            for p in validate_indicators(pd.DataFrame(new, columns=list(INDICATOR_COLUMNS))):
                own.append(Problem(first_rows[p.row - 1] if p.row else None, label[_NAME] if p.column == "name" else label[_ID],
                                   p.message))

        obs: dict[str, np.ndarray] = {}  # the columns the file fills; blanks for the rest when the frame is made
        for key, col in _COLUMNS.items():
            if key in where:
                obs[col] = column(key)
        per_ft = lambda values: np.array(values, dtype=object)[ft_codes] if n else blanks(0)  # noqa: E731
        obs["indicator_id"] = per_ft([target.get(ft, "") for ft in fts])
        obs["source"] = per_ft([f"{FINGERTIPS_LICENCE} (indicator {ft}, {filename})" if ft
                                else f"{FINGERTIPS_LICENCE} ({filename})" for ft in fts])
        obs["category_type"], obs["category"] = _categories(cat_types, cats, sexes, ages, ft_codes, fts, default_age)
        if _COMPARED in where and n:
            obs["note"] = with_comparison(obs.get("note", blanks(n)), column(_COMPARED), obs["category_type"])
        hints = {}
        if new:
            meta = {key: column(key) for key in (*_META, "value note")}  # the file's own notes, before comparisons
            coded = {key: Coded(values) for key, values in (("value type", meta[_VALUE_TYPE]), ("value note", meta["value note"]),
                                                            ("period", obs["period"]), ("range", meta[_RANGE]))}
            has_age = "age" in where
            for g, ft in enumerate(fts):
                if ft and target[ft] not in known_ids:
                    ks = order[bounds[g]:bounds[g + 1]]
                    headline = default_age.get(ft) or ages[ks[0]]  # one age, or the headline one
                    hints[target[ft]] = _hints(next(r["name"] for r in new if r["id"] == target[ft]), ks, obs, meta,
                                               headline if has_age else None, coded)
        # The frame takes the columns as they are (not copied into one block), each its own array (no two
        # share one); the table lets go of its columns, so the text table and the rows are not held together.
        table.release()
        columns = {c: obs.pop(c) if c in obs else blanks(n) for c in OBSERVATION_COLUMNS}
        frame = pd.DataFrame(columns, columns=list(OBSERVATION_COLUMNS), dtype=object, copy=False)
        del columns
        if observations is not None:
            frame["period_type"] = _known_period_types(frame, observations, known_ids)

        labels = {col: label.get(key, key) for key, col in _COLUMNS.items()}
        labels.update({"indicator_id": label[_ID], "source": label[_ID]})
        for col, key in (("category_type", "category type"), ("category", "category")):
            labels[col] = label.get(key, col)
        new_frame = pd.DataFrame(new, columns=list(INDICATOR_COLUMNS), dtype=object) if new else empty_indicators()
        return Mapped(rows=frame, new_indicators=new_frame, problems=own, column_labels=labels, hints=hints)


def _hints(name: str, ks: np.ndarray, obs: dict, meta: dict, age: str | None, coded: dict[str, Coded]) -> dict:
    """What the file says about one new indicator (rows ks): fingertips_meta's readings, by field."""
    totals = ks[(obs["category_type"][ks] == "")] if len(ks) else ks
    out = {"name": fingertips_meta.hint(name, "the file's Indicator Name") if name else None,
           "unit": fingertips_meta.unit_of(name, coded["value type"].distinct(ks), coded["value note"].distinct(ks)),
           "polarity": fingertips_meta.polarity_of_columns(obs["area_code"][totals], obs["period"][totals], obs["value"][totals],
                                                           meta[_COMPARED][totals], meta[_TREND][totals]),
           "period_basis": fingertips_meta.period_basis_of(name, coded["period"].distinct(ks), coded["range"].distinct(ks)),
           "age_band": fingertips_meta.age_band_of(age)}
    return {field: h for field, h in out.items() if h is not None}


COMPARED_PREFIX = "Compared with England: "
_COMPARED_WORD = re.compile(r"^(better|similar|worse|higher|lower)\b", re.I)


def comparison_word(cell: str) -> str:
    """Fingertips' "Compared to England" label as one word: "Better 95%" -> "Better", "Worse 99.8%" ->
    "Worse", "Similar" -> "Similar"; "" for "Not compared", a blank cell or a percentile label."""
    found = _COMPARED_WORD.match(str(cell).strip())
    return found.group(1).capitalize() if found else ""


def with_comparison(notes: np.ndarray, compared: np.ndarray, category_types: np.ndarray) -> np.ndarray:
    """Each area-total row's note with Fingertips' own comparison appended ("Compared with England: Better",
    after any value note with "; "); breakdown rows and rows without a comparison keep their note."""
    codes, uniques = pd.factorize(np.asarray(compared, dtype=object))
    # each distinct label read once; code -1 (no value) is the last entry, ""
    stated = np.array([COMPARED_PREFIX + w if w else "" for w in map(comparison_word, uniques)] + [""], dtype=object)[codes]
    out = np.asarray(notes, dtype=object).copy()
    at = (stated != "") & (np.asarray(category_types, dtype=object) == "")
    if at.any():
        before = out[at]
        out[at] = np.where(before != "", before + "; " + stated[at], stated[at])
    return out


class Coded:
    """A column's cells factorized once, so each indicator's distinct cells (rows ks) are found on integers."""

    def __init__(self, values: np.ndarray):
        self.codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
        self.uniques = np.asarray(uniques, dtype=object)

    def distinct(self, ks: np.ndarray) -> list[str]:
        """_distinct(values[ks]): the non-empty cells of rows ks, each once, in order of first appearance."""
        codes = self.codes[ks]
        if not len(codes):
            return []
        seen, first = np.unique(codes, return_index=True)
        return [v for v in self.uniques[seen[np.argsort(first, kind="stable")]].tolist() if v]


def _distinct(values) -> list[str]:
    """The non-empty cells, each once, in order of first appearance (as dict.fromkeys)."""
    return [v for v in pd.unique(np.asarray(values, dtype=object)).tolist() if v]


def infer_unit(indicator_name: str) -> str:
    """The unit a Fingertips indicator name implies: %, rate per 100,000, rate per 1,000 or count."""
    text = indicator_name.lower()
    if "%" in text or "percentage" in text or "proportion" in text:
        return "%"
    if re.search(r"(?<![\d,])100[, ]?000(?![\d,])", text):
        return "rate per 100,000"
    if re.search(r"(?<![\d,])1[, ]?000(?![\d,])", text):
        return "rate per 1,000"
    return "count"


def _default_age(ages, category_types, indicator_name: str) -> str | None:
    """The age of an indicator's headline figures when its rows have more than one age.

    ages, category_types: the indicator's rows' cells, in file order (lists or object arrays)."""
    codes, uniques = pd.factorize(np.asarray(ages, dtype=object))  # first-seen order, as dict.fromkeys
    distinct = list(uniques)
    if len(distinct) <= 1:
        return None
    if "All ages" in distinct:
        return "All ages"
    name = indicator_name.lower().replace(" ", "")
    for age in distinct:  # the age the indicator's name states, e.g. "(10-24 yrs)"
        span = re.match(r"^(\d+\+?(?:-\d+)?)", age.replace(" ", ""))
        if span and re.search(rf"(?<!\d){re.escape(span.group(1))}(?!\d)", name):
            return age
    has_type = np.asarray(category_types, dtype=object) != ""
    with_category = np.unique(codes[has_type])
    if len(with_category) == 1:  # breakdowns (deprivation deciles) are published for the headline age
        return distinct[with_category[0]]
    plain = codes[~has_type]
    if not len(plain):
        return distinct[0]
    # The most frequent age of the rows without a category; a tie goes to the one seen first (as Counter).
    counts = np.bincount(plain, minlength=len(distinct))
    seen, first = np.unique(plain, return_index=True)
    tied = counts[seen] == counts.max()
    return distinct[seen[tied][np.argmin(first[tied])]]


def _categories(cat_types, cats, sexes, ages, ft_codes, fts, default_age) -> tuple[np.ndarray, np.ndarray]:
    """(category_type, category) of each row: the file's category, then Sex unless Persons, then Age
    unless the indicator's headline age; each distinct combination worked out once."""
    n = len(cat_types)
    if not n:
        return blanks(0), blanks(0)
    group, first = group_ids(cat_types, cats, sexes, ages, ft_codes)
    types, values = [], []
    for k in first.tolist():
        parts = []
        if cat_types[k] or cats[k]:
            parts.append((cat_types[k], cats[k]))
        if sexes[k] and sexes[k].lower() != "persons":
            parts.append(("Sex", sexes[k]))
        headline = default_age.get(fts[ft_codes[k]])
        if ages[k] and headline is not None and ages[k] != headline:
            parts.append(("Age", ages[k]))
        types.append(" / ".join(t for t, _ in parts))
        values.append(" / ".join(c for _, c in parts))
    return np.array(types, dtype=object)[group], np.array(values, dtype=object)[group]


def _fingertips_number(text: str) -> str:
    text = text.strip()
    if text.endswith(".0"):  # a spreadsheet may have turned 93356 into 93356.0
        text = text[:-2]
    return str(int(text)) if text.isascii() and text.isdigit() else ""


def _known_period_types(frame: pd.DataFrame, observations: pd.DataFrame, known_ids: set[str]):
    """For rows of an indicator already held, the period type the store uses for that label."""
    need = {"indicator_id", "period", "period_type"}
    if not need <= set(observations.columns) or observations.empty:
        return frame["period_type"].to_numpy(dtype=object).copy()
    held = observations[observations["indicator_id"].isin(known_ids & set(frame["indicator_id"]))]
    held_rows = zip(held["indicator_id"], held["period"], held["period_type"], strict=True)
    by_label = {(i, str(p)): str(t) for i, p, t in held_rows if t == t and t}
    single = {}
    for ind_id, types in held.groupby("indicator_id")["period_type"]:
        distinct = {str(t) for t in types if t == t and t}
        if len(distinct) == 1:
            single[ind_id] = distinct.pop()
    ids, periods, ptypes = (frame[c].to_numpy(dtype=object) for c in ("indicator_id", "period", "period_type"))
    if not len(ids) or not (by_label or single):
        return ptypes.copy()  # nothing held to take a type from: every row keeps its own
    group, first = group_ids(ids, periods, ptypes)
    out = []
    for k in first.tolist():  # each distinct (indicator, label, type) once
        ind_id, period, ptype = ids[k], periods[k], ptypes[k]
        guess = ptype or by_label.get((ind_id, period)) or single.get(ind_id, "")
        if guess and not ptype:
            try:
                parse_period(period, guess)
            except PeriodError:
                guess = ""
        out.append(ptype or guess)
    return np.array(out, dtype=object)[group]


FORMAT = FingertipsFormat()
