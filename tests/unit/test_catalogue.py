"""Editing the catalogue (data/storage/catalogue.py, Store.publish_catalogue): each edit is a new version
with the usual history, and a restore puts the earlier catalogue values back. On SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from data.storage.catalogue import EDITABLE, InvalidChange, UnknownIndicator, check_changes, edit_indicator
from data.storage.store import PublishConflict

EDITOR = "editor@example.org"
IND = "reception-overweight"


def test_cat001_an_edit_is_a_new_catalogue_version_and_leaves_the_observations(store):
    before = store.head_version()
    old = store.load_dataset()
    result = edit_indicator(store, IND, {"name": "Reception: overweight (incl. obesity)", "short_name": "Reception overweight",
                                         "note": "Checked against Fingertips 20601."}, user=EDITOR)
    assert result.version == before + 1 == store.head_version()
    assert result.changed == ["name", "short_name", "note"]
    new = store.load_dataset()
    assert new.indicators.loc[IND, "name"] == "Reception: overweight (incl. obesity)"
    assert new.indicators.loc[IND, "short_name"] == "Reception overweight"
    assert list(new.indicators.index) == list(old.indicators.index)  # the order is kept
    others = [c for c in new.indicators.columns if c not in ("name", "short_name", "note")]
    assert new.indicators[others].equals(old.indicators[others])
    assert len(new.observations) == len(old.observations)
    latest = store.versions()[0]
    assert (latest["version"], latest["action"], latest["created_by"]) == (result.version, "catalogue", EDITOR)
    assert latest["file_name"] == f"catalogue: {IND} (name, short_name, note)"


def test_cat002_restore_puts_the_earlier_catalogue_values_back(store):
    first = store.head_version()
    earlier = store.load_dataset().indicators.loc[IND].to_dict()
    edit_indicator(store, IND, {"unit": "count", "polarity": "higher is better", "set": "Aged 5-11",
                                "fingertips_id": "93356", "expected_by": "2025-11"}, user=EDITOR)
    edit_indicator(store, IND, {"definition": "A second edit."}, user=EDITOR)
    assert store.load_dataset().indicators.loc[IND, "unit"] == "count"
    restored = store.restore(first, user=EDITOR)
    back = store.load_dataset()
    assert back.version == restored
    assert back.indicators.loc[IND].to_dict() == earlier
    assert store.catalogue(restored).equals(store.catalogue(first))


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"colour": "red"}, "colour", "is not a field that can be changed"),
    ({"unit": "per 100,000"}, "unit", "'per 100,000' is not one of"),
    ({"polarity": "low is good"}, "polarity", "is not one of"),
    ({"set": "Nowhere"}, "set", "is not one of"),
    ({"name": "   "}, "name", "must not be empty"),
    ({"name": "two\nlines"}, "name", "line breaks"),
    ({"fingertips_id": "9x"}, "fingertips_id", "is not a Fingertips indicator id"),
    ({"expected_by": "2025-13"}, "expected_by", "is not a month"),
    ({"expected_update_for": "next year"}, "expected_update_for", "is not a reporting year"),
    ({"expected_update_for": "", "expected_update": "Due in the spring"}, "expected_update", "give both"),
    ({"note": ["a", "list"]}, "note", "must be text"),
    ({"short_name": "x" * 81}, "short_name", "longer than 80"),
])
def test_cat003_a_bad_change_names_its_field_and_changes_nothing(store, changes, field, message):
    before = store.head_version()
    with pytest.raises(InvalidChange) as raised:
        edit_indicator(store, IND, changes, user=EDITOR)
    assert [p.field for p in raised.value.problems] == [field]
    assert message in raised.value.problems[0].message
    assert store.head_version() == before


def test_cat004_an_unknown_indicator_changes_nothing(store):
    before = store.head_version()
    with pytest.raises(UnknownIndicator, match="no-such-indicator"):
        edit_indicator(store, "no-such-indicator", {"name": "x"}, user=EDITOR)
    assert store.head_version() == before


def test_cat005_the_same_values_make_no_version(store):
    before = store.head_version()
    current = store.load_dataset().indicators.loc[IND]
    result = edit_indicator(store, IND, {"name": current["name"] + "  ", "unit": current["unit"]}, user=EDITOR)
    assert result.version is None and result.changed == []
    assert store.head_version() == before


def test_cat006_an_edit_based_on_an_old_version_is_refused(store):
    base = store.head_version()
    edit_indicator(store, IND, {"note": "first"}, user=EDITOR)
    with pytest.raises(PublishConflict):
        edit_indicator(store, IND, {"note": "second"}, user=EDITOR, base_version=base)
    assert store.load_dataset().indicators.loc[IND, "note"] == "first"


def test_cat007_check_changes_normalises_values():
    current = {c: "" for c in ("id", *EDITABLE, "age_band", "source", "period_basis", "pending_reason")}
    current.update(id="x", name="X", set="Aged 2-5", unit="%", polarity="no judgement", source="s")
    row, problems = check_changes(current, {"fingertips_id": 20601, "expected_update_for": "2023-24",
                                                "expected_update": "Due spring 2025", "note": None})
    assert problems == []
    assert (row["fingertips_id"], row["expected_update_for"], row["note"]) == ("20601", "2023/24", "")
