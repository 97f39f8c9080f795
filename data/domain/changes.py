"""What an upload would change: rows added, values changed (old -> new), unchanged, pending flags cleared.

Uploads add and update; they never delete a row that the file does not mention.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from data.domain.dataset import Dataset, build_from_typed
from data.domain.schema import OBSERVATION_KEY
from data.domain.status import indicator_status

COMPARED = ("area_name", "period_type", "value", "lower_ci", "upper_ci", "count", "denominator", "source", "note")


@dataclass
class ChangeSummary:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    new_indicators: list[str] = field(default_factory=list)
    pending_cleared: list[str] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # first few changed values, old -> new, for the preview

    def to_dict(self) -> dict:
        return {
            "added": self.added, "changed": self.changed, "unchanged": self.unchanged,
            "new_indicators": list(self.new_indicators), "pending_cleared": list(self.pending_cleared),
            "changes": self.changes,
        }


def classify(current: pd.DataFrame, incoming: pd.DataFrame) -> pd.Series:
    """'added' | 'changed' | 'unchanged' for each incoming row (index aligned with incoming)."""
    key = list(OBSERVATION_KEY)
    # Only rows of indicators the current data has can match a current row: the rest are added
    # without a merge (a million rows of new indicators need no comparison).
    held = incoming["indicator_id"].isin(current["indicator_id"].unique()).to_numpy(dtype=bool)
    compared = incoming if held.all() else incoming[held]
    cur = current[key + list(COMPARED)].drop_duplicates(key)
    merged = compared[key + list(COMPARED)].reset_index().merge(cur, on=key, how="left", suffixes=("", "_old"), indicator=True)
    merged = merged.set_index("index")
    kind = pd.Series("unchanged", index=merged.index)
    kind[merged["_merge"] == "left_only"] = "added"
    present = merged["_merge"] == "both"
    differs = pd.Series(False, index=merged.index)
    for col in COMPARED:
        new, old = merged[col], merged[f"{col}_old"]
        both_na = new.isna() & old.isna()
        differs |= present & ~both_na & (new != old).fillna(True)
    kind[differs] = "changed"
    if compared is not incoming:
        kind = pd.concat([kind, pd.Series("added", index=incoming.index[~held])]).reindex(incoming.index)
    kind.attrs["merged"] = merged
    return kind.reindex(incoming.index)


def summarise(dataset: Dataset, incoming: pd.DataFrame, new_indicators: pd.DataFrame, reporting_year: str = "2023/24",
              max_examples: int = 50) -> tuple[ChangeSummary, pd.Series]:
    kinds = classify(dataset.observations, incoming)
    merged = kinds.attrs.get("merged")
    summary = ChangeSummary(
        added=int((kinds == "added").sum()), changed=int((kinds == "changed").sum()),
        unchanged=int((kinds == "unchanged").sum()), new_indicators=list(new_indicators["id"]) if len(new_indicators) else [],
    )
    if merged is not None and summary.changed:
        for idx in kinds.index[kinds == "changed"][:max_examples]:
            row = merged.loc[idx]
            summary.changes.append({
                "indicator_id": row["indicator_id"], "area_code": row["area_code"], "period": row["period"],
                "category": row["category"], "old": _num(row["value_old"]), "new": _num(row["value"]),
            })
    before_status = indicator_status(dataset, reporting_year)
    was_pending = before_status.index[before_status["pending"]]  # pending or overdue
    if len(was_pending):
        # An indicator's status depends on its own rows only: the dataset after the upload is built
        # for the pending indicators alone (the same rows, in the same order, as the whole would give).
        pending = set(was_pending)
        mine = lambda frame: frame[frame["indicator_id"].isin(pending).to_numpy(dtype=bool)]  # noqa: E731
        before = Dataset(dataset.indicators, mine(dataset.observations), dataset.version, dataset.updated)
        after = apply_changes(before, mine(incoming[(kinds != "unchanged").to_numpy(dtype=bool)]), new_indicators)
        after_status = indicator_status(after, reporting_year)
        summary.pending_cleared = [i for i in was_pending if not after_status.at[i, "pending"]]
    return summary, kinds


def _num(v):
    return None if v is None or pd.isna(v) else float(v)


def apply_changes(dataset: Dataset, rows: pd.DataFrame, new_indicators: pd.DataFrame) -> Dataset:
    """The dataset as it would be with these rows upserted (used for the preview)."""
    key = list(OBSERVATION_KEY)
    obs = dataset.observations
    if len(rows):
        keep = obs.merge(rows[key].drop_duplicates(), on=key, how="left", indicator=True)["_merge"].eq("left_only").to_numpy()
        obs = pd.concat([obs[keep], rows], ignore_index=True)
    cat = dataset.indicators
    if len(new_indicators):
        cat = pd.concat([cat, new_indicators.set_index("id", drop=False)])
    return build_from_typed(cat.reset_index(drop=True), obs, dataset.version, dataset.updated)
