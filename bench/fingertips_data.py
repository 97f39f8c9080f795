"""SYNTHETIC data shaped like a Fingertips "Download data" CSV, for the benchmarks only.

Every value here is a plausible random number, not real data: the files are named
``SYNTHETIC-fingertips-<rows>-rows-seed<seed>.csv`` and written under bench/.work/
(git-ignored), never into the app's bundled data.

Shape (as a whole Fingertips profile downloaded for every upper-tier area):
- 151 areas: England (E92000001), York (E06000014) and 149 synthetic upper-tier areas
  (names "Synthetic area NNN", codes E06/E08/E09/E10 + 9xxxxx), each with a real region as parent;
- 15 financial years, 2009/10 .. 2023/24 (Time period Sortable 20090000 ..);
- per area and year: Persons, Male and Female rows; England also has the 10 deprivation
  deciles ("County & UA deprivation deciles in England (IMD2019)");
- indicators numbered from 99001 ("SYNTHETIC benchmark indicator N: ..."), a mix of
  percentages, rates per 100,000 and counts; as many as the row count needs (the last is cut).

The header is the 26-column header PROVENANCE.md gives, verbatim; rows have all 26 fields
(the real files' 25-field rows would make pyarrow's parse floor refuse the file).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

HEADER = (
    "Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,Category Type,"
    "Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Lower CI 99.8 limit,Upper CI 99.8 limit,"
    "Count,Denominator,Value note,Recent Trend,Compared to England value or percentiles,"
    "Compared to Region value or percentiles,Time period Sortable,New data,Compared to goal"
).split(",")
assert len(HEADER) == 26

FIRST_INDICATOR = 99001
YORK, ENGLAND = "E06000014", "E92000001"
YEARS = list(range(2009, 2024))  # 15 financial years
SEXES = ("Persons", "Male", "Female")
DECILE_TYPE = "County & UA deprivation deciles in England (IMD2019)"
DECILES = (
    "Most deprived decile", "Second most deprived decile", "Third most deprived decile",
    "Fourth most deprived decile", "Fifth most deprived decile", "Fifth less deprived decile",
    "Fourth less deprived decile", "Third less deprived decile", "Second least deprived decile",
    "Least deprived decile",
)
REGIONS = (
    ("E12000001", "North East region"), ("E12000002", "North West region"),
    ("E12000003", "Yorkshire and the Humber region"), ("E12000004", "East Midlands region"),
    ("E12000005", "West Midlands region"), ("E12000006", "East of England region"),
    ("E12000007", "London region"), ("E12000008", "South East region"), ("E12000009", "South West region"),
)
# (name template, kind): the kind sets the unit the importer infers from the name and the value range.
TOPICS = (
    ("Children in low income families (under 16s) %", "pct"),
    ("Hospital admissions caused by injuries in children (0-14 years), rate per 100,000", "rate"),
    ("Year 6: prevalence of overweight (including obesity) %", "pct"),
    ("Under 18s conception rate per 100,000", "rate"),
    ("Children killed or seriously injured in road traffic accidents, number", "count"),
    ("Percentage of 16-17 year olds not in education, employment or training", "pct"),
    ("Hospital admissions for asthma (under 19 years), rate per 100,000", "rate"),
    ("Children in care, number", "count"),
)
AREAS_TOTAL = 151


def areas() -> list[tuple[str, str, str, str, str]]:
    """(code, name, area type, parent code, parent name): England and York first."""
    out = [(ENGLAND, "England", "England", "", ""), (YORK, "York", "Counties & UAs (from Apr 2023)", *REGIONS[2])]
    prefixes = ("E06", "E08", "E09", "E10")
    for k in range(1, AREAS_TOTAL - 1):
        code = f"{prefixes[k % 4]}9{k:05d}"
        out.append((code, f"Synthetic area {k:03d}", "Counties & UAs (from Apr 2023)", *REGIONS[k % len(REGIONS)]))
    return out


def file_name(rows: int, seed: int) -> str:
    return f"SYNTHETIC-fingertips-{rows}-rows-seed{seed}.csv"


def indicator_ids(rows: int) -> list[str]:
    """The Fingertips indicator IDs a file of this many rows holds (in file order)."""
    per = rows_per_indicator()
    return [str(FIRST_INDICATOR + k) for k in range(-(-rows // per))]


def rows_per_indicator() -> int:
    return len(YEARS) * (AREAS_TOTAL * len(SEXES) + len(DECILES))


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def write(path: Path, rows: int, seed: int = 1) -> Path:
    """Write exactly `rows` data rows (plus the header) to path; returns path."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    area_list = areas()
    tmp = path.with_suffix(".tmp")
    written = 0
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(HEADER)
        k = 0
        while written < rows:
            ind = FIRST_INDICATOR + k
            topic, kind = TOPICS[k % len(TOPICS)]
            name = f"SYNTHETIC benchmark indicator {ind}: {topic}"
            base = {"pct": rng.uniform(5, 60), "rate": rng.uniform(50, 900), "count": rng.uniform(20, 400)}[kind]
            area_level = rng.normal(1.0, 0.15, size=len(area_list)).clip(0.4, 1.8)
            batch = []
            for year in YEARS:
                trend = 1.0 + 0.01 * (year - YEARS[0]) * rng.normal(0, 1)
                period, sortable = f"{year}/{str(year + 1)[-2:]}", f"{year}0000"
                for a, (code, aname, atype, pcode, pname) in enumerate(area_list):
                    breakdowns = [(s, "", "") for s in SEXES]
                    if code == ENGLAND:
                        breakdowns += [("Persons", DECILE_TYPE, f"{d} (IMD2019)") for d in DECILES]
                    for sex, ctype, cat in breakdowns:
                        scale = area_level[a] * trend * (1.0 if sex == "Persons" else rng.uniform(0.85, 1.15))
                        if ctype:
                            scale *= 1.4 - 0.08 * DECILES.index(cat.replace(" (IMD2019)", ""))
                        value = max(0.0, base * scale * rng.normal(1.0, 0.03))
                        if kind == "pct":
                            value = min(value, 99.0)
                            denom = int(rng.integers(800, 20000))
                            count = round(value / 100 * denom)
                            half = 1.96 * np.sqrt(max(value * (100 - value), 1.0) / denom)
                        elif kind == "rate":
                            denom = int(rng.integers(20000, 400000))
                            count = round(value / 100000 * denom)
                            half = 1.96 * value / np.sqrt(max(count, 1))
                        else:
                            value, denom, count, half = float(round(value)), "", round(value), 0.0
                        low, high = max(0.0, value - half), value + half
                        compared = "" if code == ENGLAND else ("Similar", "Better", "Worse")[int(rng.integers(0, 3))]
                        batch.append([
                            ind, name, pcode, pname, code, aname, atype, sex, "<18 yrs", ctype, cat, period,
                            _fmt(value), _fmt(low) if half else "", _fmt(high) if half else "", "", "",
                            count, denom, "", "", compared or "Not compared", "Not compared", sortable, "", "",
                        ])
            take = batch[: rows - written]
            out.writerows(take)
            written += len(take)
            k += 1
    tmp.replace(path)
    return path


def ensure(folder: Path, rows: int, seed: int = 1) -> Path:
    """The file for this row count (written once, then reused)."""
    path = folder / file_name(rows, seed)
    if not path.exists():
        write(path, rows, seed)
    return path


if __name__ == "__main__":  # python -m bench.fingertips_data ROWS [OUT_DIR]
    import sys

    n = int(sys.argv[1])
    print(ensure(Path(sys.argv[2] if len(sys.argv) > 2 else "bench/.work"), n))


UNIT_OF_KIND = {"pct": "%", "rate": "rate per 100,000", "count": "count"}


def choices_csv(rows: int) -> str:
    """The editor's choices for the file's new (SYNTHETIC) indicators, as the `indicators` CSV that
    POST /api/uploads takes (data/ingest/indicator_choices.py): since issue 12 a new indicator cannot be
    published without its unit, polarity, set and period basis. Neutral choices: no judgement of direction,
    the "Fingertips indicators" set, financial years (the file's periods)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source_id", "map_to", "name", "unit", "polarity", "set", "age_band", "period_basis"])
    for k, ind in enumerate(indicator_ids(rows)):
        topic, kind = TOPICS[k % len(TOPICS)]
        writer.writerow([ind, "", f"SYNTHETIC benchmark indicator {ind}: {topic}", UNIT_OF_KIND[kind], "no judgement",
                         "Fingertips indicators", "", "financial year"])
    return out.getvalue()
