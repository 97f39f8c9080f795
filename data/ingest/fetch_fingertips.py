"""Fetch indicators from the public Fingertips API and hand them to the upload preview.

    fetched = fetch(["93356"], area_type=502, base_url=settings.fingertips_api_url,
                    timeout=settings.fingertips_timeout, catalogue=dataset.indicators)
    job = run_job(store, fetched, user)          # the same job (and preview) as an upload

What is fetched, per indicator id (one request each, so a failure names its id):

- the data: `all_data/csv/by_indicator_id?indicator_ids=N&child_area_type_id=A&parent_area_type_id=15`,
  a Fingertips "Download data" CSV (the layout of tests/data/fingertips/raw-download-example.csv);
- the metadata: `indicator_metadata/csv/by_indicator_id?indicator_ids=N`, the metadata CSV (columns
  "Indicator ID", "Indicator", "Definition", "Data source", "Unit", "Value type", "Year type",
  "Polarity", ...). Polarity and year type are in the CSV metadata (fingertipsR's
  indicator_metadata() reads them from it), so the CSV, not the JSON metadata, is asked for.

These are the endpoints (and parameters) the maintained client fingertips_py uses
(get_data_by_indicator_ids, get_metadata_for_indicator_as_dataframe). Its HTTP layer is not used:
it sets no timeout on any request (a stalled server holds the worker for ever), on any URLError
(HTTP 404/500 included) it asks again with TLS verification switched off (`verify=False`) and parses
the error page as data, and its base_url is copied into two modules at import, so it cannot be
pointed at another server per call (it is also GPL-3.0). It stays a test dependency:
tests/unit/test_fetch_fingertips.py checks that it asks exactly these URLs and reads the recorded
answers as the same table. Here every request has a timeout, a size limit, TLS checked
and its HTTP status read; every failure is a FetchError whose message names the indicator id and
what went wrong, and nothing reaches the store.

The hand-off: the data as one Download-data CSV (data_csv: bytes, read by the importer exactly as
an uploaded file) and an `indicators` CSV (indicators_csv: columns INDICATOR_CSV_COLUMNS) saying
what each Fingertips indicator is: its name, unit, polarity, period basis, definition and source
from Fingertips itself, or the catalogue indicator it maps onto (map_to).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pandas as pd

from data.domain.schema import POLARITIES, SETS, UNITS
from data.ingest.indicator_choices import read_choices
from data.ingest.upload_jobs import create_job, get_job
from data.ingest.upload_process import process_upload
from data.storage.store import Store

FINGERTIPS_LICENCE = "OHID Fingertips, OGL v3.0"
ENGLAND_PARENT = 15  # parent_area_type_id: England (what fingertips_py asks by default)
DEFAULT_AREA_TYPE = 502  # upper-tier local authorities (post 4/23)
# Fingertips area types an editor picks from on the fetch form (id, label); the CLI takes any id.
AREA_TYPES: tuple[tuple[int, str], ...] = (
    (502, "Upper tier local authorities (post 4/23)"),
    (402, "Upper tier local authorities (4/21-3/23)"),
    (302, "Upper tier local authorities (4/20-3/21)"),
    (202, "Upper tier local authorities (4/19-3/20)"),
    (102, "Upper tier local authorities (pre 4/19)"),
    (6, "Regions (statistical)"),
    (15, "England"),
)
MAX_IDS = 20  # indicators a fetch may ask for at once
MAX_ANSWER_BYTES = 50 * 1024 * 1024  # default cap on the fetched data (callers pass MAX_UPLOAD_MB: no bigger than an upload)
USER_AGENT = "cyscp-dashboard (fingertips fetch)"

INDICATOR_CSV_COLUMNS = ("source_id", "map_to", "name", "unit", "polarity", "set", "age_band", "period_basis",
                         "definition", "source", "short_name")
# The Download-data columns a fetched data answer must have (read by name, as the importer reads them).
DATA_REQUIRED = ("Indicator ID", "Indicator Name", "Area Code", "Area Name", "Time period", "Value")
METADATA_REQUIRED = ("Indicator ID", "Indicator", "Unit", "Value type", "Polarity")


class FetchError(RuntimeError):
    """A fetch that could not be done; the message says which indicator and what went wrong."""


# -- pure mappings: Fingertips metadata -> the catalogue's vocabulary ---------------------------------

_RATE = re.compile(r"^(?:rate\s+)?per\s+([\d,\s]+)(?:\s+\w+)*$")


def map_unit(unit: str, value_type: str = "") -> str | None:
    """The catalogue unit (schema.UNITS) for a Fingertips "Unit" and "Value type"; None when none fits
    (the editor chooses one in the preview: nothing is guessed).

    "%" -> "%"; "per 100,000" -> "rate per 100,000"; "per 1,000" -> "rate per 1,000" (whatever the value
    type: crude or directly standardised rate); a count ("Count" value type or unit) -> "count";
    "£" -> "£"; "days" -> "days"; "hectares" -> "hectares"."""
    u = " ".join(str(unit or "").split()).lower()
    vt = " ".join(str(value_type or "").split()).lower()
    if u in ("%", "percent", "percentage") or (not u and vt in ("proportion", "percentage")):
        return "%"
    rate = _RATE.match(u)
    if rate:
        per = rate.group(1).replace(",", "").replace(" ", "")
        return {"100000": "rate per 100,000", "1000": "rate per 1,000"}.get(per)
    if u in ("count", "number", "persons", "people") or (not u and vt == "count"):
        return "count"
    if u in ("£", "gbp", "pounds"):
        return "£"
    if u in ("days", "day"):
        return "days"
    if u in ("hectares", "ha"):
        return "hectares"
    return None


def map_polarity(polarity: str) -> str | None:
    """The catalogue polarity for a Fingertips polarity; None for one it does not know (the editor chooses).

    "RAG - Low is good" -> "lower is better"; "RAG - High is good" -> "higher is better";
    "BOB - Blue orange blue" and "Not applicable" (Fingertips makes no better/worse judgement) -> "no judgement"."""
    p = " ".join(str(polarity or "").split()).lower()
    if p in ("rag - low is good", "low is good", "low"):
        return "lower is better"
    if p in ("rag - high is good", "high is good", "high"):
        return "higher is better"
    if p.startswith("bob") or p in ("not applicable", "no judgement", "n/a"):
        return "no judgement"
    return None


def map_period_basis(year_type: str) -> str:
    """The catalogue period_basis for a Fingertips "Year type": financial, academic or calendar year;
    "" when the metadata does not say (the periods' own labels then decide, as for an upload)."""
    y = str(year_type or "").strip().lower()
    for word, basis in (("financial", "financial year"), ("academic", "academic year"), ("calendar", "calendar year")):
        if y.startswith(word):
            return basis
    return ""


def age_band(ages: Iterable[str]) -> str:
    """The catalogue age_band from the data's "Age" cells: "10-24 yrs" -> "10-24", "4-5 yrs" -> "4-5";
    "" for "All ages" or when the rows have several ages (the preview asks)."""
    distinct = {" ".join(str(a).split()) for a in ages if str(a).strip()}
    if len(distinct) != 1:
        return ""
    only = distinct.pop()
    if only.lower() == "all ages":
        return ""
    match = re.fullmatch(r"(\d+\+?(?:\s*-\s*\d+)?)\s*(?:yrs?|years?)?", only, flags=re.IGNORECASE)
    return match.group(1).replace(" ", "") if match else only


def parse_ids(text: str | Sequence[str]) -> list[str]:
    """Fingertips indicator ids from what an editor typed ("93356, 20601" or "93356 20601"), in order,
    each once. ValueError naming the first one that is not a whole number, or when there are none or too many."""
    parts = text if not isinstance(text, str) else re.split(r"[\s,;]+", text)
    ids: list[str] = []
    for part in parts:
        part = str(part).strip()
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or len(part) > 9:
            raise ValueError(f"'{part[:40]}' is not a Fingertips indicator id (a whole number such as 93356)")
        part = str(int(part))
        if part not in ids:
            ids.append(part)
    if not ids:
        raise ValueError("give at least one Fingertips indicator id (e.g. 93356)")
    if len(ids) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} indicators at once, not {len(ids)}")
    return ids


def parse_area_type(value) -> int:
    """A Fingertips area type id (a positive whole number); ValueError otherwise."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) <= 0 or len(text) > 6:
        raise ValueError(f"area type '{text[:40]}' is not a Fingertips area type id (a whole number such as {DEFAULT_AREA_TYPE})")
    return int(text)


# -- HTTP ---------------------------------------------------------------------------------------------

def _get(url: str, timeout: float, what: str, max_bytes: int = MAX_ANSWER_BYTES) -> bytes:
    """GET url: the body of a 200 answer, else FetchError naming `what` (e.g. "the data of indicator 93356")."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/csv, */*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{what}: Fingertips answered HTTP {exc.code} ({exc.reason}); nothing was changed") from None
    except (TimeoutError, socket.timeout):
        raise FetchError(f"{what}: Fingertips did not answer within {timeout:g} seconds; nothing was changed, try again later") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"{what}: Fingertips did not answer within {timeout:g} seconds; nothing was changed, try again later") from None
        raise FetchError(f"{what}: could not reach Fingertips at {_site(url)} ({reason}); nothing was changed") from None
    except (OSError, ValueError) as exc:  # a connection reset mid-answer, a malformed URL
        raise FetchError(f"{what}: the connection to Fingertips failed ({type(exc).__name__}: {exc}); nothing was changed") from None
    if len(body) > max_bytes:
        raise FetchError(f"{what}: Fingertips' answer is larger than {max_bytes / (1024 * 1024):.3g} MB, the largest an upload "
                         "may be (MAX_UPLOAD_MB); nothing was changed: fetch one indicator at a time or a smaller area type")
    return body


def _site(url: str) -> str:
    return url.split("?", 1)[0].rsplit("/", 2)[0] + "/"


def data_url(base_url: str, indicator_id: str, area_type: int) -> str:
    return base_url + "all_data/csv/by_indicator_id?" + urlencode({
        "indicator_ids": indicator_id, "child_area_type_id": area_type, "parent_area_type_id": ENGLAND_PARENT})


def metadata_url(base_url: str, indicator_id: str) -> str:
    return base_url + "indicator_metadata/csv/by_indicator_id?" + urlencode({"indicator_ids": indicator_id})


def _csv_rows(body: bytes, what: str, required: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a CSV answer; FetchError when it is not one with the `required` columns."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FetchError(f"{what}: Fingertips' answer is not UTF-8 text (an unexpected format); nothing was changed") from None
    head = text.lstrip()[:200].lower()
    if head.startswith(("<", "{", "[")):
        kind = "an HTML page" if head.startswith("<") else "JSON"
        raise FetchError(f"{what}: Fingertips answered with {kind}, not the CSV expected (an unexpected format); nothing was changed")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise FetchError(f"{what}: Fingertips' answer is not a readable CSV ({exc}); nothing was changed") from None
    records = [r for r in records if any(cell.strip() for cell in r)]
    if not records:
        raise FetchError(f"{what}: Fingertips' answer is empty; nothing was changed")
    header = [h.strip() for h in records[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise FetchError(f"{what}: Fingertips' answer lacks the column(s) {', '.join(repr(c) for c in missing)} "
                         "(an unexpected format); nothing was changed")
    return header, records[1:]


# -- fetching -----------------------------------------------------------------------------------------

@dataclass
class Fetched:
    """What a fetch hands to the upload preview."""
    ids: list[str]
    area_type: int
    data_csv: bytes  # one Fingertips "Download data" CSV holding every fetched indicator
    indicators_csv: bytes  # INDICATOR_CSV_COLUMNS, one row per fetched indicator
    indicators: pd.DataFrame  # the same rows as a frame
    rows: dict[str, int]  # data rows per indicator id
    warnings: list[str] = field(default_factory=list)  # what the editor must decide or should know

    @property
    def file_name(self) -> str:
        return f"Fingertips fetch: indicators {', '.join(self.ids)} (area type {self.area_type}).csv"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data_csv).hexdigest()

    def summary_lines(self) -> list[str]:
        lines = [f"Fetched from Fingertips (area type {self.area_type}):"]
        for rec in self.indicators.to_dict("records"):
            target = f"-> catalogue indicator {rec['map_to']}" if rec["map_to"] else "-> a new indicator"
            lines.append(f"  {rec['source_id']}: {rec['name']} ({self.rows.get(rec['source_id'], 0)} rows) {target}; "
                         f"unit {rec['unit'] or '(to choose)'}, polarity {rec['polarity'] or '(to choose)'}, "
                         f"period basis {rec['period_basis'] or '(from the periods)'}")
        lines += [f"  note: {w}" for w in self.warnings]
        return lines


def fetch(ids: Sequence[str] | str, area_type: int | str, *, base_url: str, timeout: float,
          catalogue: pd.DataFrame | None = None, new_set: str = "", budget: float | None = None,
          max_bytes: int = MAX_ANSWER_BYTES) -> Fetched:
    """Fetch the data and metadata of each indicator id. FetchError (nothing changed) on any failure.
    new_set: the set a new indicator goes in (a scheduled job names it; "" leaves the choice to the preview).
    budget: seconds the whole fetch may take (the page's form: under the server's request timeout); each
    request waits at most `timeout` and never past the budget. None: no overall limit (the command line).
    max_bytes: the most the fetched data may hold in all (Settings.max_upload_bytes: no more than an upload)."""
    try:
        wanted = parse_ids(ids)
        area = parse_area_type(area_type)
        if new_set and new_set not in SETS:
            raise ValueError(f"set '{new_set[:60]}' is not one of: {', '.join(SETS)}")
    except ValueError as exc:
        raise FetchError(str(exc)) from None
    base = base_url if base_url.endswith("/") else base_url + "/"
    deadline = None if budget is None else time.monotonic() + budget

    def get(url: str, what: str) -> bytes:
        """_get with this request's timeout: `timeout`, or what is left of the budget when that is less."""
        if deadline is None:
            return _get(url, timeout, what, max_bytes)
        spent = FetchError(f"{what}: the fetch took longer than {budget:g} seconds in all, so it was stopped; "
                           "nothing was changed: fetch fewer indicators at once, or use the command line")
        left = deadline - time.monotonic()
        if left <= 0:
            raise spent
        try:
            return _get(url, min(timeout, left), what, max_bytes)
        except FetchError:
            if time.monotonic() >= deadline:
                raise spent from None
            raise
    header: list[str] | None = None
    all_rows: list[list[str]] = []
    ages: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    metadata: dict[str, dict[str, str]] = {}
    for ind in wanted:
        meta_what = f"indicator {ind} (metadata)"
        meta_header, meta_rows = _csv_rows(get(metadata_url(base, ind), meta_what), meta_what, METADATA_REQUIRED)
        mine = [dict(zip(meta_header, r, strict=False)) for r in meta_rows]
        mine = [m for m in mine if str(m.get("Indicator ID", "")).strip() == ind]
        if not mine:
            raise FetchError(f"{meta_what}: Fingertips has no indicator {ind} (its metadata answer does not list it); nothing was changed")
        metadata[ind] = {k: " ".join(str(v or "").split()) for k, v in mine[0].items()}

        data_what = f"indicator {ind} (data, area type {area})"
        data_header, rows = _csv_rows(get(data_url(base, ind, area), data_what), data_what, DATA_REQUIRED)
        at = {name: j for j, name in enumerate(data_header)}
        own = [r for r in rows if len(r) > at["Indicator ID"] and r[at["Indicator ID"]].strip() == ind]
        strays = len(rows) - len(own)
        if strays:
            raise FetchError(f"{data_what}: {strays} of Fingertips' {len(rows)} rows are not indicator {ind} "
                             "(an unexpected answer); nothing was changed")
        if not own:
            raise FetchError(f"{data_what}: Fingertips has no data for indicator {ind} at area type {area}; "
                             "nothing was changed (check the area type)")
        if header is None:
            header = data_header
        ages[ind] = [r[at["Age"]] for r in own if "Age" in at and len(r) > at["Age"]]
        counts[ind] = len(own)
        for r in own:  # aligned to the first answer's header, by column name (a 26- and a 27-column answer mix)
            all_rows.append([r[at[h]] if h in at and at[h] < len(r) else "" for h in header])
    assert header is not None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(all_rows)
    data = out.getvalue().encode("utf-8")
    if len(data) > max_bytes:
        raise FetchError(f"indicators {', '.join(wanted)}: the fetched data ({len(data) / (1024 * 1024):.1f} MB) is larger than "
                         f"{max_bytes / (1024 * 1024):.3g} MB, the largest an upload may be (MAX_UPLOAD_MB); nothing was changed: "
                         "fetch fewer indicators at once")
    frame, warnings = indicator_rows(wanted, metadata, ages, catalogue, new_set)
    return Fetched(ids=wanted, area_type=area, data_csv=data,
                   indicators_csv=indicators_csv(frame), indicators=frame, rows=counts, warnings=warnings)


def indicator_rows(ids: Sequence[str], metadata: dict[str, dict[str, str]], ages: dict[str, list[str]],
                   catalogue: pd.DataFrame | None, new_set: str = "") -> tuple[pd.DataFrame, list[str]]:
    """The indicators CSV's rows (INDICATOR_CSV_COLUMNS) from Fingertips' metadata, and warnings.

    An id the catalogue already holds (its fingertips_id) maps onto that indicator (map_to) and keeps the
    catalogue's name, unit, polarity, set and age band (a warning says where Fingertips differs); a new
    one takes Fingertips' own, with set new_set (empty: the editor chooses) and unit/polarity empty when
    Fingertips' cannot be matched (the editor chooses)."""
    by_ft: dict[str, dict] = {}
    if catalogue is not None and len(catalogue):
        cat = catalogue if "id" in catalogue.columns else catalogue.assign(id=catalogue.index)
        for rec in cat.to_dict("records"):
            ft = str(rec.get("fingertips_id") or "").strip()
            if ft and ft not in by_ft:
                by_ft[ft] = rec
    rows, warnings = [], []
    for ind in ids:
        meta = metadata[ind]
        unit = map_unit(meta.get("Unit", ""), meta.get("Value type", ""))
        polarity = map_polarity(meta.get("Polarity", ""))
        data_source = meta.get("Data source", "")
        source = f"{FINGERTIPS_LICENCE} (indicator {ind})" + (f"; data source: {data_source}" if data_source else "")
        row = {
            "source_id": ind, "map_to": "", "name": meta.get("Indicator", ""), "unit": unit or "",
            "polarity": polarity or "", "set": new_set, "age_band": age_band(ages.get(ind, [])),
            "period_basis": map_period_basis(meta.get("Year type", "")), "definition": meta.get("Definition", ""),
            "source": source, "short_name": "",
        }
        known = by_ft.get(ind)
        if known is not None:
            row["map_to"] = str(known["id"])
            for col, label, theirs in (("unit", "unit", unit), ("polarity", "polarity", polarity)):
                if theirs and theirs != known.get(col):
                    warnings.append(f"indicator {ind}: Fingertips' {label} is '{theirs}', the catalogue's "
                                    f"({known['id']}) is '{known.get(col)}'; the catalogue's is kept")
            for col in ("name", "unit", "polarity", "set", "age_band", "definition", "source", "short_name"):
                if str(known.get(col) or ""):
                    row[col] = str(known.get(col))
            if str(known.get("period_basis") or ""):
                row["period_basis"] = str(known["period_basis"])
        else:
            if unit is None:
                warnings.append(f"indicator {ind}: Fingertips' unit '{meta.get('Unit', '')}' ({meta.get('Value type', '')}) "
                                f"is none of the catalogue's units ({', '.join(UNITS)}): choose one")
            if polarity is None:
                warnings.append(f"indicator {ind}: Fingertips' polarity '{meta.get('Polarity', '')}' is none the "
                                f"dashboard knows ({', '.join(POLARITIES)}): choose one")
            if not new_set:
                warnings.append(f"indicator {ind}: a new indicator; choose its set (one of: {', '.join(SETS)})")
        rows.append(row)
    return pd.DataFrame(rows, columns=list(INDICATOR_CSV_COLUMNS), dtype=object), warnings


def indicators_csv(frame: pd.DataFrame) -> bytes:
    out = io.StringIO()
    frame.reindex(columns=list(INDICATOR_CSV_COLUMNS)).fillna("").to_csv(out, index=False, lineterminator="\r\n")
    return out.getvalue().encode("utf-8")


# -- the hand-off to the upload job -------------------------------------------------------------------

def create_fetch_job(store: Store, fetched: Fetched, user: str) -> str:
    """A job row for the fetched data (the same table and preview as an upload)."""
    return create_job(store, fetched.data_csv, fetched.file_name, user)


def process_fetch_job(store: Store, upload_id: str, fetched: Fetched) -> dict | None:
    """Read, check and compare the fetched data exactly as an uploaded file (upload_process.process_upload),
    then return the job.

    The fetched metadata goes in as the editor's choices (the `indicators` CSV an API upload may send),
    so a new indicator's name, unit, polarity and period basis are Fingertips' own; what Fingertips does
    not say (the set, an unmapped unit) is left for the editor to choose before Publish."""
    choices = read_choices(fetched.indicators_csv) if fetched.indicators_csv else None
    return process_upload(store, upload_id, fetched.data_csv, fetched.file_name, choices)


def run_job(store: Store, fetched: Fetched, user: str) -> dict | None:
    """Create and process a job for the fetched data: the job dict, as get_job gives it."""
    upload_id = create_fetch_job(store, fetched, user)
    process_fetch_job(store, upload_id, fetched)
    return get_job(store, upload_id)
