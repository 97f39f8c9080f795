"""The upload importer (data/ingest/importer.py) and the template (data/ingest/template.py).

Expectations about the real Fingertips download are computed from the file with
the csv module here, not typed in from what the importer gave.
"""
import csv
import io
import time
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from data.domain.changes import summarise
from data.domain.dataset import build_from_typed, prepare_observations
from data.domain.periods import parse_period
from data.domain.schema import INDICATOR_COLUMNS, OBSERVATION_COLUMNS, OBSERVATION_KEY, Problem, to_number
from data.ingest import importer
from data.ingest.containers import limits
from data.ingest.importer import (
    FINGERTIPS_NOTE,
    FINGERTIPS_SET,
    ImportResult,
    catalogue_with,
    infer_unit,
    read_upload,
    typed_rows,
)
from data.ingest.template import EXAMPLES, template_csv

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
RAW = DATA / "fingertips" / "raw-download-example.csv"


@pytest.fixture(scope="module")
def catalogue(bundled):
    return bundled.indicators


def read(content, catalogue, filename="upload.csv", **kwargs) -> ImportResult:
    result = read_upload(content, filename, catalogue, **kwargs)
    assert isinstance(result, ImportResult)
    return result


def where(result):
    return [(p.row, p.column) for p in result.problems]


def csv_bytes(header, rows, encoding="utf-8", newline="\r\n"):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


# ---- the real Fingertips download ---------------------------------------------------------

@pytest.fixture(scope="module")
def raw_bytes():
    return RAW.read_bytes()  # a copy in tests/data (see its README): missing is a failure


@pytest.fixture(scope="module")
def raw_records(raw_bytes):
    """Header and data records of the real download, as the csv module reads them."""
    records = list(csv.reader(io.StringIO(raw_bytes.decode("utf-8-sig"), newline="")))
    return records[0], records[1:]


@pytest.fixture(scope="module")
def raw_dicts(raw_records):
    header, data = raw_records
    return [dict(zip(header, r + [""] * (len(header) - len(r)), strict=True)) for r in data]


@pytest.fixture(scope="module")
def raw_result(raw_bytes, catalogue):
    return read(raw_bytes, catalogue, "raw-download-example.csv")


def test_imp001_real_download_is_valid_and_every_record_is_a_row(raw_result, raw_records):
    header, data = raw_records
    assert len(header) == 26 and {len(r) for r in data} == {25}  # the quirk the file really has
    assert raw_result.problems == []
    assert raw_result.kind == "fingertips"
    assert raw_result.row_count == len(data) == 852
    assert len(raw_result.rows) == 852
    assert list(raw_result.rows.columns) == list(OBSERVATION_COLUMNS)


def test_imp002_real_download_england_country_rows_are_area_totals(raw_result, raw_dicts):
    england = [r for r in raw_dicts if r["Area Type"] == "Country" and not r["Category Type"] and r["Age"] == "All ages"]
    assert england, "the file has England rows"
    rows = raw_result.rows
    got = rows[(rows["area_code"] == "E92000001") & (rows["category_type"] == "")]
    assert sorted(got["period"]) == sorted(r["Time period"] for r in england)
    assert set(got["area_name"]) == {"England"}
    assert list(got.sort_values("period")["value"]) == [r["Value"] for r in sorted(england, key=lambda r: r["Time period"])]


def test_imp003_real_download_decile_rows_stay_categories(raw_result, raw_dicts):
    rows = raw_result.rows
    deciles = [r for r in raw_dicts if r["Category Type"]]
    assert len(deciles) == 60
    got = rows[rows["category"].str.contains("decile")]
    assert len(got) == len(deciles)
    assert (got["category_type"] != "").all()  # never an area total
    assert sorted(got["category"]) == sorted(r["Category"] for r in deciles)
    assert not rows.duplicated(list(OBSERVATION_KEY)).any()  # no two rows collide


def test_imp004_real_download_every_area_and_value_kept(raw_result, raw_dicts):
    rows = raw_result.rows
    assert set(rows["area_code"]) == {r["Area Code"] for r in raw_dicts}
    assert dict(zip(rows["area_code"], rows["area_name"], strict=True)) == {r["Area Code"]: r["Area Name"] for r in raw_dicts}
    assert sorted(rows["value"]) == sorted(r["Value"] for r in raw_dicts)  # text as published, not re-formatted
    empty = rows[rows["value"] == ""]
    assert len(empty) == sum(not r["Value"] for r in raw_dicts) > 0  # missing, never zero
    assert set(empty["note"]) <= {r["Value note"] for r in raw_dicts}
    assert typed_rows(raw_result).loc[empty.index, "value"].isna().all()


def test_imp005_real_download_other_ages_are_categories(raw_result, raw_dicts):
    rows = raw_result.rows
    young = [r for r in raw_dicts if r["Age"] == "0-9 yrs"]
    got = rows[rows["category_type"] == "Age"]
    assert len(got) == len(young) > 0 and set(got["category"]) == {"0-9 yrs"}


def test_imp006_real_download_creates_its_indicator(raw_result):
    (ind,) = raw_result.new_indicators.to_dict("records")
    assert ind == {
        "id": "fingertips-93356", "name": "Campylobacter incidence rate/100,000", "set": FINGERTIPS_SET,
        "age_band": "", "unit": "rate per 100,000", "polarity": "no judgement", "definition": "",
        "source": "OHID Fingertips, OGL v3.0 (indicator 93356)", "fingertips_id": "93356",
        "expected_update_for": "", "expected_update": "", "note": FINGERTIPS_NOTE,
        "short_name": "", "period_basis": "", "expected_by": "", "pending_reason": "",
    }
    assert set(raw_result.rows["indicator_id"]) == {"fingertips-93356"}
    assert set(raw_result.rows["source"]) == {"OHID Fingertips, OGL v3.0 (indicator 93356, raw-download-example.csv)"}


def _variant(raw_records, kind):
    header, data = raw_records
    pad = lambda r: r + [""] * (len(header) - len(r))  # noqa: E731
    if kind == "27-column":
        return csv_bytes(header + ["Time period range"], [pad(r) + ["1y"] for r in data])
    if kind == "columns-reversed":
        return csv_bytes(header[::-1], [pad(r)[::-1] for r in data])
    if kind == "regional-column-renamed":
        renamed = [h.replace("Compared to Region", "Compared to Regions (statistical)") for h in header]
        return csv_bytes(renamed, data)
    if kind == "lf-only":
        return csv_bytes(header, data, newline="\n")
    if kind == "utf-8-bom":
        return b"\xef\xbb\xbf" + csv_bytes(header, data)
    if kind == "cp1252":
        return csv_bytes(header, [["Engländ" if c == "England" else c for c in r] for r in data], encoding="cp1252")
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["27-column", "columns-reversed", "regional-column-renamed", "lf-only", "utf-8-bom", "cp1252"])
def test_imp007_fingertips_variants_import_the_same_rows(kind, raw_records, raw_result, catalogue):
    result = read(_variant(raw_records, kind), catalogue, "raw-download-example.csv")
    assert result.problems == []
    expected = raw_result.rows
    if kind == "cp1252":
        expected = expected.assign(area_name=expected["area_name"].replace("England", "Engländ"))
    pd.testing.assert_frame_equal(result.rows, expected)
    pd.testing.assert_frame_equal(result.new_indicators, raw_result.new_indicators)


def test_imp008_real_download_row_numbers_count_records_not_lines(raw_records, catalogue):
    header, data = raw_records
    data = [list(r) for r in data]
    data[4][header.index("Value")] = "abc"  # every record spans two lines (newline in the name)
    data[9][header.index("Time period")] = "2015/17"
    result = read(csv_bytes(header, data), catalogue)
    assert where(result) == [(5, "Value"), (10, "Time period")]
    assert result.rows.empty and result.new_indicators.empty


@pytest.mark.parametrize("drop", ["Indicator ID", "Area Code", "Time period", "Value", "Indicator Name"])
def test_imp009_fingertips_missing_column_is_named(raw_records, catalogue, drop):
    header, data = raw_records
    j = header.index(drop)
    result = read(csv_bytes(header[:j] + header[j + 1:], [r[:j] + r[j + 1:] for r in data]), catalogue)
    assert where(result) == [(None, drop)]
    assert result.problems[0].message == "required column is missing"


# ---- the 27-column fixture: an indicator the catalogue has, Sex breakdowns ------------------

def test_imp010_fingertips_maps_to_catalogue_and_sex_breakdowns(catalogue):
    result = read((DATA / "fingertips-27col-sex.csv").read_bytes(), catalogue, "fingertips-27col-sex.csv")
    assert result.problems == [] and result.kind == "fingertips"
    rows = result.rows.set_index(["indicator_id", "area_code", "period", "category_type", "category"])
    # 20601 is reception-overweight's fingertips_id: joined to it, no new indicator for it.
    assert rows.loc[("reception-overweight", "E06000014", "2017/18", "", ""), "value"] == "24.1"
    assert list(result.new_indicators["id"]) == ["fingertips-93999"]
    (new,) = result.new_indicators.to_dict("records")
    assert new["unit"] == "%" and new["set"] == FINGERTIPS_SET and new["fingertips_id"] == "93999"
    # Persons is the area total; Male/Female are Sex categories.
    assert rows.loc[("fingertips-93999", "E92000001", "2017/18", "", ""), "value"] == "43.3"
    assert rows.loc[("fingertips-93999", "E92000001", "2017/18", "Sex", "Female"), "value"] == "40.2"
    york = rows.loc[("fingertips-93999", "E06000014", "2017/18", "", "")]
    # The file's value note, then its own "Compared to England" after "; " (area totals only).
    assert york["value"] == "" and york["note"] == "Value suppressed for disclosure control; Compared with England: Similar"
    assert rows.loc[("fingertips-93999", "E06000014", "2017/18", "Sex", "Male"), "note"] == ""


def test_imp011_fingertips_takes_period_types_the_store_uses(catalogue, bundled):
    content = (DATA / "fingertips-27col-sex.csv").read_bytes()
    plain = typed_rows(read(content, catalogue))
    known = typed_rows(read(content, catalogue, observations=bundled.observations))
    is_20601 = plain["indicator_id"] == "reception-overweight"
    assert set(plain.loc[is_20601, "period_type"]) == {"financial year"}  # the parser's default reading
    assert set(known.loc[is_20601, "period_type"]) == {"academic year"}  # as the bundled NCMP rows
    assert set(known.loc[~is_20601, "period_type"]) == {"financial year"}  # a new indicator: unchanged


@pytest.mark.parametrize("name, unit", [
    ("Campylobacter incidence rate/100,000", "rate per 100,000"),
    ("Under 18s conception rate / 1,000", "rate per 1,000"),
    ("Deaths per 100 000 population", "rate per 100,000"),
    ("Percentage of children in absolute low income families", "%"),
    ("Proportion of five year olds free from decay", "%"),
    ("Smoking status at time of delivery (%)", "%"),
    ("Number of children in care", "count"),
    ("Hospital admissions 11,000 and over", "count"),
])
def test_imp012_unit_inferred_from_the_name(name, unit):
    assert infer_unit(name) == unit


# ---- the template ---------------------------------------------------------------------------

TEMPLATE_ROWS = [
    {"indicator_id": "smoking-at-delivery", "area_code": "E06000014", "area_name": "York", "period": "22/23",
     "value": "8.1%", "note": "Café survey – cost £1,200 (‘draft’)"},
    {"indicator_id": "population", "area_code": "E06000014", "area_name": "York", "period": "2021",
     "value": "1,150", "count": "1,150", "source": "Annual Report 2023/24, Local Context"},
    {"indicator_id": "reception-overweight", "area_code": "E92000001", "area_name": "England", "period": "22/23",
     "period_type": "academic year", "value": "22.3", "lower_ci": "22.1", "upper_ci": "22.5"},
]


def template(rows=None, columns=OBSERVATION_COLUMNS, encoding="utf-8", newline="\r\n", bom=False):
    rows = TEMPLATE_ROWS if rows is None else rows
    body = csv_bytes(list(columns), [[r.get(c, "") for c in columns] for r in rows], encoding, newline)
    return (b"\xef\xbb\xbf" + body) if bom else body


def changed(row, **changes):
    rows = [dict(r) for r in TEMPLATE_ROWS]
    rows[row - 1].update(changes)
    return rows


@pytest.fixture(scope="module")
def template_result(catalogue):
    return read(template(), catalogue, "figures.csv")


def test_imp013_template_reads_typed_numbers(template_result):
    assert template_result.problems == [] and template_result.kind == "template"
    typed = typed_rows(template_result)
    assert typed.loc[0, "value"] == 8.1
    assert typed.loc[1, "value"] == 1150.0 and typed.loc[1, "count"] == 1150.0
    assert list(template_result.rows["value"]) == ["8.1", "1150", "22.3"]  # plain numbers float() reads
    assert typed.loc[0, "note"] == "Café survey – cost £1,200 (‘draft’)"
    assert list(typed["period_type"]) == ["financial year", "calendar year", "academic year"]


def test_imp014_template_source_defaults_to_the_file(template_result):
    assert list(template_result.rows["source"]) == ["Upload: figures.csv", "Annual Report 2023/24, Local Context", "Upload: figures.csv"]


ENCODINGS = [
    pytest.param({"encoding": "utf-8"}, id="utf-8-crlf"),
    pytest.param({"encoding": "utf-8", "newline": "\n"}, id="utf-8-lf"),
    pytest.param({"encoding": "utf-8", "bom": True}, id="utf-8-sig-crlf"),
    pytest.param({"encoding": "utf-8", "bom": True, "newline": "\n"}, id="utf-8-sig-lf"),
    pytest.param({"encoding": "cp1252"}, id="cp1252-crlf"),
    pytest.param({"encoding": "cp1252", "newline": "\n"}, id="cp1252-lf"),
    pytest.param({"encoding": "utf-16"}, id="utf-16-crlf"),
]


@pytest.mark.parametrize("options", ENCODINGS)
def test_imp015_template_encodings_and_line_ends_give_the_same_rows(options, template_result, catalogue):
    result = read(template(**options), catalogue, "figures.csv")
    assert result.problems == []
    pd.testing.assert_frame_equal(result.rows, template_result.rows)


def test_imp016_template_as_excel_saves_it_on_windows(template_result, catalogue):
    content = (DATA / "template-cp1252.csv").read_bytes()
    assert "£".encode("cp1252") in content and b"\r\n" in content
    result = read(content, catalogue, "figures.csv")
    assert result.problems == []
    pd.testing.assert_frame_equal(result.rows, template_result.rows)


def test_imp017_mixed_line_ends_and_blank_lines(template_result, catalogue):
    lines = template().decode().split("\r\n")
    content = (lines[0] + "\r\n" + lines[1] + "\n\r\n" + lines[2] + "\n,,,,,,,,,,,,,\r\n" + lines[3] + "\n\n").encode()
    result = read(content, catalogue, "figures.csv")
    assert result.problems == [] and result.row_count == 3
    pd.testing.assert_frame_equal(result.rows, template_result.rows)
    # Blank lines still count as rows, as in a spreadsheet: the third data row is row 5 here.
    bad = content.replace(b"22.3", b"abc")
    assert where(read(bad, catalogue)) == [(5, "value")]


def _xlsx(rows, columns=OBSERVATION_COLUMNS, tmp_path=None, numbers=True, extra=None):
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(list(columns))
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c, "")
            if numbers and c in ("value", "lower_ci", "upper_ci", "count", "denominator") and v:
                try:
                    v = to_number(v)  # as Excel stores a typed number
                except ValueError:
                    pass
            cells.append(v if v != "" else None)
        ws.append(cells)
    if extra:
        extra(ws)
    other = wb.create_sheet("Notes")
    other.append(["not read"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("numbers", [True, False], ids=["numbers", "text"])
def test_imp018_xlsx_of_the_template_gives_the_same_rows(numbers, template_result, catalogue):
    result = read(_xlsx(TEMPLATE_ROWS, numbers=numbers), catalogue, "figures.xlsx")
    assert result.problems == [] and (result.kind, result.container) == ("template", "xlsx")
    pd.testing.assert_frame_equal(typed_rows(result), typed_rows(template_result).assign(
        source=["Upload: figures.xlsx", "Annual Report 2023/24, Local Context", "Upload: figures.xlsx"]))


def test_imp018b_xlsx_of_a_fingertips_download_is_kind_fingertips(raw_records, raw_result, catalogue):
    """The kind is the format, whatever the container: a Fingertips download saved as .xlsx reads
    as the CSV does (every cell as text, as a spreadsheet keeps what it cannot type)."""
    header, data = raw_records
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in data:
        ws.append([v if v != "" else None for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    result = read(buf.getvalue(), catalogue, "raw-download-example.xlsx")
    assert result.problems == [] and (result.kind, result.container) == ("fingertips", "xlsx")
    assert (raw_result.kind, raw_result.container) == ("fingertips", "csv")
    pd.testing.assert_frame_equal(result.rows.drop(columns="source"), raw_result.rows.drop(columns="source"))
    assert set(result.rows["source"].str.replace(".xlsx", ".csv", regex=False)) == set(raw_result.rows["source"])


def test_imp019_xlsx_row_is_the_sheet_row_minus_one(catalogue):
    def gap(ws):
        ws.insert_rows(3)  # an empty sheet row 3 between data rows

    result = read(_xlsx(changed(3, value="abc"), extra=gap), catalogue, "figures.xlsx")
    assert where(result) == [(4, "value")]  # sheet row 5


def test_imp020_xlsx_guards_columns_and_rows(catalogue, monkeypatch):
    wide = _xlsx([], columns=[f"c{i}" for i in range(201)])
    result = read(wide, catalogue, "wide.xlsx")
    assert where(result) == [(None, None)] and "200 columns" in result.problems[0].message
    monkeypatch.setattr(limits, "MAX_ROWS", 2)
    result = read(_xlsx(TEMPLATE_ROWS), catalogue, "long.xlsx")
    assert where(result) == [(None, None)] and "more than 2 rows" in result.problems[0].message
    result = read(template(), catalogue, "long.csv")
    assert "more than 2 rows" in result.problems[0].message


def test_imp021_template_from_template_csv_round_trips(bundled, catalogue):
    result = read(template_csv(), catalogue, "template.csv")
    assert result.problems == [] and len(result.rows) == len(EXAMPLES)
    assert result.new_indicators.empty  # metadata of known indicators is not a new indicator
    typed = typed_rows(result).set_index(["indicator_id", "area_code", "period"])
    obs = bundled.observations.set_index(["indicator_id", "area_code", "period"])
    for key in EXAMPLES:
        for col in ("value", "lower_ci", "upper_ci", "count", "denominator"):
            assert typed.loc[key, col] == obs.loc[key, col] or (pd.isna(typed.loc[key, col]) and pd.isna(obs.loc[key, col]))
        for col in ("area_name", "period_type", "category_type", "category", "source", "note"):
            assert typed.loc[key, col] == obs.loc[key, col]


def test_imp022_typed_rows_build_a_dataset(bundled, catalogue, raw_result):
    cat = catalogue_with(catalogue, raw_result.new_indicators)
    assert list(cat.columns) == list(INDICATOR_COLUMNS) and cat.index.is_unique
    assert "fingertips-93356" in cat.index and list(cat.index[: len(catalogue)]) == list(catalogue.index)
    prepared = prepare_observations(raw_result.rows, cat)
    assert prepared["value"].dtype == "float64" and set(prepared["unit"]) == {"rate per 100,000"}
    obs = pd.concat([bundled.observations[list(OBSERVATION_COLUMNS)], typed_rows(raw_result)], ignore_index=True)
    after = build_from_typed(cat.reset_index(drop=True), obs)
    assert len(after.observations) == len(bundled.observations) + 852
    assert FINGERTIPS_SET in after.sets


# ---- every fault names row and column; an invalid file gives no rows -------------------------

FAULTS = [
    ("missing-column", template(columns=[c for c in OBSERVATION_COLUMNS if c != "period"]), [(None, "period")], "required column is missing"),
    ("unknown-column", template(columns=list(OBSERVATION_COLUMNS) + ["colour"]), [(None, "colour")], "unknown column"),
    ("duplicate-column", template(columns=list(OBSERVATION_COLUMNS) + ["Value"]), [(None, "Value")], "more than once"),
    ("unknown-indicator", template(changed(2, indicator_id="no-such-indicator")), [(2, "indicator_id")],
     "unknown indicator 'no-such-indicator': add indicator_name, set, unit and polarity columns to create it"),
    ("bad-value", template(changed(2, value="lots")), [(2, "value")], "'lots' is not a number"),
    ("bad-period", template(changed(3, period="23/25")), [(3, "period")], "23/25"),
    ("bad-period-type", template(changed(3, period_type="fortnight")), [(3, "period_type")], "fortnight"),
    ("percentage-120", template(changed(1, value="120%")), [(1, "value")], "120 is outside 0-100 for a percentage"),
    ("negative-count", template(changed(2, count="-5")), [(2, "count")], "-5 is negative"),
    ("ci-below-value", template(changed(3, lower_ci="30")), [(3, "lower_ci")], "lower CI 30 is above the value 22.3"),
    ("ci-above-value", template(changed(3, upper_ci="20")), [(3, "upper_ci")], "upper CI 20 is below the value 22.3"),
    ("duplicate-key", template(TEMPLATE_ROWS + [dict(TEMPLATE_ROWS[0], value="9")]), [(4, "period")], "duplicate of row 1"),
    ("empty-area", template(changed(1, area_code="")), [(1, "area_code")], "is empty"),
    ("category-half", template(changed(1, category_type="Course")), [(1, "category")], "give both"),
]


@pytest.mark.parametrize("content, expected, message", [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_imp023_fault_names_row_and_column(content, expected, message, catalogue):
    result = read(content, catalogue)
    assert where(result) == expected
    assert message in result.problems[0].message
    assert not result.valid and result.rows.empty and result.new_indicators.empty
    assert list(result.rows.columns) == list(OBSERVATION_COLUMNS)


META = list(OBSERVATION_COLUMNS) + ["indicator_name", "set", "unit", "polarity", "definition", "age_band"]
NEW = {"indicator_id": "early-help-assessments", "area_code": "E06000014", "area_name": "York", "period": "2023/24",
       "value": "1,234", "indicator_name": "Early help assessments", "set": "Aged 5-11", "unit": "count",
       "polarity": "no judgement", "definition": "Assessments started in the year."}


def test_imp024_unknown_indicator_with_metadata_is_offered(catalogue):
    second = {**NEW, "period": "2022/23", "value": "1,100", "indicator_name": "", "set": "", "unit": "", "polarity": "", "definition": ""}
    result = read(template(TEMPLATE_ROWS + [NEW, second], columns=META), catalogue, "eh.csv")
    assert result.problems == []
    (ind,) = result.new_indicators.to_dict("records")
    assert ind == {"id": "early-help-assessments", "name": "Early help assessments", "set": "Aged 5-11", "age_band": "",
                   "unit": "count", "polarity": "no judgement", "definition": "Assessments started in the year.",
                   "source": "Upload: eh.csv", "fingertips_id": "", "expected_update_for": "", "expected_update": "",
                   "note": "Created from an upload (eh.csv, row 4).",
                       "short_name": "", "period_basis": "", "expected_by": "", "pending_reason": ""}
    assert list(result.rows["indicator_id"][-2:]) == ["early-help-assessments"] * 2
    assert list(typed_rows(result)["value"][-2:]) == [1234.0, 1100.0]
    cat = catalogue_with(catalogue, result.new_indicators)
    assert cat.loc["early-help-assessments", "unit"] == "count"


@pytest.mark.parametrize("changes, expected", [
    ({"set": "Aged 99+"}, [(4, "set")]),
    ({"unit": "furlongs"}, [(4, "unit")]),
    ({"polarity": "sideways"}, [(4, "polarity")]),
    ({"indicator_name": ""}, [(4, "indicator_name")]),
    ({"indicator_id": "Early Help"}, [(4, "indicator_id")]),
    ({"value": "120", "unit": "%"}, [(4, "value")]),  # the new indicator's own unit is checked
], ids=["bad-set", "bad-unit", "bad-polarity", "no-name", "not-a-slug", "percentage-120"])
def test_imp025_bad_metadata_names_row_and_column(changes, expected, catalogue):
    result = read(template(TEMPLATE_ROWS + [{**NEW, **changes}], columns=META), catalogue)
    assert where(result) == expected
    assert result.new_indicators.empty and result.rows.empty


def test_imp026_conflicting_metadata_names_the_later_row(catalogue):
    rows = TEMPLATE_ROWS + [NEW, {**NEW, "period": "2022/23", "unit": "%"}]
    result = read(template(rows, columns=META), catalogue)
    assert where(result) == [(5, "unit")] and "row 4" in result.problems[0].message


def test_imp027_script_in_a_name_is_kept_as_text(catalogue):
    name = "<script>alert(1)</script>"
    result = read(template([{**NEW, "indicator_name": name, "definition": "a & b <b>"}], columns=META), catalogue)
    assert result.problems == []
    assert result.new_indicators.loc[0, "name"] == name
    assert result.new_indicators.loc[0, "definition"] == "a & b <b>"


def test_imp028_problems_are_capped(catalogue):
    rows = [dict(TEMPLATE_ROWS[0], area_code=f"E0{i:07d}", value="bad") for i in range(500)]
    result = read(template(rows), catalogue, max_problems=200)
    assert len(result.problems) == 201
    assert [(p.row, p.column) for p in result.problems[:200]] == [(i, "value") for i in range(1, 201)]
    assert result.problems[-1] == Problem(None, None, "300 more problem(s) found; only the first 200 are shown")


@pytest.mark.parametrize("content, filename, words", [
    (b"", "empty.csv", "empty"),
    (b"   \r\n", "blank.csv", "empty"),
    (csv_bytes(OBSERVATION_COLUMNS, []), "header.csv", "no data rows"),
    (b"name,colour\nx,red\n", "other.csv", "neither the upload template nor a Fingertips download"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old.xls", ".xls"),
    (b"PK\x03\x04garbage", "broken.xlsx", "could not read"),
    (b"not a zip", "figures.xlsx", "could not read"),
    (b"\xff\xfe\x00", "odd.csv", "could not read"),
    ("indicator_id\n\"unterminated".encode(), "quote.csv", ""),
], ids=["empty", "blank", "header-only", "other-csv", "xls", "broken-zip", "xlsx-name-not-zip", "bad-utf-16", "unterminated-quote"])
def test_imp029_unreadable_files_are_problems_not_errors(content, filename, words, catalogue):
    result = read(content, filename=filename, catalogue=catalogue)
    assert not result.valid and result.rows.empty
    assert words in " ".join(p.message for p in result.problems)


def test_imp030_unexpected_error_becomes_a_problem(catalogue, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importer, "validate_observations", boom)
    result = read(template(), catalogue)
    assert result.problems == [Problem(None, None, "could not read the file: RuntimeError: disk on fire")]
    assert result.rows.empty


def test_imp031_excel_trailing_empty_columns_are_ignored(template_result, catalogue):
    rows = [[r.get(c, "") for c in OBSERVATION_COLUMNS] + [""] * 3000 for r in TEMPLATE_ROWS]
    result = read(csv_bytes(list(OBSERVATION_COLUMNS) + [""] * 3000, rows), catalogue, "figures.csv")
    assert result.problems == []
    pd.testing.assert_frame_equal(result.rows, template_result.rows)
    rows[1][len(OBSERVATION_COLUMNS) + 5] = "stray"
    result = read(csv_bytes(list(OBSERVATION_COLUMNS), rows), catalogue)
    assert where(result) == [(2, f"(unnamed column {len(OBSERVATION_COLUMNS) + 6})")]


def test_imp032_progress_is_reported(catalogue, raw_bytes):
    calls = []
    result = read(raw_bytes, catalogue, on_stage=lambda stage, f: calls.append((stage, f)))
    assert result.valid
    stages = [s for s, _ in calls]
    assert stages[0] == "reading" and stages[-1] == "validating" and "validating" in stages
    assert stages == sorted(stages, key=["reading", "validating"].index)  # reading, then validating
    assert len(calls) <= 100 and all(0 <= f <= 1 for _, f in calls)
    for stage in ("reading", "validating"):
        fractions = [f for s, f in calls if s == stage]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_imp033_a_failing_progress_callback_does_not_fail_the_import(template_result, catalogue):
    def broken(stage, fraction):
        raise ValueError("display gone")

    result = read(template(), catalogue, "figures.csv", on_stage=broken)
    assert result.valid
    pd.testing.assert_frame_equal(result.rows, template_result.rows)


# ---- size -----------------------------------------------------------------------------------

def big_fingertips(n_rows: int) -> bytes:
    """A Fingertips-format download of n_rows distinct rows (areas x years x total/deciles)."""
    header = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type", "Sex",
              "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
              "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator", "Value note", "Recent Trend",
              "Compared to England value or percentiles", "Compared to Region value or percentiles",
              "Time period Sortable", "New data", "Compared to goal"]
    rows = []
    categories = [("", "")] + [("LA deprivation deciles", f"Decile {d}") for d in range(1, 11)]
    i = 0
    while len(rows) < n_rows:
        area = f"E0{i // (20 * len(categories)):07d}"
        year = 2000 + (i // len(categories)) % 20
        ctype, cat = categories[i % len(categories)]
        rows.append(["93356", "Campylobacter incidence rate/100,000\n", "E12000003", "Region", area, f"Area {area}",
                     "County & UA", "Persons", "All ages", ctype, cat, str(year), f"{50 + i % 40}.5", f"{40 + i % 40}.1",
                     f"{60 + i % 40}.9", "", "", str(100 + i % 900), "100000", "", "", "Similar", "Similar",
                     f"{year}0000", ""])  # 25 fields, as the real file
        i += 1
    return csv_bytes(header, rows, newline="\n")


def test_imp034_100k_row_fingertips_file_validates_quickly(catalogue, capsys):
    content = big_fingertips(100_000)
    start = time.perf_counter()
    result = read(content, catalogue, "big.csv")
    seconds = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n  100,000-row Fingertips file ({len(content) / 1e6:.1f} MB): read + validated in {seconds:.2f} s")
    assert result.problems == [] and len(result.rows) == 100_000
    assert seconds < 30
    assert all(parse_period(p) for p in result.rows["period"].unique())


# ---- what the importer hands on --------------------------------------------------------------

def test_imp035_template_round_trip_changes_nothing(bundled, catalogue):
    result = read(template_csv(), catalogue, "template.csv")
    summary, kinds = summarise(bundled, typed_rows(result), result.new_indicators)
    assert (summary.added, summary.changed, summary.unchanged) == (0, 0, len(EXAMPLES))


def test_imp036_fingertips_headline_age_and_combined_breakdowns(catalogue):
    header = ["Indicator ID", "Indicator Name", "Area Code", "Area Name", "Sex", "Age", "Category Type", "Category",
              "Time period", "Value", "Count"]
    name = "Hospital admissions as a result of self-harm (10-24 years)"
    rows = [
        ["90813", name, "E06000014", "York", "Persons", "10-24 yrs", "", "", "2017/18", "500.1", "150"],
        ["90813", name, "E06000014", "York", "Persons", "10-14 yrs", "", "", "2017/18", "300.2", "30"],
        ["90813", name, "E06000014", "York", "Persons", "15-19 yrs", "", "", "2017/18", "700.3", "80"],
        ["90813", name, "E06000014", "York", "Female", "10-24 yrs", "", "", "2017/18", "800.4", "110"],
        ["90813", name, "E06000014", "York", "Female", "10-14 yrs", "", "", "2017/18", "450.5", "20"],
        ["90813", name, "E92000001", "England", "Male", "10-24 yrs", "Deprivation decile", "Most deprived", "2017/18", "300.6", ""],
        ["90813", name, "E92000001", "England", "Persons", "10-24 yrs", "Deprivation decile", "Most deprived", "2017/18", "400.7", ""],
    ]
    result = read(csv_bytes(header, rows), catalogue, "self-harm.csv")
    assert result.problems == []
    # 90813 is the catalogue's self-harm series (its fingertips_id): no new indicator.
    assert result.new_indicators.empty
    assert set(result.rows["indicator_id"]) == {"fingertips-self-harm-admissions-10-24-asr"}
    got = list(zip(result.rows["category_type"], result.rows["category"], result.rows["value"], strict=True))
    assert got == [
        ("", "", "500.1"),  # the age the indicator's name states is the area total
        ("Age", "10-14 yrs", "300.2"),
        ("Age", "15-19 yrs", "700.3"),
        ("Sex", "Female", "800.4"),
        ("Sex / Age", "Female / 10-14 yrs", "450.5"),
        ("Deprivation decile / Sex", "Most deprived / Male", "300.6"),
        ("Deprivation decile", "Most deprived", "400.7"),
    ]


def test_imp037_unknown_indicator_with_empty_metadata_says_fill_it(catalogue):
    row = {**NEW, "indicator_name": "", "set": "", "unit": "", "polarity": ""}
    result = read(template(TEMPLATE_ROWS + [row], columns=META), catalogue)
    assert where(result) == [(4, "indicator_id")]
    assert result.problems[0].message == ("unknown indicator 'early-help-assessments': fill indicator_name, set, "
                                          "unit and polarity on one of its rows to create it")
