"""TEST FIXTURE, NOT REAL DATA AND NOT A SUPPORTED FORMAT: a made-up, DfE-like upload format, to show
that a new format is one module (see test_upload_formats.py, which registers it only for its tests).

The layout (invented for the tests, loosely like a DfE statistics extract): one row per area, year
and measure, with columns time_period (an academic year as 202223), la_code, la_name, measure
and value. Its measures are mapped to indicators of the bundled catalogue."""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import pandas as pd

from data.domain.schema import OBSERVATION_COLUMNS
from data.ingest.containers.table import Table
from data.ingest.formats.base import Mapped, column_reader, find_columns, normalised

# measure -> catalogue indicator id (made up for the tests)
MEASURES = {"overweight_year6_pct": "year6-overweight", "overweight_reception_pct": "reception-overweight"}
_YEAR = re.compile(r"(\d{4})(\d{2})")


class ExampleDfeLikeFormat:
    name = "example-dfe-like"
    required_columns: tuple[str, ...] = ("time_period", "la_code", "la_name", "measure", "value")

    def sniff(self, header: Sequence[str]) -> bool:
        return {"time_period", "la_code", "la_name"} <= {normalised(h) for h in header}

    def to_observations(self, table: Table, catalogue: pd.DataFrame, *, filename: str,
                        observations: pd.DataFrame | None = None) -> Mapped:
        where, header_problems = find_columns(table.names, {c: c for c in self.required_columns}, self.required_columns)
        if header_problems:
            return Mapped(header_problems)
        column = column_reader(table, where)
        rows = {c: np.full(len(table), "", dtype=object) for c in OBSERVATION_COLUMNS}
        rows["indicator_id"] = np.array([MEASURES.get(m, m) for m in column("measure")], dtype=object)
        rows["area_code"], rows["area_name"], rows["value"] = column("la_code"), column("la_name"), column("value")
        # 202223 -> 2022/23, an academic year; anything else is left for validation to name
        rows["period"] = np.array([_YEAR.sub(r"\1/\2", p) if _YEAR.fullmatch(p) else p for p in column("time_period")],
                                  dtype=object)
        rows["period_type"] = np.full(len(table), "academic year", dtype=object)
        rows["source"] = np.full(len(table), f"Example DfE-like extract ({filename})", dtype=object)
        frame = pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS), dtype=object)
        labels = {"indicator_id": table.names[where["measure"]], "period": table.names[where["time_period"]],
                  "area_code": table.names[where["la_code"]], "area_name": table.names[where["la_name"]],
                  "value": table.names[where["value"]]}
        return Mapped(rows=frame, column_labels=labels)


FORMAT = ExampleDfeLikeFormat()
