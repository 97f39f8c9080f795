"""The upload template: the header read_upload expects, with example rows from the bundled data.

The example rows are real bundled figures, so the template read back by
data.ingest.importer.read_upload is valid and gives those same values. The metadata
columns (indicator_name ... age_band) are only used to create an indicator the
catalogue does not have yet; for an indicator it already has they are ignored.
"""
from __future__ import annotations

import csv
import io

import pandas as pd

from data.domain.dataset import Dataset, load_bundled
from data.domain.schema import NUMERIC_OBSERVATION_COLUMNS, OBSERVATION_COLUMNS
from data.ingest.importer import METADATA_COLUMNS, TEMPLATE_COLUMNS

# (indicator_id, area_code, period) of each example row.
EXAMPLES = (
    ("smoking-at-delivery", "E06000014", "22/23"),
    ("reception-overweight", "E06000014", "22/23"),
    ("hsb-shared-understanding", "E06000014", "June 2023"),
)

_FROM_CATALOGUE = {"indicator_name": "name", "set": "set", "unit": "unit", "polarity": "polarity",
                   "definition": "definition", "age_band": "age_band"}


def _text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(float(value))
    return str(value)


def template_rows(dataset: Dataset | None = None) -> list[dict[str, str]]:
    """The example rows, as text, in TEMPLATE_COLUMNS."""
    dataset = dataset or load_bundled()
    obs = dataset.observations
    rows = []
    for indicator_id, area_code, period in EXAMPLES:
        match = obs[(obs["indicator_id"] == indicator_id) & (obs["area_code"] == area_code) & (obs["period"] == period)
                    & (obs["category_type"] == "")]
        if match.empty:  # the data changed: leave the example out rather than invent one
            continue
        rec = match.iloc[0]
        row = {c: _text(rec[c]) for c in OBSERVATION_COLUMNS}
        for c in NUMERIC_OBSERVATION_COLUMNS:
            row[c] = _text(rec[c])
        indicator = dataset.indicators.loc[indicator_id]
        for col in METADATA_COLUMNS:
            row[col] = _text(indicator[_FROM_CATALOGUE[col]])
        rows.append(row)
    return rows


def template_csv(dataset: Dataset | None = None) -> bytes:
    """The template as CSV bytes: UTF-8 with a BOM (so Excel shows '£' and accents), CRLF line ends."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(TEMPLATE_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(template_rows(dataset))
    return out.getvalue().encode("utf-8-sig")
