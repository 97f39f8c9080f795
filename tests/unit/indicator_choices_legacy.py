"""The indicator_choices functions as they were before issue 15's round 3 (per-indicator loops over
every row), kept as the reference the vectorised ones must equal (tests/unit/test_choices_vectorised.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.domain.periods import ACADEMIC_YEAR, FINANCIAL_YEAR, PeriodError, parse_period
from data.domain.schema import INDICATOR_COLUMNS
from data.ingest.formats.fingertips_meta import hint
from data.ingest.indicator_choices import CHOSEN, FIELDS, FINGERTIPS_CHOSEN_NOTE, KEY_AREAS, MAX_LISTED, _needs, _period_order


def propose(rows: pd.DataFrame, new_indicators: pd.DataFrame, hints: dict, catalogue: pd.DataFrame, kind: str) -> dict:
    """{"indicators": one entry per new indicator, "matched": file indicators joined to catalogue ones}.

    rows: the upload's observation rows (text or typed); hints: ImportResult.hints; kind: the format.
    Each entry: source_id, indicator_id, map_to, fields (field -> {"value", "from"}), needs (fields
    without a value), and what the file holds for it: rows, areas, key_areas, periods, categories."""
    entries = []
    by_id = rows.groupby("indicator_id", sort=False) if len(rows) else None
    for ind in new_indicators.to_dict("records"):
        ind_id = str(ind["id"])
        mine = by_id.get_group(ind_id) if by_id is not None and ind_id in by_id.groups else rows.iloc[:0]
        if kind == "fingertips":
            fields = dict(hints.get(ind_id, {}))
            source_id = str(ind.get("fingertips_id") or ind_id)
        else:  # the template names every field of an indicator it creates; empty period basis: read from the labels
            fields = {f: hint(str(ind.get(f) or ""), "the file") for f in FIELDS if f != "period_basis"}
            fields["period_basis"] = hint("", "read from each row's period label")
            source_id = ind_id
        entry = {"source_id": source_id, "indicator_id": ind_id, "map_to": "", "fields": fields, **contents(mine)}
        entry["needs"] = _needs(entry)
        entries.append(entry)
    return {"indicators": entries, "matched": _matched(rows, catalogue, new_indicators)}


def contents(rows: pd.DataFrame) -> dict:
    """The areas, periods and categories of one indicator's rows, for the preview."""
    areas = dict(zip(rows["area_code"], rows["area_name"], strict=True))
    key = [areas[c] for c in KEY_AREAS if c in areas]
    labels = list(dict.fromkeys(str(p) for p in rows["period"]))
    labels.sort(key=_period_order)
    with_cat = rows[rows["category_type"].astype(str) != ""]
    by_type: dict[str, list[str]] = {}
    for t, c in dict.fromkeys(zip(with_cat["category_type"].astype(str), with_cat["category"].astype(str), strict=True)):
        by_type.setdefault(t, []).append(c)
    cats = [f"{t}: {', '.join(cs) if len(cs) <= 3 else f'{len(cs)} ({cs[0]} ... {cs[-1]})'}" for t, cs in by_type.items()]
    return {"rows": len(rows), "areas": len(areas), "key_areas": key, "periods": labels,
            "categories": cats[:MAX_LISTED], "category_count": sum(len(cs) for cs in by_type.values()),
            "category_types": len(by_type)}


def _matched(rows: pd.DataFrame, catalogue: pd.DataFrame, new_indicators: pd.DataFrame) -> list[dict]:
    """Catalogue indicators with a Fingertips id whose rows the file holds (issue 12 point 7)."""
    if not len(rows) or "fingertips_id" not in catalogue.columns:
        return []
    cat = catalogue.set_index("id", drop=False) if "id" in catalogue.columns else catalogue
    new_ids = set(new_indicators["id"]) if len(new_indicators) else set()
    out = []
    for ind_id in dict.fromkeys(str(i) for i in rows["indicator_id"]):
        if ind_id in new_ids or ind_id not in cat.index:
            continue
        ft = str(cat.at[ind_id, "fingertips_id"] or "")
        if ft:
            out.append({"source_id": ft, "indicator_id": ind_id, "name": str(cat.at[ind_id, "name"]),
                        "period_basis": str(cat.at[ind_id, "period_basis"] or "") if "period_basis" in cat.columns else ""})
    return out


def materialise(rows: pd.DataFrame, new_indicators: pd.DataFrame, proposals: dict | None, catalogue: pd.DataFrame,
                observations: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, new catalogue rows) as the proposals say: mapped indicators' rows take the catalogue id
    and their new indicator goes; new indicators take the chosen fields; every split-year period
    ('2019/20') of an indicator whose basis is academic takes the academic year (1 Sep - 31 Aug)."""
    rows = rows.copy()
    new = new_indicators.copy().reset_index(drop=True)
    basis: dict[str, str] = {}
    chosen: dict[str, str] = {}  # a mapped indicator's basis, when the editor chose one
    for entry in (proposals or {}).get("indicators", []):
        ind_id = entry["indicator_id"]
        if entry.get("map_to"):
            rows.loc[rows["indicator_id"] == ind_id, "indicator_id"] = entry["map_to"]
            new = new[new["id"] != ind_id]
            h = entry["fields"].get("period_basis")
            if h and h["from"] == CHOSEN:
                chosen[entry["map_to"]] = h["value"]
            continue
        at = new.index[new["id"] == ind_id]
        for f, h in entry["fields"].items():
            if f in INDICATOR_COLUMNS and f != "id" and (h["from"] == CHOSEN or f in FIELDS):
                new.loc[at, f] = h["value"]
        if "fingertips_id" in new.columns and len(at) and str(new.loc[at[0], "fingertips_id"]):
            new.loc[at, "note"] = FINGERTIPS_CHOSEN_NOTE
        basis[ind_id] = entry["fields"].get("period_basis", {}).get("value", "")
    cat = catalogue.set_index("id", drop=False) if "id" in catalogue.columns else catalogue
    for ind_id in dict.fromkeys(str(i) for i in rows["indicator_id"]):
        if ind_id not in basis and ind_id in cat.index and "period_basis" in cat.columns:
            basis[ind_id] = str(cat.at[ind_id, "period_basis"] or "")
        if not basis.get(ind_id) and ind_id in chosen:
            basis[ind_id] = chosen[ind_id]
        if not basis.get(ind_id) and observations is not None:
            basis[ind_id] = _held_basis(observations, ind_id)
    rows["period_type"] = _period_types(rows, basis)
    return rows.reset_index(drop=True), new.reset_index(drop=True)


def _held_basis(observations: pd.DataFrame, ind_id: str) -> str:
    """The one split-year type (financial or academic) the store already uses for an indicator, else ''."""
    held = observations.loc[observations["indicator_id"] == ind_id, "period_type"].astype(str)
    kinds = set(held) & {FINANCIAL_YEAR, ACADEMIC_YEAR}
    return kinds.pop() if len(kinds) == 1 else ""


def _period_types(rows: pd.DataFrame, basis: dict[str, str]) -> np.ndarray:
    """Each row's period type: a split-year label of an indicator with a financial or academic basis
    takes that basis; every other row keeps its own."""
    out = rows["period_type"].to_numpy(dtype=object).copy()
    wanted = {i: b for i, b in basis.items() if b in (FINANCIAL_YEAR, ACADEMIC_YEAR)}
    if not wanted:
        return out
    ids, periods = rows["indicator_id"].to_numpy(dtype=object), rows["period"].to_numpy(dtype=object)
    split: dict[str, bool] = {}
    for k in np.flatnonzero(pd.Series(ids).isin(list(wanted)).to_numpy()):
        label = str(periods[k])
        if label not in split:
            try:
                split[label] = parse_period(label).type == FINANCIAL_YEAR
            except PeriodError:
                split[label] = False
        if split[label] and (not out[k] or out[k] in (FINANCIAL_YEAR, ACADEMIC_YEAR)):
            out[k] = wanted[ids[k]]
    return out
