"""What each new indicator in an upload is, and the editor's choices about it before Publish.

An upload of a Fingertips file may hold indicators the catalogue lacks. For each one the preview
says what the file itself settles (its name; its unit, polarity, age band and period basis when the
file's columns say them: formats/fingertips_meta.py) and what it does not: those fields "need your
choice", and Publish is refused until the editor has chosen (or mapped the file's indicator onto
a catalogue indicator, whose history its rows then join). Nothing is guessed silently.

The choices are a small table, one row per indicator, the same from the /upload form and from
the API's `indicators` part (a CSV, CHOICE_COLUMNS):

    source_id      the file's indicator: its Fingertips indicator id (or the new indicator's id)
    map_to         a catalogue indicator id: the rows join it (the other fields are then ignored)
    name, unit, polarity, set, age_band, period_basis, definition, source, short_name
                   the new indicator's fields; blank keeps what the preview shows

Flow: propose(result, catalogue) -> proposals (kept in the job's summary) -> apply_choices(
proposals, choices, catalogue) -> proposals with fewer needs -> materialise(rows, new indicators,
proposals, catalogue, observations) -> the rows and catalogue rows a publish writes.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import numpy as np
import pandas as pd

from data.domain.periods import ACADEMIC_YEAR, FINANCIAL_YEAR, PeriodError, parse_period
from data.domain.schema import INDICATOR_COLUMNS, POLARITIES, SETS, UNITS, Problem, validate_indicators
from data.ingest.formats.fingertips_meta import PERIOD_BASES, hint

FIELDS = ("name", "unit", "polarity", "set", "age_band", "period_basis")
CHOICE_COLUMNS = ("source_id", "map_to", *FIELDS)
OPTIONAL_CHOICE_COLUMNS = ("definition", "source", "short_name")
# A new indicator cannot be published without these (age_band may be empty: no band).
REQUIRED = ("name", "unit", "polarity", "set", "period_basis")
OPTIONS: dict[str, tuple[str, ...]] = {"unit": UNITS, "polarity": POLARITIES, "set": SETS, "period_basis": PERIOD_BASES}
LABELS = {"name": "name", "unit": "unit", "polarity": "polarity", "set": "set", "age_band": "age band",
          "period_basis": "period basis", "map_to": "map to", "definition": "definition", "source": "source",
          "short_name": "short name"}
CHOSEN = "your choice"
KEY_AREAS = {"E06000014": "York", "E92000001": "England", "E12000003": "Yorkshire and The Humber"}
MAX_LISTED = 12  # periods and categories listed by name; more are counted
FINGERTIPS_CHOSEN_NOTE = ("Created from a Fingertips download; name, unit, polarity, set and period basis as the "
                          "editor confirmed them in the upload preview.")


class ChoiceError(ValueError):
    """The choices table cannot be read: problems name its row and column."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# ---- the preview: what the file says -----------------------------------------------------------------

def propose(rows: pd.DataFrame, new_indicators: pd.DataFrame, hints: dict, catalogue: pd.DataFrame, kind: str) -> dict:
    """{"indicators": one entry per new indicator, "matched": file indicators joined to catalogue ones}.

    rows: the upload's observation rows (text or typed); hints: ImportResult.hints; kind: the format.
    Each entry: source_id, indicator_id, map_to, fields (field -> {"value", "from"}), needs (fields
    without a value), and what the file holds for it: rows, areas, key_areas, periods, categories."""
    entries = []
    held = contents_by_indicator(rows, [str(i) for i in new_indicators["id"]]) if len(new_indicators) else {}
    for ind in new_indicators.to_dict("records"):
        ind_id = str(ind["id"])
        if kind == "fingertips":
            fields = dict(hints.get(ind_id, {}))
            source_id = str(ind.get("fingertips_id") or ind_id)
        else:  # the template names every field of an indicator it creates; empty period basis: read from the labels
            fields = {f: hint(str(ind.get(f) or ""), "the file") for f in FIELDS if f != "period_basis"}
            fields["period_basis"] = hint("", "read from each row's period label")
            source_id = ind_id
        entry = {"source_id": source_id, "indicator_id": ind_id, "map_to": "", "fields": fields, **held[ind_id]}
        entry["needs"] = _needs(entry)
        entries.append(entry)
    return {"indicators": entries, "matched": _matched(rows, catalogue, new_indicators)}


def contents(rows: pd.DataFrame) -> dict:
    """The areas, periods and categories of one indicator's rows, for the preview."""
    return _described(len(rows), _codes(rows["area_code"]), _codes(rows["area_name"]), _codes(rows["period"]),
                      _codes(rows["category_type"]), _codes(rows["category"]))


def contents_by_indicator(rows: pd.DataFrame, ids: list[str]) -> dict[str, dict]:
    """contents() of each indicator's rows, for every id in ids, in one pass over the frame (a million rows
    held as text would take seconds row by row): each column is factorized once, each indicator's part
    is a slice of the rows sorted (stably) by indicator."""
    ind_codes, ind_values = _codes(rows["indicator_id"])
    position = {v: k for k, v in enumerate(ind_values)}
    wanted = np.array([position.get(i, -1) for i in ids], dtype=np.intp)
    keep = np.flatnonzero(np.isin(ind_codes, wanted[wanted >= 0]))
    order = keep[np.argsort(ind_codes[keep], kind="stable")]  # each indicator's rows together, in file order
    columns = [_codes(rows[c].take(order)) for c in ("area_code", "area_name", "period", "category_type", "category")]
    bounds = np.searchsorted(ind_codes[order], np.arange(len(ind_values) + 1))
    out = {}
    for ind_id, code in zip(ids, wanted, strict=True):
        part = slice(int(bounds[code]), int(bounds[code + 1])) if code >= 0 else slice(0, 0)
        out[ind_id] = _described(part.stop - part.start, *[(c[part], v) for c, v in columns])
    return out


def _codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(codes, each code's text as str(cell) gives it): a column factorized once, missing cells included."""
    codes, values = pd.factorize(column, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp), [str(v) for v in values]


def _described(n: int, area_code, area_name, period, category_type, category) -> dict:
    """contents() from (codes, texts) pairs of one indicator's rows, in the rows' order."""
    def firsts(*keys: np.ndarray, last: bool = False) -> np.ndarray:
        """Positions of the first (or last) row of each distinct combination of keys, in row order."""
        m = len(keys[0])
        if not m:
            return np.zeros(0, dtype=np.intp)
        key = np.zeros(m, dtype=np.int64)
        for k in keys:
            key = key * (int(k.max()) + 1) + k
        if last:
            _, at = np.unique(key[::-1], return_index=True)
            return np.sort(m - 1 - at)
        _, at = np.unique(key, return_index=True)
        return np.sort(at)

    (codes, code_text), (names, name_text) = area_code, area_name
    # the name each area code last had in the rows (dict(zip(codes, names)) keeps the last)
    areas = {code_text[codes[k]]: name_text[names[k]] for k in firsts(codes, last=True)}
    key = [areas[c] for c in KEY_AREAS if c in areas]
    p_codes, p_text = period
    labels = sorted({p_text[p_codes[k]] for k in firsts(p_codes)}, key=_period_order)
    (t_codes, t_text), (c_codes, c_text) = category_type, category
    blank = {j for j, t in enumerate(t_text) if t == ""}
    with_cat = np.flatnonzero(~np.isin(t_codes, list(blank))) if blank else np.arange(n)
    by_type: dict[str, list[str]] = {}
    for k in with_cat[firsts(t_codes[with_cat], c_codes[with_cat])] if len(with_cat) else []:
        by_type.setdefault(t_text[t_codes[k]], []).append(c_text[c_codes[k]])
    cats = [f"{t}: {', '.join(cs) if len(cs) <= 3 else f'{len(cs)} ({cs[0]} ... {cs[-1]})'}" for t, cs in by_type.items()]
    return {"rows": n, "areas": len(areas), "key_areas": key, "periods": labels,
            "categories": cats[:MAX_LISTED], "category_count": sum(len(cs) for cs in by_type.values()),
            "category_types": len(by_type)}


def _period_order(label: str):
    try:
        start = parse_period(label).start
    except PeriodError:
        start = None
    return (start is None, start.isoformat() if start else "", label)


def _matched(rows: pd.DataFrame, catalogue: pd.DataFrame, new_indicators: pd.DataFrame) -> list[dict]:
    """Catalogue indicators with a Fingertips id whose rows the file holds (issue 12 point 7)."""
    if not len(rows) or "fingertips_id" not in catalogue.columns:
        return []
    cat = catalogue.set_index("id", drop=False) if "id" in catalogue.columns else catalogue
    new_ids = set(new_indicators["id"]) if len(new_indicators) else set()
    out = []
    for ind_id in dict.fromkeys(_codes(rows["indicator_id"])[1]):  # each id once, in order of first appearance
        if ind_id in new_ids or ind_id not in cat.index:
            continue
        ft = str(cat.at[ind_id, "fingertips_id"] or "")
        if ft:
            out.append({"source_id": ft, "indicator_id": ind_id, "name": str(cat.at[ind_id, "name"]),
                        "period_basis": str(cat.at[ind_id, "period_basis"] or "") if "period_basis" in cat.columns else ""})
    return out


def _needs(entry: dict) -> list[str]:
    if entry.get("map_to"):
        return []
    fields = entry["fields"]
    out = [f for f in REQUIRED if f not in fields or (f != "period_basis" and not fields[f]["value"])]
    return out


def needs_choice(proposals: dict | None) -> list[dict]:
    """Every (indicator, field) still needing the editor's choice: what a Publish is refused for."""
    out = []
    for entry in (proposals or {}).get("indicators", []):
        for f in entry.get("needs", []):
            allowed = OPTIONS.get(f)
            message = f"indicator {entry['source_id']} ({entry['fields'].get('name', {}).get('value') or entry['indicator_id']}): " \
                      f"the file does not say its {LABELS[f]}; choose one" + (f" of: {', '.join(allowed)}" if allowed else "") + \
                      " (or map it onto a catalogue indicator with map_to)"
            out.append({"source_id": entry["source_id"], "indicator_id": entry["indicator_id"], "field": f, "message": message})
    return out


# ---- the editor's choices ------------------------------------------------------------------------------

def read_choices(content: bytes | str) -> pd.DataFrame:
    """The `indicators` CSV as a text frame of CHOICE_COLUMNS + OPTIONAL_CHOICE_COLUMNS. ChoiceError naming
    row and column for a file that is not such a CSV. Header names are matched without case or spaces."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ChoiceError([Problem(None, None, f"the indicators CSV is not UTF-8 text (byte {exc.start})")]) from None
    try:
        table = list(csv.reader(io.StringIO(content, newline=""), strict=True))
    except csv.Error as exc:
        raise ChoiceError([Problem(None, None, f"the indicators CSV cannot be read: {exc}")]) from None
    table = [r for r in table if any(c.strip() for c in r)]
    if not table:
        raise ChoiceError([Problem(None, None, "the indicators CSV is empty; its header is " + ",".join(CHOICE_COLUMNS))])
    header = ["_".join(h.strip().lower().split()) for h in table[0]]
    known = CHOICE_COLUMNS + OPTIONAL_CHOICE_COLUMNS
    problems = [Problem(None, h or f"column {j + 1}", f"unknown column in the indicators CSV; its columns are: {', '.join(known)}")
                for j, h in enumerate(header) if h not in known]
    problems += [Problem(None, h, "appears more than once in the indicators CSV") for h in sorted({h for h in header if header.count(h) > 1})]
    if "source_id" not in header:
        problems.append(Problem(None, "source_id", "required column is missing from the indicators CSV"))
    for i, r in enumerate(table[1:], start=1):
        if len(r) > len(header):
            problems.append(Problem(i, None, f"indicators CSV row has {len(r)} fields, the header {len(header)}"))
    if problems:
        raise ChoiceError(problems)
    records = [{h: (r[j].strip() if j < len(r) else "") for j, h in enumerate(header)} for r in table[1:]]
    return pd.DataFrame(records, columns=list(known), dtype=object).fillna("")


def apply_choices(proposals: dict, choices: pd.DataFrame, catalogue: pd.DataFrame) -> dict:
    """The proposals with the editor's choices applied. ChoiceError (row, column) for a choice that is
    not allowed, an indicator the upload does not hold, or a map_to the catalogue lacks; then nothing
    is applied. Blank cells keep the preview's value; a row for an indicator replaces its earlier choices."""
    entries = [dict(e, fields=dict(e["fields"])) for e in proposals.get("indicators", [])]
    by_source = {e["source_id"]: e for e in entries}
    by_source.update({e["indicator_id"]: e for e in entries})
    cat_ids = set(catalogue["id"] if "id" in catalogue.columns else catalogue.index)
    matched = {m["source_id"]: m["indicator_id"] for m in proposals.get("matched", [])}
    problems = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(choices.fillna("").astype(str).to_dict("records"), start=1):
        source = rec.get("source_id", "").strip()
        entry = by_source.get(source)
        joined = matched.get(source)
        if entry is None and joined is not None and rec.get("map_to", "").strip() in ("", joined):
            continue  # already joined to its catalogue indicator by its Fingertips id, and the choice agrees
        if entry is None:
            held = ", ".join(e["source_id"] for e in entries) or "none"
            problems.append(Problem(i, "source_id", f"'{source}' is not a new indicator of this upload (its new indicators: {held})"))
            continue
        if entry["indicator_id"] in seen:
            problems.append(Problem(i, "source_id", f"'{source}' repeats row {seen[entry['indicator_id']]}"))
            continue
        seen[entry["indicator_id"]] = i
        target = rec.get("map_to", "").strip()
        if target and target not in cat_ids:
            problems.append(Problem(i, "map_to", f"'{target}' is not an indicator of the catalogue"))
        entry["map_to"] = target if target in cat_ids else ""
        for f in FIELDS + OPTIONAL_CHOICE_COLUMNS:
            value = " ".join(str(rec.get(f, "")).split())
            if not value:
                continue
            if entry["fields"].get(f, {}).get("value") == value:
                continue  # confirmed as shown: it keeps saying where it came from
            allowed = OPTIONS.get(f)
            if allowed and value not in allowed:
                problems.append(Problem(i, f, f"'{value}' is not one of: {', '.join(allowed)}"))
                continue
            entry["fields"][f] = hint(value, CHOSEN)
    if problems:
        raise ChoiceError(problems)
    for entry in entries:
        entry["needs"] = _needs(entry)
    return {**proposals, "indicators": entries}


# ---- what a publish writes -------------------------------------------------------------------------------

def materialise(rows: pd.DataFrame, new_indicators: pd.DataFrame, proposals: dict | None, catalogue: pd.DataFrame,
                observations: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, new catalogue rows) as the proposals say: mapped indicators' rows take the catalogue id
    and their new indicator goes; new indicators take the chosen fields; every split-year period
    ('2019/20') of an indicator whose basis is academic takes the academic year (1 Sep - 31 Aug)."""
    ids, types = row_changes(rows, proposals, catalogue, observations)
    rows = rows.copy()
    if ids is not None:
        rows["indicator_id"] = pd.Series(ids, index=rows.index, dtype=rows["indicator_id"].dtype)
    rows["period_type"] = types if types is not None else rows["period_type"].to_numpy(dtype=object)
    return rows.reset_index(drop=True), chosen_catalogue_rows(new_indicators, proposals)


def chosen_catalogue_rows(new_indicators: pd.DataFrame, proposals: dict | None) -> pd.DataFrame:
    """The new catalogue rows as the proposals make them: mapped indicators go, the others take the chosen fields."""
    new = new_indicators.copy().reset_index(drop=True)
    entries = (proposals or {}).get("indicators", [])
    mapped = {e["indicator_id"] for e in entries if e.get("map_to")}
    if mapped:
        new = new[~new["id"].isin(mapped)]
    row_of = {ind_id: k for k, ind_id in enumerate(new["id"])}  # the first row of each id (ids are distinct)
    changes: dict[str, dict[int, str]] = {}  # column -> {row position: value}, set a column at a time
    for entry in entries:
        k = row_of.get(entry["indicator_id"])
        if entry.get("map_to") or k is None:
            continue
        for f, h in entry["fields"].items():
            if f in INDICATOR_COLUMNS and f != "id" and (h["from"] == CHOSEN or f in FIELDS):
                changes.setdefault(f, {})[k] = h["value"]
        if "fingertips_id" in new.columns and str(new["fingertips_id"].iloc[k]):
            changes.setdefault("note", {})[k] = FINGERTIPS_CHOSEN_NOTE
    if len(set(new["id"])) != len(new) or not set(changes) <= set(new.columns):
        return _chosen_cell_by_cell(new, entries)  # a repeated id or a column to add: as .loc does it
    for col, values in changes.items():
        column = new[col].to_numpy(dtype=object, copy=True)
        column[list(values)] = list(values.values())
        new[col] = pd.Series(column, index=new.index, dtype=new[col].dtype)
    return new.reset_index(drop=True)


def _chosen_cell_by_cell(new: pd.DataFrame, entries: list[dict]) -> pd.DataFrame:
    for entry in entries:
        at = new.index[new["id"] == entry["indicator_id"]]
        if entry.get("map_to"):
            continue
        for f, h in entry["fields"].items():
            if f in INDICATOR_COLUMNS and f != "id" and (h["from"] == CHOSEN or f in FIELDS):
                new.loc[at, f] = h["value"]
        if "fingertips_id" in new.columns and len(at) and str(new.loc[at[0], "fingertips_id"]):
            new.loc[at, "note"] = FINGERTIPS_CHOSEN_NOTE
    return new.reset_index(drop=True)


def row_changes(rows: pd.DataFrame, proposals: dict | None, catalogue: pd.DataFrame,
                observations: pd.DataFrame | None = None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(every row's indicator id, every row's period type) as the proposals make them, each None where no
    row changes: what materialise sets, worked out by column (a row's change depends only on its
    indicator and its period label)."""
    renamed: dict[str, str] = {}
    basis: dict[str, str] = {}
    chosen: dict[str, str] = {}  # a mapped indicator's basis, when the editor chose one
    for entry in (proposals or {}).get("indicators", []):
        ind_id = entry["indicator_id"]
        if entry.get("map_to"):
            renamed[ind_id] = entry["map_to"]
            h = entry["fields"].get("period_basis")
            if h and h["from"] == CHOSEN:
                chosen[entry["map_to"]] = h["value"]
            continue
        basis[ind_id] = entry["fields"].get("period_basis", {}).get("value", "")
    id_codes, id_values = _codes(rows["indicator_id"])
    ids = None
    if any(i in renamed for i in id_values):
        id_values = [renamed.get(i, i) for i in id_values]
        ids = np.array(id_values, dtype=object)[id_codes]
    cat = catalogue.set_index("id", drop=False) if "id" in catalogue.columns else catalogue
    for ind_id in dict.fromkeys(id_values):
        if ind_id not in basis and ind_id in cat.index and "period_basis" in cat.columns:
            basis[ind_id] = str(cat.at[ind_id, "period_basis"] or "")
        if not basis.get(ind_id) and ind_id in chosen:
            basis[ind_id] = chosen[ind_id]
    if observations is not None:
        unsure = [i for i in dict.fromkeys(id_values) if not basis.get(i)]
        basis.update(_held_bases(observations, unsure))
    types = _period_types(rows, id_codes, id_values, basis)
    return ids, types


def _held_bases(observations: pd.DataFrame, ids: list[str]) -> dict[str, str]:
    """{id: the one split-year type (financial or academic) the store already uses for it, else ''} for ids."""
    if not ids:
        return {}
    held = observations.loc[observations["indicator_id"].isin(ids), ["indicator_id", "period_type"]].astype(str)
    held = held[held["period_type"].isin([FINANCIAL_YEAR, ACADEMIC_YEAR])].drop_duplicates()
    kinds = held.groupby("indicator_id")["period_type"].agg(set)
    return {i: (next(iter(kinds[i])) if i in kinds.index and len(kinds[i]) == 1 else "") for i in ids}


def _period_types(rows: pd.DataFrame, id_codes: np.ndarray, id_values: list[str], basis: dict[str, str]) -> np.ndarray | None:
    """Each row's period type, or None if none changes: a split-year label of an indicator with a
    financial or academic basis takes that basis (when its own type is blank or a split year);
    every other row keeps its own. id_codes/id_values: the rows' (final) indicator ids, factorized."""
    wanted = np.array([basis.get(i, "") if basis.get(i, "") in (FINANCIAL_YEAR, ACADEMIC_YEAR) else "" for i in id_values]
                      + [""], dtype=object)  # by id code
    if not (wanted != "").any():
        return None
    target = wanted[id_codes]
    out = rows["period_type"].to_numpy(dtype=object)
    # the cheap columns first: rows whose indicator has a basis and whose own type is blank or another
    # split year; only their period labels are read (none, when the basis is what the rows already say)
    t_codes, t_values = pd.factorize(out, use_na_sentinel=False)
    eligible = np.array([(not v) or v in (FINANCIAL_YEAR, ACADEMIC_YEAR) for v in t_values] + [False], dtype=bool)
    candidates = np.flatnonzero((target != "") & eligible[t_codes] & (out != target))
    if not len(candidates):
        return None
    p_codes, labels = pd.factorize(rows["period"].to_numpy(dtype=object)[candidates], use_na_sentinel=False)
    is_split = np.array([_is_split_year(str(label)) for label in labels] + [False], dtype=bool)
    change = candidates[is_split[p_codes]]
    if not len(change):
        return None
    out = out.copy()
    out[change] = target[change]
    return out


def _is_split_year(label: str) -> bool:
    try:
        return parse_period(label).type == FINANCIAL_YEAR
    except PeriodError:
        return False


def indicator_problems(new_indicators: pd.DataFrame) -> list[Problem]:
    """The chosen catalogue rows checked as the catalogue is (a name, a set, ...)."""
    return validate_indicators(new_indicators.reindex(columns=list(INDICATOR_COLUMNS)).fillna(""))


def describe(entry: dict) -> Iterable[tuple[str, str, str]]:
    """(field label, value or 'needs your choice', where it came from) for each field of an entry."""
    for f in FIELDS:
        h = entry["fields"].get(f)
        if f in entry.get("needs", []):
            yield LABELS[f], "needs your choice", "the file does not say"
        elif h is None:
            yield LABELS[f], "", "the file does not say"
        else:
            yield LABELS[f], h["value"] or ("read from the period labels" if f == "period_basis" else "none"), h["from"]
