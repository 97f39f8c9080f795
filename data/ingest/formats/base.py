"""What an upload format is: a header it recognises, and a mapping of its table to observation rows.

A format knows its columns; reading the file (containers), validating the rows and the result
(data/ingest/importer.py) are shared by every format."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np
import pandas as pd

from data.domain.schema import INDICATOR_COLUMNS, Problem
from data.ingest.containers.table import Table, blanks

__all__ = ["Format", "Mapped", "blanks", "catalogue_ids", "empty_indicators", "find_columns", "normalised"]


@dataclass
class Mapped:
    """What a format makes of a table.

    header_problems: the header cannot be mapped (a required column is missing, ...): nothing
    else is looked at. Otherwise rows (OBSERVATION_COLUMNS, every cell stripped text, aligned
    with table.numbers), the indicators the file creates, the rows' problems the format found,
    the file's name for each observation column it fills (so validation's problems name the
    file's columns), and a rewording of the problems (a hint on how to fix them) if any."""

    header_problems: list[Problem] = field(default_factory=list)
    rows: pd.DataFrame | None = None
    new_indicators: pd.DataFrame = field(default_factory=lambda: empty_indicators())
    problems: list[Problem] = field(default_factory=list)
    column_labels: dict[str, str] = field(default_factory=dict)
    reword: Callable[[Problem], Problem] | None = None
    # What the file says about each new indicator (id -> field -> {"value", "from"}): fingertips_meta.
    hints: dict[str, dict] = field(default_factory=dict)


@runtime_checkable
class Format(Protocol):
    """An upload format: one module in data/ingest/formats/, listed in formats.FORMATS."""

    name: str  # ImportResult.kind
    required_columns: tuple[str, ...]  # as the header names them (normalised: lower case, single spaces)

    def sniff(self, header: Sequence[str]) -> bool:
        """Whether a header (the table's column names) is this format's."""
        ...

    def to_observations(self, table: Table, catalogue: pd.DataFrame, *, filename: str,
                        observations: pd.DataFrame | None = None) -> Mapped:
        """The table as observation rows. filename: the upload's name, for sources and notes;
        observations: the data already held (Dataset.observations), when given."""
        ...


def normalised(name: str) -> str:
    """A column name as formats compare them: lower case, single spaces."""
    return " ".join(name.lower().split())


def find_columns(header: Sequence[str], known: dict[str, str], required: Sequence[str]) -> tuple[dict[str, int], list[Problem]]:
    """Where each known column is (known: normalised name -> key), and the header's problems
    (a column twice, a required key missing)."""
    where: dict[str, int] = {}
    problems = []
    for j, name in enumerate(header):
        key = known.get(normalised(name))
        if key is None:
            continue
        if key in where:
            problems.append(Problem(None, name, "appears more than once in the header"))
        else:
            where[key] = j
    problems += [Problem(None, c, "required column is missing") for c in required if c not in where]
    return where, problems


def column_reader(table: Table, where: dict[str, int]) -> Callable[[str], np.ndarray]:
    """key -> the table's column at where[key], or blanks when the file does not have it."""
    def column(key: str) -> np.ndarray:
        j = where.get(key)
        return table.column(j) if j is not None else blanks(len(table))
    return column


def catalogue_ids(catalogue: pd.DataFrame) -> list[str]:
    if "id" in catalogue.columns:
        return [str(i) for i in catalogue["id"]]
    return [str(i) for i in catalogue.index]


def empty_indicators() -> pd.DataFrame:
    return pd.DataFrame(columns=list(INDICATOR_COLUMNS), dtype=object)
