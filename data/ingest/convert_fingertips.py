"""Convert the York and England rows of the Fingertips extracts into bundled CSVs.

    python -m data.ingest.convert_fingertips [--source DIR] [--out DIR]

Writes `fingertips_observations.csv` and `indicators_fingertips.csv` (see
data/README.md). Every value is copied as the source text: files are read with
dtype=str so nothing is re-formatted through a float, and "NA" becomes an empty
value (missing, never zero) while the row itself is kept, because a gap is
information. Anything unexpected stops the conversion with a message naming the
file, rather than producing a bundle that quietly differs from the source.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data.domain.periods import ACADEMIC_YEAR, CALENDAR_YEAR, FINANCIAL_YEAR, PeriodError, parse_period
from data.domain.schema import AREAS, INDICATOR_COLUMNS, OBSERVATION_COLUMNS

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "bundled"
LICENCE = "OHID Fingertips, OGL v3.0"


class ConversionError(ValueError):
    """The source is not what this converter expects; the message names the file."""


@dataclass(frozen=True)
class Extract:
    file: str
    indicator_id: str
    fingertips_id: str  # from PROVENANCE.md; empty when it gives none
    period_type: str
    # Catalogue fields; None for an indicator defined in the report catalogue.
    set: str | None = None
    unit: str | None = None
    polarity: str | None = None
    age_band: str = ""
    note: str = ""
    short_name: str = ""  # the display name (issue 14): short, and says how it differs from a look-alike


EXTRACTS = (
    # NCMP and school-based surveys are measured over the academic year, not the financial year.
    Extract("excess_weight_reception.csv", "reception-overweight", "20601", ACADEMIC_YEAR),
    Extract("excess_weight_year6.csv", "year6-overweight", "20602", ACADEMIC_YEAR),
    Extract(
        "admissions_self_harm_young_people.csv", "fingertips-self-harm-admissions-10-24-asr", "90813",
        FINANCIAL_YEAR, "Hospital admissions", "rate per 100,000", "lower is better", "10-24",
        "The report's 22/23 figure (254.5 per 100,000, indicator self-harm-admissions-10-24) is not "
        "joined to this series: the extract is an age-standardised rate from an earlier release, the "
        "report does not say its figure is age standardised, and the two differ markedly; shown as "
        "separate series rather than one line.",
        "Self-harm admissions (10-24), age-standardised",
    ),
    # The five-year-old oral health survey is carried out in schools over an academic year.
    Extract("dental_decay.csv", "fingertips-dental-decay-free-5", "92441", ACADEMIC_YEAR,
            "Aged 2-5", "%", "higher is better", "5", short_name="Five-year-olds free from dental decay"),
    Extract(
        "neets.csv", "fingertips-neet-16-17", "93203", CALENDAR_YEAR, "Aged 12+", "%", "lower is better",
        "16-17",
        "Not joined to the report's \"0.08% of 16-17 ... (Sept 2023)\" (indicator neet-16-17): "
        "Fingertips' definition includes 'not known' and is an annual average, the report's is a "
        "single month; period is calendar year as given.",
        "NEET or not known (16-17), annual average",
    ),
    Extract("school_readiness_fsm.csv", "fingertips-school-readiness-fsm", "90632", ACADEMIC_YEAR,
            "Aged 2-5", "%", "higher is better", short_name="School readiness, children on free school meals"),
    Extract("low_income_families.csv", "fingertips-low-income-families", "10101", CALENDAR_YEAR,
            "Children and young people", "%", "lower is better", short_name="Children in low income families"),
    Extract(
        "active_children.csv", "fingertips-active-children", "", ACADEMIC_YEAR,
        "Children and young people", "%", "higher is better",
        note="Fingertips indicator id not given in PROVENANCE.md nor in the extract; left empty.",
        short_name="Physically active children and young people",
    ),
)

# active_children.csv has its own layout; map its columns onto the common names.
RENAME = {"compared_to_England": "significance"}
NEEDED = ("area_code", "area_name", "period", "value", "indicator", "measure", "significance")


def _source_text(ex: Extract) -> str:
    ind = f"indicator {ex.fingertips_id}, " if ex.fingertips_id else ""
    return f"{LICENCE} ({ind}extract {ex.file})"


def read_extract(path: Path) -> pd.DataFrame:
    """York and England rows of one extract, as text, exact duplicates dropped."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).rename(columns=RENAME)
    missing = [c for c in NEEDED if c not in frame.columns]
    if missing:
        raise ConversionError(f"{path.name}: missing column(s) {', '.join(missing)}")
    # A filled 'inequality' would be a breakdown, not an area total: refuse to merge it silently.
    if "inequality" in frame.columns and (~frame["inequality"].isin(["", "NA"])).any():
        raise ConversionError(f"{path.name}: rows with an 'inequality' breakdown are not supported")
    rows = frame[frame["area_code"].isin(AREAS)].drop_duplicates()
    clash = rows[rows.duplicated(["area_code", "period"], keep=False)]
    if not clash.empty:  # same area and period, different content: which one is right is unknown
        detail = "; ".join(f"{r.area_code} {r.period} value {r.value}" for r in clash.itertuples())
        raise ConversionError(f"{path.name}: conflicting rows for the same area and period: {detail}")
    for col in ("indicator", "measure"):
        if rows[col].nunique() > 1:
            raise ConversionError(f"{path.name}: more than one {col}: {sorted(rows[col].unique())}")
    return rows


def _observations(ex: Extract, rows: pd.DataFrame) -> pd.DataFrame:
    records = []
    for r in rows.to_dict("records"):
        try:
            start = parse_period(r["period"], ex.period_type).start
        except PeriodError as exc:
            raise ConversionError(f"{ex.file}: period label '{r['period']}': {exc}") from None
        value = "" if r["value"] == "NA" else r["value"]
        try:
            float(value or 0)
        except ValueError:
            raise ConversionError(f"{ex.file}: value '{value}' ({r['area_code']} {r['period']}) is not a number") from None
        notes = []
        if not value:
            notes.append("No value in the Fingertips extract (NA)")
        if r["area_code"] != "E92000001" and r["significance"] not in ("Not compared", "", "NA"):
            notes.append(f"Compared with England: {r['significance']}")
        records.append({
            "indicator_id": ex.indicator_id, "area_code": r["area_code"], "area_name": r["area_name"],
            "period": r["period"], "period_type": ex.period_type, "value": value,
            "source": _source_text(ex), "note": "; ".join(notes), "_start": start,
        })
    frame = pd.DataFrame(records)
    # York first, then England; oldest period first: a stable order keeps the bundle diff-able.
    frame["_area"] = frame["area_code"].map(list(AREAS).index)
    return frame.sort_values(["_area", "_start"]).drop(columns=["_area", "_start"])


def _indicator(ex: Extract, rows: pd.DataFrame) -> dict:
    name, measure = rows["indicator"].iloc[0], rows["measure"].iloc[0]
    return {
        "id": ex.indicator_id, "name": name, "set": ex.set, "age_band": ex.age_band, "unit": ex.unit,
        "polarity": ex.polarity, "definition": f"{name}; measure: {measure}",
        "source": f"{LICENCE} (indicator {ex.fingertips_id})" if ex.fingertips_id else f"{LICENCE} (extract {ex.file})",
        "fingertips_id": ex.fingertips_id, "note": ex.note, "short_name": ex.short_name,
    }


def convert(source: Path, out: Path = DEFAULT_OUT) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert every extract in `source`; write and return (indicators, observations)."""
    source, out = Path(source), Path(out)
    known = {ex.file for ex in EXTRACTS}
    unknown = sorted(p.name for p in source.glob("*.csv") if p.name not in known)
    if unknown:  # "every extract" is converted: a new file needs a mapping, not silence
        raise ConversionError(f"no mapping for extract(s): {', '.join(unknown)}")
    indicators, observations = [], []
    for ex in EXTRACTS:
        path = source / ex.file
        if not path.is_file():
            raise ConversionError(f"{ex.file}: not found in {source}")
        rows = read_extract(path)
        if rows.empty:
            raise ConversionError(f"{ex.file}: no York or England rows")
        observations.append(_observations(ex, rows))
        if ex.set is not None:  # report-catalogue indicators are defined elsewhere
            indicators.append(_indicator(ex, rows))
    ind = pd.DataFrame(indicators).reindex(columns=INDICATOR_COLUMNS, fill_value="")
    obs = pd.concat(observations, ignore_index=True).reindex(columns=OBSERVATION_COLUMNS, fill_value="")
    out.mkdir(parents=True, exist_ok=True)
    ind.to_csv(out / "indicators_fingertips.csv", index=False, lineterminator="\n")
    obs.to_csv(out / "fingertips_observations.csv", index=False, lineterminator="\n")
    return ind, obs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="folder of the Fingertips extract CSVs (see data/README.md)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write the bundled CSVs")
    args = parser.parse_args(argv)
    try:
        ind, obs = convert(args.source, args.out)
    except ConversionError as exc:
        print(f"convert_fingertips: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(ind)} indicators and {len(obs)} observations to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
