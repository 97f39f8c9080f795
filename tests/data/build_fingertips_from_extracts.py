"""Build tests/data/fingertips-from-extracts.csv: the shared Fingertips extracts in the layout of a
Fingertips "Download data" CSV (27 columns, read by name), every area they hold.

    python tests/data/build_fingertips_from_extracts.py

Only the real cells are copied: Indicator ID (from fingertips/PROVENANCE.md's table), Indicator Name
(the extract's `indicator`), Area Code, Area Name, Sex (the extract's `unit` column, "Persons"),
Time period, Value ("NA" -> empty: missing, never zero), Compared to England (the extract's
`significance`) and Time period Sortable (the first year of the label, as Fingertips writes it).
Every other column is left empty: the extracts do not have it (no confidence intervals, counts,
denominators, ages or area types; and no deprivation rows: the extracts hold area totals only).
active_children.csv is left out: PROVENANCE.md gives no Fingertips indicator id for it.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXTRACTS = HERE / "fingertips" / "extracts"
OUT = HERE / "fingertips-from-extracts.csv"

# fingertips/PROVENANCE.md: file -> Fingertips indicator id
IDS = {
    "excess_weight_reception.csv": "20601",
    "excess_weight_year6.csv": "20602",
    "admissions_self_harm_young_people.csv": "90813",
    "dental_decay.csv": "92441",
    "neets.csv": "93203",
    "school_readiness_fsm.csv": "90632",
    "low_income_families.csv": "10101",
}
HEADER = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type",
          "Sex", "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
          "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
          "Value note", "Recent Trend", "Compared to England value or percentiles",
          "Compared to Region value or percentiles", "Time period Sortable", "New data", "Compared to goal",
          "Time period range"]


def sortable(period: str) -> str:
    return re.match(r"\d{4}", period).group(0) + "0000"


def main() -> None:
    rows = []
    for name, ft in IDS.items():
        with open(EXTRACTS / name, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                out = dict.fromkeys(HEADER, "")
                out.update({
                    "Indicator ID": ft, "Indicator Name": r["indicator"], "Area Code": r["area_code"],
                    "Area Name": r["area_name"], "Sex": r["unit"], "Time period": r["period"],
                    "Value": "" if r["value"] == "NA" else r["value"],
                    "Compared to England value or percentiles": r["significance"],
                    "Time period Sortable": sortable(r["period"]),
                })
                rows.append(out)
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{OUT.name}: {len(rows):,} rows")


if __name__ == "__main__":
    main()
