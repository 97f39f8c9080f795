"""The one computed status of every indicator: pending, overdue, current, recent or out of date; its
latest York value with its age, the change it may claim, its comparison with England and its trend.

Nothing here is stored: a pending flag is what the data says today, so a new 2023/24 value clears it
with no other change. Every page, deck, export and the API read this frame (issue 13: one status, one
change, one comparison per indicator).

Columns (index = indicator id):
  status            current | recent | out_of_date | pending | overdue
  pending           True for pending and overdue (a pending flag the report set, not yet cleared)
  pending_reason    the indicator's own part of the report's footnote (catalogue pending_reason)
  expected_by       "2024-11" (catalogue), overdue: the date has passed with no value
  status_label      what a badge says: "Pending 2023/24", "Overdue: expected November 2024", "Out of date", ...
  latest_*          York's latest dated total: period, value, period_end, source, lower_ci, upper_ci
  age_years         whole years older than the reporting year (0: in it); age_text in words
  previous_*        the comparable previous value (same source basis), else empty
  change            latest - previous, only between comparable values; change_text, change_judgement
  change_relative   change / |previous| (unit-free), for ranking
  change_note       why no change is stated (a break in source, only one period)
  england_value     England for York's latest period
  comparison        Better | Similar | Worse | Higher | Lower | not compared; comparison_basis, comparison_text
  trend             increasing | decreasing | no significant change | "" (not tested); trend_judgement, trend_text
  status_reason     one sentence: why this status
"""
from __future__ import annotations

import calendar
from datetime import date

import pandas as pd

from data.domain.dataset import DEFAULT_REPORTING_YEAR, ENGLAND, HOME_AREA, Dataset, expanded
from data.domain.formatting import format_change, format_value
from data.domain.periods import canonical_year, financial_year
from data.domain.series import age_phrase, change_of, points_of, run_of, with_series
from data.domain.significance import NOT_COMPARED, compare_with_england, trend_test

CURRENT, RECENT, PENDING, OVERDUE, OUT_OF_DATE = "current", "recent", "pending", "overdue", "out_of_date"
STATUSES = (CURRENT, RECENT, PENDING, OVERDUE, OUT_OF_DATE)
DEFAULT_STALE_YEARS = 2
_config = {"stale_years": DEFAULT_STALE_YEARS}

def _with_values(obs: pd.DataFrame, area: str) -> pd.DataFrame:
    # One area's rows, text as plain str (a served Dataset holds Categoricals): the frame built below is the same.
    return expanded(obs[(obs["area_code"] == area) & obs["value"].notna()])


def _totals_with_values(obs: pd.DataFrame, area: str) -> pd.DataFrame:
    # An indicator published only as a breakdown (courses, ratings) has no single latest value.
    rows = _with_values(obs, area)
    return rows[rows["category_type"] == ""]


def _latest_two(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latest and previous row per indicator, by period end (undated rows rank lowest)."""
    ordered = rows.sort_values(["indicator_id", "period_end", "period_start"], na_position="first", kind="stable")
    grouped = ordered.groupby("indicator_id", sort=False)
    latest = grouped.tail(1).set_index("indicator_id")
    previous = ordered.drop(index=grouped.tail(1).index)
    previous = previous[previous["period_end"].notna()].groupby("indicator_id", sort=False).tail(1).set_index("indicator_id")
    return latest, previous


def configure(stale_years: int) -> None:
    """Set the app's staleness span (Settings.stale_after_years; app.create_app calls this once)."""
    if int(stale_years) < 0:
        raise ValueError("stale_years must be 0 or more")
    _config["stale_years"] = int(stale_years)


def stale_years() -> int:
    return _config["stale_years"]


def expected_date(expected_by: str) -> date | None:
    """The last day an expected value was due: "2024-11" -> 30 November 2024; "2024-11-15" as written."""
    text = (expected_by or "").strip()
    if not text:
        return None
    try:
        parts = [int(p) for p in text.split("-")]
        if len(parts) == 2:
            return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
        if len(parts) == 3:
            return date(parts[0], parts[1], parts[2])
    except ValueError:
        return None
    return None


def expected_words(expected_by: str) -> str:
    """"2024-11" -> "November 2024"."""
    due = expected_date(expected_by)
    if due is None:
        return ""
    if len(expected_by.strip().split("-")) == 3:
        return f"{due.day} {due.strftime('%B %Y')}"
    return due.strftime("%B %Y")


def indicator_status(dataset: Dataset, reporting_year: str = DEFAULT_REPORTING_YEAR, *,
                     stale: int | None = None, today: date | None = None) -> pd.DataFrame:
    """One row per indicator (index = id): see the module's docstring for the columns.

    stale: the staleness span in years (default: configure()'s, 2); today: the date an expected value
    is overdue against (default: today). Raises PeriodError if reporting_year is not a financial year."""
    year = canonical_year(reporting_year)
    span = stale_years() if stale is None else int(stale)
    day = today or date.today()
    key = (year, span, day.isoformat())
    return dataset.cache.remember("status", key, lambda: _status(dataset, year, span, day), maxsize=16)


def reporting_years(dataset: Dataset) -> list[str]:
    """The reporting years a reader may choose: financial years from the first York value (2019/20 at
    the latest) to the latest (2024/25 at the earliest), newest first. Worked out once per version."""
    return list(dataset.cache.once("reporting_years", lambda: _reporting_years(dataset)))


def _reporting_years(dataset: Dataset) -> tuple[str, ...]:
    ends = dataset.observations.loc[dataset.observations["area_code"] == HOME_AREA, "period_end"].dropna()
    first = min(2019, int((ends.min() - pd.DateOffset(months=3)).year)) if len(ends) else 2019
    last = max(2024, int((ends.max() - pd.DateOffset(months=3)).year)) if len(ends) else 2024
    return tuple(f"{y}/{str(y + 1)[-2:]}" for y in range(last, first - 1, -1))


def _status(dataset: Dataset, reporting_year: str, span: int, today: date) -> pd.DataFrame:
    """The frame for one reporting year. What no reporting year changes (latest value, change, comparison,
    trend) is worked out and typed once per data version (_fixed_parts, _fixed_frame); a year works out only
    the age, staleness and status of each indicator and types those columns the same way."""
    year = financial_year(reporting_year)
    assert year.start is not None  # a financial year always has its dates
    year_start = pd.Timestamp(year.start)
    assert year.end is not None
    year_mid = year_start + (pd.Timestamp(year.end) - year_start) / 2  # as series.age_in_years works it out
    records = [_for_year(part, reporting_year, span, today, year_start, year_mid) for part in _fixed_parts(dataset)]
    out = _fixed_frame(dataset).copy()
    for col, values in _typed(pd.DataFrame.from_records(records, index=out.index, columns=_YEAR_COLUMNS)).items():
        out[col] = values
    return out


_YEAR_COLUMNS = ("status", "pending", "overdue", "pending_reason", "status_label", "age_years", "age_text", "stale", "status_reason")


def _fixed_frame(dataset: Dataset) -> pd.DataFrame:
    """Every column of the status frame; the year's columns (_YEAR_COLUMNS) are set by _status."""
    def build() -> pd.DataFrame:
        records = [part["rec"] for part in _fixed_parts(dataset)]
        return _typed(pd.DataFrame.from_records(records, index=dataset.indicators.index, columns=_COLUMNS))
    return dataset.cache.once("status_fixed_frame", build)


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    """The status frame's column types (a column's values decide nothing else)."""
    for col in ("latest_value", "latest_lower_ci", "latest_upper_ci", "previous_value", "change", "change_relative",
                "england_value", "age_years", "trend_chi2"):
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    for col in ("latest_period_end", "previous_period_end"):
        if col in out:
            out[col] = pd.to_datetime(out[col])
    for col in ("pending_reason", "latest_period", "previous_period", "latest_source"):
        if col in out:
            out[col] = pd.Series([v if isinstance(v, str) else None for v in out[col]], index=out.index, dtype=object)
    for col in ("pending", "overdue", "stale"):
        if col in out:
            out[col] = out[col].astype(bool)
    return out


def _fixed_parts(dataset: Dataset) -> tuple[dict, ...]:
    """Per indicator (catalogue order), what no reporting year changes, once per data version."""
    return dataset.cache.once("status_fixed", lambda: tuple(_fixed(dataset)))


def _fixed(dataset: Dataset) -> list[dict]:
    cat = dataset.indicators
    home_totals = _totals_with_values(dataset.observations, HOME_AREA)
    latest_any, _ = _latest_two(home_totals)

    # A breakdown row counts too: its value is for that year even without a total. An indicator has a value
    # for a year when any of its midpoints is on or after the year's start: its latest midpoint is.
    home = _with_values(dataset.observations, HOME_AREA)
    midpoint = home["period_start"] + (home["period_end"] - home["period_start"]) / 2
    last_mid = midpoint[midpoint.notna()].groupby(home.loc[midpoint.notna(), "indicator_id"], sort=False).max()
    expected_year = cat["expected_update_for"].map(lambda y: canonical_year(y) if y else "")

    shaped = with_series(home_totals, by="indicator_id")
    by_indicator: dict[str, list[dict]] = {}
    for point in points_of(shaped):
        by_indicator.setdefault(point["indicator_id"], []).append(point)
    eng = _totals_with_values(dataset.observations, ENGLAND)
    eng_by_key = eng.set_index(["indicator_id", "period"])["value"]
    eng_by_key = eng_by_key[~eng_by_key.index.duplicated()]

    parts = []
    for i in cat.index:
        ind = cat.loc[i]
        latest = latest_any.loc[i] if i in latest_any.index else None
        rec = _one(ind, by_indicator.get(i), latest, eng_by_key)
        parts.append({
            "rec": rec,
            "latest": None if latest is None else (latest["period_start"], latest["period_end"]),
            "latest_mid": None if latest is None or pd.isna(latest["period_start"]) or pd.isna(latest["period_end"]) else
            pd.Timestamp(latest["period_start"]) + (pd.Timestamp(latest["period_end"]) - pd.Timestamp(latest["period_start"])) / 2,
            "last_mid": last_mid.get(i),
            "expected_year": expected_year[i],
            "reason": ind.get("pending_reason", "") or ind["expected_update"] or "",
        })
    return parts


def _for_year(part: dict, reporting_year: str, span: int, today: date, year_start: pd.Timestamp, year_mid: pd.Timestamp) -> dict:
    """One row for one reporting year: the fixed part plus the age, staleness and status."""
    rec = dict(part["rec"])
    if part["latest"] is not None:
        # series.age_in_years(start, end, reporting_year), with the period's midpoint worked out once per version
        mid = part["latest_mid"]
        age = None if mid is None else max(0, int(round((year_mid - mid).days / 365.25)))
        rec["age_years"] = age
        rec["age_text"] = age_phrase(age, reporting_year)
        rec["stale"] = age is not None and age > span
    last_mid = part["last_mid"]
    current = last_mid is not None and not pd.isna(last_mid) and last_mid >= year_start
    expected = part["expected_year"] == reporting_year
    reason = part["reason"] if expected else None
    if current:
        status = CURRENT
    elif expected:
        due = expected_date(rec["expected_by"])
        status = OVERDUE if due is not None and today > due else PENDING
    elif part["latest"] is None or rec["age_years"] is None or rec["stale"]:
        status = OUT_OF_DATE
    else:
        status = RECENT
    rec.update(status=status, pending=status in (PENDING, OVERDUE), overdue=status == OVERDUE,
               pending_reason=reason if status in (PENDING, OVERDUE) else None)
    rec["status_label"] = status_label(status, reporting_year, rec["expected_by_text"])
    rec["status_reason"] = _reason(rec, reporting_year, span)
    return rec


_COLUMNS = (
    "status", "pending", "overdue", "pending_reason", "expected_by", "expected_by_text", "status_label",
    "latest_period", "latest_value", "latest_period_end", "latest_source", "latest_lower_ci", "latest_upper_ci",
    "age_years", "age_text", "stale",
    "previous_period", "previous_value", "previous_period_end",
    "change", "change_relative", "change_text", "change_since", "change_judgement", "change_note",
    "england_value", "comparison", "comparison_basis", "comparison_text",
    "trend", "trend_judgement", "trend_text", "trend_chi2", "status_reason",
)


def _one(ind: pd.Series, rows: list[dict] | None, latest, eng_by_key: pd.Series) -> dict:
    """What no reporting year changes: the latest value, the comparison with England, the change and the trend."""
    unit, polarity = ind["unit"], ind["polarity"]
    rec: dict = dict.fromkeys(_COLUMNS)
    rec.update(change_text="", change_since="", change_note="", change_judgement="", comparison=NOT_COMPARED, comparison_basis="",
               comparison_text="", trend="", trend_judgement="", trend_text="", age_text="", stale=False,
               expected_by=ind.get("expected_by", "") or "", overdue=False)
    rec["expected_by_text"] = expected_words(rec["expected_by"])
    if latest is not None:
        rec.update(latest_period=latest["period"], latest_value=latest["value"], latest_period_end=latest["period_end"],
                   latest_source=latest["source"], latest_lower_ci=latest["lower_ci"], latest_upper_ci=latest["upper_ci"])
        england = eng_by_key.get((ind["id"], latest["period"]))
        rec["england_value"] = england
        comparison = compare_with_england(latest["note"], latest["lower_ci"], latest["upper_ci"], england, polarity, latest["period"])
        rec.update(comparison=comparison.result, comparison_basis=comparison.basis, comparison_text=comparison.sentence())
    if rows is not None and latest is not None and not pd.isna(latest["period_end"]):
        change = change_of(rows)
        if change.comparable and change.previous is not None:
            prev = change.previous
            delta = change.delta
            rec.update(previous_period=prev["period"], previous_value=prev["value"], previous_period_end=prev["period_end"],
                       change=delta, change_relative=change.relative, change_judgement=change_direction(delta, polarity))
            judged = f" ({rec['change_judgement']})" if rec["change_judgement"] in ("better", "worse") else ""
            rec["change_text"] = f"{format_change(delta, unit)} {change.phrase}{judged}"
            rec["change_since"] = change.phrase
        else:
            rec["change_note"] = change.phrase
        run = run_of(rows)
        if len(run) >= 5 and not any(pd.isna(p["count"]) or pd.isna(p["denominator"]) for p in run):
            test = trend_test([p["period"] for p in run], [p["count"] for p in run], [p["denominator"] for p in run])
            if test is not None:
                rec.update(trend=test.direction, trend_judgement=test.judgement(polarity), trend_text=test.sentence(polarity),
                           trend_chi2=test.chi2)
    return rec


def status_label(status: str, reporting_year: str, expected_by_text: str = "") -> str:
    """The badge's words (never colour alone)."""
    if status == PENDING:
        return f"Pending {reporting_year}" + (f": expected {expected_by_text}" if expected_by_text else "")
    if status == OVERDUE:
        return f"Overdue: expected {expected_by_text}"
    return {CURRENT: f"Current for {reporting_year}", RECENT: f"Not yet updated for {reporting_year}",
            OUT_OF_DATE: "Out of date"}.get(status, status)


def _reason(rec: dict, reporting_year: str, span: int) -> str:
    status = rec["status"]
    if status == PENDING:
        return rec["pending_reason"]
    if status == OVERDUE:
        return f"Overdue: expected {rec['expected_by_text']}, and no {reporting_year} value has arrived. {rec['pending_reason']}"
    if status == CURRENT:
        return f"Has a York value for {reporting_year} or later."
    if rec["latest_period"] is None:
        return "No York value is stated in the sources."
    if pd.isna(rec["latest_period_end"]):
        return f"The source does not state the period of the latest York value; no value is dated in {reporting_year}."
    if status == OUT_OF_DATE:
        return (f"Out of date: the latest York value is for {rec['latest_period']}, {rec['age_text']} "
                f"(more than {span} year{'s' if span != 1 else ''}).")
    return f"No York value for {reporting_year} yet; the latest is for {rec['latest_period']}, {rec['age_text']}."


def headline(row: pd.Series, unit: str) -> str:
    """York's latest value in words with its period and age: "York 19.9% in 22/23 (one year older than ...)"."""
    if pd.isna(row["latest_value"]):
        return "No York value stated as a number."
    when = row["latest_period"] if not pd.isna(row["latest_period_end"]) else "period not stated"
    age = f" ({row['age_text']})" if row["age_text"] and row["age_years"] and row["age_years"] > 0 else ""
    return f"York {format_value(row['latest_value'], unit)} in {when}{age}."


def change_direction(delta: float | None, polarity: str) -> str:
    """'better', 'worse', 'no change' or 'no judgement' for a change, from the indicator's polarity."""
    if delta is None or pd.isna(delta):
        return "no judgement"
    if delta == 0:
        return "no change"
    if polarity == "higher is better":
        return "better" if delta > 0 else "worse"
    if polarity == "lower is better":
        return "better" if delta < 0 else "worse"
    return "no judgement"
