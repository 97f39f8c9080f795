"""The Fingertips converter against the real extracts.

Expectations are computed from the source CSVs here, not typed in, so the
tests say "the bundle is the source" rather than "the bundle is what it was".
"""
import shutil
from pathlib import Path

import pandas as pd
import pytest

from data.ingest.convert_fingertips import EXTRACTS, ConversionError, convert, main

SOURCE = Path(__file__).resolve().parents[1] / "data" / "fingertips" / "extracts"
BUNDLED = Path(__file__).resolve().parents[2] / "data" / "bundled"
AREAS = {"E06000014", "E92000001"}
BY_FILE = {ex.file: ex for ex in EXTRACTS}



def read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundled")
    assert main(["--source", str(SOURCE), "--out", str(out)]) == 0
    return out, read(out / "indicators_fingertips.csv"), read(out / "fingertips_observations.csv")


def source_rows(file):
    rows = read(SOURCE / file)
    return rows[rows["area_code"].isin(AREAS)]


def test_only_york_and_england(converted):
    _, _, obs = converted
    assert set(obs["area_code"]) == AREAS
    assert set(zip(obs["area_code"], obs["area_name"], strict=True)) == {("E06000014", "York"), ("E92000001", "England")}


@pytest.mark.parametrize("file", sorted(BY_FILE))
def test_every_source_row_present_with_its_exact_value(converted, file):
    _, _, obs = converted
    ex = BY_FILE[file]
    mine = obs[obs["indicator_id"] == ex.indicator_id]
    src = source_rows(file).drop_duplicates()
    assert len(mine) == len(src)
    got = {(r.area_code, r.period): r.value for r in mine.itertuples()}
    for r in src.itertuples():
        want = "" if r.value == "NA" else r.value  # NA is missing, never zero
        assert got[(r.area_code, r.period)] == want, (file, r.area_code, r.period)
    assert set(mine["source"]) == {
        f"OHID Fingertips, OGL v3.0 ({f'indicator {ex.fingertips_id}, ' if ex.fingertips_id else ''}extract {file})"
    }


def test_significance_goes_to_york_notes(converted):
    _, _, obs = converted
    for file, ex in BY_FILE.items():
        src = source_rows(file).rename(columns={"compared_to_England": "significance"}).drop_duplicates()
        mine = obs[obs["indicator_id"] == ex.indicator_id].set_index(["area_code", "period"])["note"]
        for r in src.itertuples():
            note = mine[(r.area_code, r.period)]
            compared = r.area_code == "E06000014" and r.significance != "Not compared"
            assert (f"Compared with England: {r.significance}" in note) == compared, (file, r.period)


def test_report_indicators_use_report_ids_and_stay_out_of_fingertips_catalogue(converted):
    _, ind, obs = converted
    for file, rid in (("excess_weight_reception.csv", "reception-overweight"), ("excess_weight_year6.csv", "year6-overweight")):
        rows = obs[obs["source"].str.contains(f"extract {file}", regex=False)]
        assert set(rows["indicator_id"]) == {rid}
        assert set(rows["period_type"]) == {"academic year"}
        assert rid not in set(ind["id"])
    assert set(ind["id"]) == {ex.indicator_id for ex in EXTRACTS if ex.set is not None}
    assert set(obs["indicator_id"]) == {ex.indicator_id for ex in EXTRACTS}


def test_catalogue_names_come_from_the_files(converted):
    _, ind, _ = converted
    for ex in EXTRACTS:
        if ex.set is None:
            continue
        row = ind[ind["id"] == ex.indicator_id].iloc[0]
        src = source_rows(ex.file)
        assert row["name"] == src["indicator"].iloc[0]
        assert row["fingertips_id"] == ex.fingertips_id
    assert ind.loc[ind["id"] == "fingertips-active-children", "fingertips_id"].item() == ""


def test_no_duplicate_keys(converted):
    _, _, obs = converted
    assert not obs.duplicated(["indicator_id", "area_code", "period", "category_type", "category"]).any()


def _copy_source(tmp_path):
    src = tmp_path / "extracts"
    shutil.copytree(SOURCE, src)
    for p in src.iterdir():
        p.chmod(0o644)  # copies of read-only files may be read-only too
    return src


def test_exact_duplicates_in_active_children_collapse(tmp_path):
    src = _copy_source(tmp_path)
    path = src / "active_children.csv"
    lines = path.read_text().splitlines(keepends=True)
    york = [line for line in lines if line.startswith("E06000014,")]
    path.write_text("".join(lines + york))  # every York row twice
    _, obs = convert(src, tmp_path / "out")
    mine = obs[obs["indicator_id"] == "fingertips-active-children"]
    assert (mine["area_code"] == "E06000014").sum() == len(york)


def test_conflicting_duplicate_fails_naming_the_file(tmp_path, capsys):
    src = _copy_source(tmp_path)
    path = src / "active_children.csv"
    text = path.read_text()
    york = next(line for line in text.splitlines() if line.startswith("E06000014,"))
    fields = york.split(",")
    fields[7] = "99.9" if fields[7] != "99.9" else "11.1"  # column 'value'
    path.write_text(text + ",".join(fields) + "\n")
    with pytest.raises(ConversionError, match=r"active_children\.csv.*E06000014"):
        convert(src, tmp_path / "out")
    assert main(["--source", str(src), "--out", str(tmp_path / "out")]) == 1
    assert "active_children.csv" in capsys.readouterr().err


def test_unparseable_period_fails_naming_file_and_label(tmp_path):
    src = _copy_source(tmp_path)
    path = src / "neets.csv"
    path.write_text(path.read_text().replace("E06000014,York,2016,", "E06000014,York,Spring 16,", 1))
    with pytest.raises(ConversionError, match=r"neets\.csv.*Spring 16"):
        convert(src, tmp_path / "out")


def test_bundled_files_equal_a_fresh_conversion(converted):
    out, _, _ = converted
    for name in ("indicators_fingertips.csv", "fingertips_observations.csv"):
        assert (BUNDLED / name).read_bytes() == (out / name).read_bytes(), f"{name} drifted: rerun python -m data.ingest.convert_fingertips"
