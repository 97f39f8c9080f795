"""Editing the catalogue: an editor changes an indicator's fields; each change is a new data version.

    result = edit_indicator(store, "reception-overweight", {"name": "...", "unit": "%"}, user=editor)
    result.version     # the new data version (None when nothing changed)
    result.changed     # the fields whose values changed, in EDITABLE order

The change is checked field by field (check_changes: every problem names its field), then as a whole
catalogue row (schema.validate_indicators), and written by Store.publish_catalogue in one transaction
on the head version: the version history (/versions) lists it as action "catalogue", and restoring an
earlier version puts the earlier catalogue values back (Store.restore replaces a catalogue that differs).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from data.domain.periods import PeriodError, canonical_year
from data.domain.schema import INDICATOR_COLUMNS, POLARITIES, SETS, UNITS, validate_indicators
from data.storage.store import Store

# The fields an editor may change, in the order forms and answers list them.
EDITABLE = ("name", "short_name", "unit", "polarity", "set", "definition", "fingertips_id",
            "expected_update_for", "expected_update", "expected_by", "note")
LABELS = {
    "name": "Name", "short_name": "Short name", "unit": "Unit", "polarity": "Polarity", "set": "Set",
    "definition": "Definition", "fingertips_id": "Fingertips indicator id", "expected_update_for": "Update expected for (reporting year)",
    "expected_update": "Expected update (why it is missing, when expected)", "expected_by": "Expected by (YYYY-MM)", "note": "Note",
}
MAX_LENGTH = {"name": 300, "short_name": 80, "definition": 5000, "fingertips_id": 9, "expected_update_for": 20,
              "expected_update": 2000, "expected_by": 10, "note": 5000}
CHOICES = {"unit": UNITS, "polarity": POLARITIES, "set": SETS}
REQUIRED = ("name", "unit", "polarity", "set")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ONE_LINE = ("name", "short_name", "fingertips_id", "expected_update_for", "expected_by")


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class UnknownIndicator(LookupError):
    """No indicator with that id in the catalogue."""


class InvalidChange(ValueError):
    """The change has problems; each names its field. Nothing was changed."""

    def __init__(self, problems: list[FieldProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class EditResult:
    indicator_id: str
    version: int | None  # the new data version; None when the values were the same
    changed: list[str] = field(default_factory=list)
    indicator: dict = field(default_factory=dict)  # the indicator's fields after the edit


def check_changes(current: Mapping[str, str], changes: Mapping) -> tuple[dict, list[FieldProblem]]:
    """(the indicator's row with the changes applied, problems). Values are text (a whole number is taken
    for fingertips_id; null clears an optional field); surrounding spaces are dropped."""
    problems: list[FieldProblem] = []
    if not isinstance(changes, Mapping):
        return dict(current), [FieldProblem("(body)", "send a JSON object of field: value")]
    row = {c: ("" if current.get(c) is None else str(current.get(c))) for c in INDICATOR_COLUMNS}
    for name, raw in changes.items():
        if name not in EDITABLE:
            problems.append(FieldProblem(str(name)[:60], f"is not a field that can be changed (these can: {', '.join(EDITABLE)})"))
            continue
        if raw is None:
            value = ""
        elif isinstance(raw, bool) or not isinstance(raw, (str, int)):
            problems.append(FieldProblem(name, "must be text"))
            continue
        else:
            value = str(raw)
        value = value.strip() if name in _ONE_LINE else value.strip("\n\r\t ")
        problem = _check_value(name, value)
        if problem:
            problems.append(FieldProblem(name, problem))
            continue
        if name == "expected_update_for" and value:
            value = canonical_year(value)
        row[name] = value
    if not problems:
        for p in validate_indicators(pd.DataFrame([row], columns=list(INDICATOR_COLUMNS))):
            problems.append(FieldProblem(p.column or "(indicator)", p.message))
    return row, problems


def _check_value(name: str, value: str) -> str | None:
    if name in REQUIRED and not value:
        return "must not be empty"
    if len(value) > MAX_LENGTH.get(name, 10_000):
        return f"is longer than {MAX_LENGTH[name]} characters"
    if _CONTROL.search(value) or (name in _ONE_LINE and ("\n" in value or "\r" in value)):
        return "holds control characters or line breaks"
    if name in CHOICES and value not in CHOICES[name]:
        return f"'{value[:60]}' is not one of: {', '.join(CHOICES[name])}"
    if name == "fingertips_id" and value and not (value.isascii() and value.isdigit()):
        return f"'{value[:20]}' is not a Fingertips indicator id (a whole number such as 93356)"
    if name == "expected_by" and value and not _is_month_or_date(value):
        return f"'{value[:20]}' is not a month (YYYY-MM) or a date (YYYY-MM-DD)"
    if name == "expected_update_for" and value:
        try:
            canonical_year(value)
        except (PeriodError, ValueError):
            return f"'{value[:20]}' is not a reporting year such as 2023/24"
    return None


def _is_month_or_date(text: str) -> bool:
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    if not match:
        return False
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def edit_indicator(store: Store, indicator_id: str, changes: Mapping, *, user: str,
                   base_version: int | None = None) -> EditResult:
    """Apply `changes` to one indicator as a new data version (none when no value differs).

    UnknownIndicator (nothing changed) for an id the head catalogue lacks; InvalidChange (nothing changed)
    naming each bad field; PublishConflict when base_version is given and the head has moved since."""
    outcome: dict = {}

    def build(catalogue: pd.DataFrame) -> pd.DataFrame | None:
        match = catalogue.index[catalogue["id"] == indicator_id]
        if not len(match):
            raise UnknownIndicator(f"there is no indicator '{indicator_id}' in the catalogue")
        at = match[0]
        current = catalogue.loc[at].to_dict()
        row, problems = check_changes(current, changes)
        if problems:
            raise InvalidChange(problems)
        changed = [c for c in EDITABLE if str(current.get(c) or "") != row[c]]
        outcome.update(changed=changed, row=row)
        if not changed:
            return None
        updated = catalogue.copy()
        for c in changed:
            updated.at[at, c] = row[c]
        return updated

    version = store.publish_catalogue(build, user=user, base_version=base_version,
                                      description=lambda: f"catalogue: {indicator_id} ({', '.join(outcome['changed'])})")
    return EditResult(indicator_id, version, outcome.get("changed", []), outcome.get("row", {}))


def indicator_fields(catalogue: pd.DataFrame, indicator_id: str) -> dict | None:
    """The indicator's catalogue row as a dict of text (None when the id is unknown)."""
    cat = catalogue if "id" in catalogue.columns else catalogue.assign(id=catalogue.index)
    match = cat[cat["id"] == indicator_id]
    if match.empty:
        return None
    rec = match.iloc[0].to_dict()
    return {c: ("" if rec.get(c) is None or rec.get(c) != rec.get(c) else str(rec.get(c))) for c in INDICATOR_COLUMNS}
