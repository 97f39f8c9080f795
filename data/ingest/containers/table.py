"""One table, whatever the container: header names, and the data rows by column with their row numbers.

Every container (CSV, .xlsx) hands its records, held by column, to tidy_columns, so the rules for
a header, blank rows, short rows and unnamed columns are written once."""
from __future__ import annotations

from typing import Callable

import numpy as np

from data.domain.schema import Problem
from data.ingest.containers import limits

Stage = Callable[[str, float], None]  # stage(name, fraction done): progress for the upload page


class Refused(Exception):
    """The file cannot be read any further; carries the problems that say why."""

    def __init__(self, *problems: Problem):
        super().__init__(problems[0].message if problems else "")
        self.problems = list(problems)


class Table:
    """The tidied data rows, by column, one object array of stripped text per column.

    A column is stripped (and its blank records dropped) when first asked for: a Fingertips
    download has 26 columns and the importer reads 15."""

    def __init__(self, names: list[str], numbers: list[int], columns: list[np.ndarray], keep_rows=None, tidy=None,
                 plain: bool = False):
        self.names = names  # column names (the header's, or "(unnamed column N)")
        self.numbers = numbers  # each row's 1-based data row number (blank records are skipped but counted)
        self._columns: list = list(columns)  # None once dropped (drop_unread)
        self._keep_rows = keep_rows  # rows of the raw columns that are kept (None: all)
        self._tidy = list(tidy) if tidy is not None else [True] * len(columns)  # already stripped and cut?
        self._plain = plain  # no cell has white space to strip (the container checked): a column is only cut

    def __len__(self) -> int:
        return len(self.numbers)

    def column(self, j: int) -> np.ndarray:
        if not self._tidy[j]:
            values = self._columns[j] if self._keep_rows is None else self._columns[j][self._keep_rows]
            self._columns[j] = values if self._plain else stripped(values)
            self._tidy[j] = True
        return self._columns[j]

    def drop_unread(self) -> None:
        """Let go of the columns nobody asked for (a Fingertips download's 11 unused ones: ~100 MB at 1M rows)."""
        for j, tidy in enumerate(self._tidy):
            if not tidy:
                self._columns[j] = None


    def release(self) -> None:
        """Let go of every column (a format calls it once it has taken the columns it needs): the
        names, the row numbers and the length stay."""
        self._columns = [None] * len(self._columns)
        self._tidy = [True] * len(self._tidy)


def stripped(values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(str.strip, values), dtype=object, count=len(values))


def blanks(n: int) -> np.ndarray:
    return np.full(n, "", dtype=object)


def tidy_columns(arrays: list[np.ndarray], plain: bool = False) -> tuple[Table, list[Problem]]:
    """The table of records held by column (arrays[j][r]: field j of record r, record 0 the header,
    '' where a record is short): header names stripped, blank records dropped (their numbers kept),
    unnamed columns kept only when some row has a value in them. plain: the container found that no
    data cell starts or ends with white space, so stripping them would change none (it is skipped)."""
    if not arrays:  # records without a single field (a header line that is only a BOM): no columns, no rows
        return Table([], [], []), []
    header = [str(a[0]).replace("\ufeff", "").strip() for a in arrays]
    raw = [a[1:] for a in arrays]
    n = len(raw[0])
    # Blank records: every field empty once stripped (checked on the few rows whose first field is).
    first = raw[0] if plain else stripped(raw[0])
    blank = np.flatnonzero(first == "")
    for col in raw[1:]:
        if not len(blank):
            break
        blank = blank[stripped(col[blank]) == ""]
    keep_rows = None
    if len(blank):
        keep_rows = np.ones(n, dtype=bool)
        keep_rows[blank] = False
        first = first[keep_rows]
    numbers = (np.flatnonzero(keep_rows) + 1).tolist() if keep_rows is not None else list(range(1, n + 1))
    table = Table(header, numbers, [first] + raw[1:], keep_rows, [True] + [False] * (len(raw) - 1), plain)
    used = [bool(h) or bool((table.column(j) != "").any()) for j, h in enumerate(header)]
    keep = [j for j in range(len(header)) if used[j]]
    if len(keep) > limits.MAX_COLUMNS:
        raise Refused(Problem(None, None, f"the file has more than {limits.MAX_COLUMNS} columns ({len(keep)})"))
    problems = []
    for j in keep:
        if not header[j]:
            at = int(np.flatnonzero(table.column(j) != "")[0])
            problems.append(Problem(numbers[at], f"(unnamed column {j + 1})", "has values but no name in the header row"))
    names = [header[j] or f"(unnamed column {j + 1})" for j in keep]
    kept = Table(names, numbers, [table._columns[j] for j in keep], keep_rows, [table._tidy[j] for j in keep], plain)
    return kept, problems


def columns_of(records: list[list[str]]) -> list[np.ndarray]:
    """Records (lists of text, any lengths) as one object array per column, '' where a record is short."""
    width = max(map(len, records), default=0)
    return [np.array([r[j] if j < len(r) else "" for r in records], dtype=object) for j in range(width)]
