"""Rebuild the recorded Fingertips answer all_data_20601.csv from the real extract (run from the repo root):

    python tests/data/fingertips_api/make_recorded.py

The extract (tests/data/fingertips/extracts/excess_weight_reception.csv, OHID Fingertips, OGL v3.0) is
rewritten in the "Download data" CSV layout the Fingertips API's all_data/csv endpoint answers in
(the 26-column header of tests/data/fingertips/raw-download-example.csv). Only England and the upper-tier
areas (E06/E08/E09/E10 codes: County & UA) are kept, as an upper-tier area type answers; every value is
the extract's own text ("NA" becomes an empty Value). Columns the extract does not carry (parent area,
confidence limits, count, denominator, trend) stay empty: nothing is made up.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXTRACT = HERE.parent / "fingertips" / "extracts" / "excess_weight_reception.csv"
HEADER = HERE.parent / "fingertips" / "raw-download-example.csv"
OUT = HERE / "all_data_20601.csv"
INDICATOR_ID = "20601"
UPPER_TIER = ("E06", "E08", "E09", "E10")


def sortable(period: str) -> str:
    """Fingertips' "Time period Sortable" for a yearly label: 2006/07 -> 20060000, 2015 -> 20150000."""
    return period[:4] + "0000"


def build() -> str:
    with HEADER.open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    with EXTRACT.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for rec in rows:
        code = rec["area_code"]
        if code != "E92000001" and not code.startswith(UPPER_TIER):
            continue
        value = "" if rec["value"] == "NA" else rec["value"]
        row = dict.fromkeys(header, "")
        row.update({
            "Indicator ID": INDICATOR_ID, "Indicator Name": rec["indicator"], "Area Code": code,
            "Area Name": rec["area_name"], "Area Type": "England" if code == "E92000001" else "County & UA",
            "Sex": rec["unit"], "Age": "4-5 yrs", "Time period": rec["period"], "Value": value,
            "Compared to England value or percentiles": rec["significance"],
            "Time period Sortable": sortable(rec["period"]),
        })
        writer.writerow([row[h] for h in header])
    return out.getvalue()


if __name__ == "__main__":
    OUT.write_bytes(build().encode("utf-8"))
    print(f"wrote {OUT}")
