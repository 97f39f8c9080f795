"""The project's upload template: the observation columns of data/domain/schema.py, plus optional
indicator metadata columns (indicator_name, set, unit, polarity, definition, age_band) that create
an indicator the catalogue does not have yet. The blank template itself is data/ingest/template.py."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from data.domain.schema import INDICATOR_COLUMNS, OBSERVATION_COLUMNS, OBSERVATION_REQUIRED, Problem, validate_indicators
from data.ingest.containers.table import Table
from data.ingest.formats.base import Mapped, catalogue_ids, column_reader, empty_indicators, find_columns, normalised

# Template columns that describe an indicator the catalogue does not have yet.
METADATA_COLUMNS = ("indicator_name", "set", "unit", "polarity", "definition", "age_band")
METADATA_REQUIRED = ("indicator_name", "set", "unit", "polarity")
TEMPLATE_COLUMNS = OBSERVATION_COLUMNS + METADATA_COLUMNS

# Names only the template has (Fingertips' "Indicator ID" has a space, the template's an underscore).
SIGNATURE = frozenset({"indicator_id", "area_code", "area_name", "period", "period_type", "category_type",
                       "lower_ci", "upper_ci", "indicator_name"})


class TemplateFormat:
    name = "template"
    required_columns: tuple[str, ...] = tuple(OBSERVATION_REQUIRED)

    def sniff(self, header: Sequence[str]) -> bool:
        return bool({normalised(h) for h in header} & SIGNATURE)

    def to_observations(self, table: Table, catalogue: pd.DataFrame, *, filename: str,
                        observations: pd.DataFrame | None = None) -> Mapped:
        header = table.names
        known = {c: c for c in TEMPLATE_COLUMNS}
        where, header_problems = find_columns(header, known, self.required_columns)
        header_problems += [Problem(None, h, "unknown column") for h in header
                            if normalised(h) not in known and not h.startswith("(unnamed column ")]
        if header_problems:
            return Mapped(header_problems)
        column = column_reader(table, where)
        frame = pd.DataFrame({c: column(c) for c in OBSERVATION_COLUMNS}, columns=list(OBSERVATION_COLUMNS), dtype=object)
        sources = frame["source"].to_numpy(dtype=object)
        frame["source"] = np.where(sources == "", f"Upload: {filename}", sources) if len(sources) else sources
        has_meta = all(c in where for c in METADATA_REQUIRED)
        new: list[dict] = []
        problems: list[Problem] = []
        if has_meta:
            meta = {c: column(c) for c in METADATA_COLUMNS}
            new, problems = _new_indicators(frame, meta, table.numbers, set(catalogue_ids(catalogue)), filename)
        new_frame = pd.DataFrame(new, columns=list(INDICATOR_COLUMNS), dtype=object) if new else empty_indicators()
        hint = (": fill indicator_name, set, unit and polarity on one of its rows to create it" if has_meta
                else ": add indicator_name, set, unit and polarity columns to create it")

        def reword(p: Problem) -> Problem:  # say how to create the indicator an unknown id names
            if p.column == "indicator_id" and p.message.startswith("unknown indicator '"):
                return Problem(p.row, p.column, p.message + hint)
            return p

        return Mapped(rows=frame, new_indicators=new_frame, problems=problems, reword=reword)


def _new_indicators(frame, meta, numbers, known_ids, name) -> tuple[list[dict], list[Problem]]:
    """One indicator for each unknown indicator_id whose rows give its metadata."""
    problems: list[Problem] = []
    defined: dict[str, tuple[int, dict]] = {}  # id -> (row number, indicator)
    ids = frame["indicator_id"].to_numpy(dtype=object)
    unknown = (ids != "") & ~pd.Series(ids, dtype=object).isin(list(known_ids)).to_numpy(dtype=bool)
    for k in np.flatnonzero(unknown).tolist():  # only rows of unknown indicators can describe one
        ind_id = ids[k]
        given = {c: meta[c][k] for c in METADATA_COLUMNS}
        if not any(given[c] for c in METADATA_REQUIRED):
            continue  # a further row of the indicator (or none of its rows describes it)
        if ind_id not in defined:
            defined[ind_id] = (numbers[k], {
                "id": ind_id, "name": given["indicator_name"], "set": given["set"], "age_band": given["age_band"],
                "unit": given["unit"], "polarity": given["polarity"], "definition": given["definition"],
                "source": frame["source"].iat[k], "fingertips_id": "", "expected_update_for": "",
                "expected_update": "", "note": f"Created from an upload ({name}, row {numbers[k]}).",
            })
            continue
        first_row, first = defined[ind_id]
        for col, key in (("indicator_name", "name"), ("set", "set"), ("unit", "unit"), ("polarity", "polarity"),
                         ("definition", "definition"), ("age_band", "age_band")):
            if given[col] and given[col] != first[key]:
                problems.append(Problem(numbers[k], col, f"'{given[col]}' differs from row {first_row} "
                                                         f"for the new indicator '{ind_id}' ('{first[key]}')"))
    candidates = [ind for _, ind in defined.values()]
    rows = [row for row, _ in defined.values()]
    columns = {"id": "indicator_id", "name": "indicator_name"}
    if candidates:
        for p in validate_indicators(pd.DataFrame(candidates, columns=list(INDICATOR_COLUMNS))):
            column = columns.get(p.column, p.column) if p.column else p.column
            problems.append(Problem(rows[p.row - 1] if p.row else None, column, p.message))
    return candidates, problems


FORMAT = TemplateFormat()
