"""Issue 12 (parts 4-6): breakdowns never replace area totals; a Breakdown view and a Compare-areas view;
comparator groups in the store; intervals, counts and denominators in tables, charts and downloads.

Every expectation is read from the real Fingertips "Download data" file in tests/data/fingertips/
(indicator 93356, every County & UA area, England by deprivation decile; OHID Fingertips, OGL v3.0)."""
from __future__ import annotations

import io
import shutil
from itertools import count
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import pytest

from data.domain.dataset import ENGLAND, HOME_AREA, build_from_typed, load_bundled
from data.domain.export import to_csv
from data.domain.views import (
    REGION,
    UPPER_TIER,
    area_type,
    areas_by_type,
    breakdown_choice,
    breakdown_table,
    breakdown_view_summary,
    category_key,
    compare_areas,
    compare_areas_summary,
    compare_with_england,
    england_value,
    in_category_order,
    indicator_rows,
    is_breakdown,
    trend_summary,
)
from data.ingest.importer import catalogue_with, read_upload, typed_rows
from data.storage import users
from data.storage.area_groups import AreaGroupError, list_groups, read_bundled_groups, save_group, seed_area_groups
from data.storage.store import Store, StoreSource
from layouts.charts import interval_bars
from layouts.components import measure_columns
from layouts.explore import card_rows, explore_page, explore_results
from layouts.explore_state import normalise, parse_query, to_query

DATA = Path(__file__).resolve().parents[1] / "data" / "fingertips"
RAW = DATA / "raw-download-example.csv"
FT = "fingertips-93356"
DEPRIVATION = "County & UA deprivation deciles in England (IMD2015)"
EDITOR, PASSWORD = "editor@example.org", "correct horse battery"
_n = count()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The Fingertips file itself, read plainly: the expectations."""
    frame = pd.read_csv(RAW, dtype=str, keep_default_na=False)
    for col in ("Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count", "Denominator"):
        frame[col] = pd.to_numeric(frame[col].replace("", None))
    return frame


@pytest.fixture(scope="module")
def uploaded():
    """The bundled data plus the raw download, as an upload would publish it."""
    base = load_bundled()
    result = read_upload(RAW.read_bytes(), RAW.name, base.indicators)
    assert result.valid, result.problems[:3]
    rows = typed_rows(result)
    observations = pd.concat([base.observations.reindex(columns=rows.columns), rows], ignore_index=True)
    return build_from_typed(catalogue_with(base.indicators, result.new_indicators).reset_index(drop=True), observations)


def _totals(raw: pd.DataFrame) -> pd.DataFrame:
    return raw[(raw["Category Type"] == "") & (raw["Age"] == "All ages") & (raw["Sex"] == "Persons")]


# -- breakdowns never replace totals ----------------------------------------------------------------

def test_vws001_an_indicator_with_deprivation_rows_beside_area_totals_is_not_a_breakdown(uploaded, bundled):
    assert not is_breakdown(indicator_rows(uploaded, FT))
    for ind in ("training-sessions", "partnership-income", "training-feedback-helpful-8-10", "webinar-helpfulness-rating"):
        assert is_breakdown(indicator_rows(bundled, ind)), ind  # the report's own breakdowns still are
    assert not is_breakdown(indicator_rows(bundled, "year6-overweight"))


def test_vws002_trend_compare_and_england_read_area_totals_only(uploaded, raw):
    rows = indicator_rows(uploaded, FT, [HOME_AREA, ENGLAND])
    totals = _totals(raw)
    eng = totals[totals["Area Code"] == ENGLAND].set_index("Time period")["Value"]
    york = totals[totals["Area Code"] == HOME_AREA].set_index("Time period")["Value"]
    table = compare_with_england(rows)
    assert table["period"].tolist() == ["2015", "2016", "2017"]  # one row per period: no decile took a total's place
    assert table["england"].tolist() == pytest.approx([eng[p] for p in table["period"]])
    assert table["york"].tolist() == pytest.approx([york[p] for p in table["period"]])
    sentence = trend_summary(rows, uploaded.indicator(FT))
    assert f"York {york['2017']:.1f} per 100,000 in 2017" in sentence
    assert f"England {eng['2017']:.1f} per 100,000 in 2017" in sentence
    for mode in ("trend", "compare", "england"):
        state = normalise(uploaded, parse_query(f"?indicator={FT}&mode={mode}"))
        shown = card_rows(uploaded, FT, state)
        assert (shown["category_type"] == "").all(), mode
        assert not shown.duplicated(["area_code", "period"]).any(), mode


# -- categories in their own order ----------------------------------------------------------------

def test_vws003_categories_sort_in_their_own_order(raw):
    file_order = list(dict.fromkeys(raw.loc[raw["Category Type"] == DEPRIVATION, "Category"]))
    assert sorted(sorted(file_order), key=category_key) == file_order  # Fingertips' order, from any order
    quintiles = ["Least deprived quintile (IMD2019)", "Middle quintile (IMD2019)", "Most deprived quintile (IMD2019)",
                 "Second least deprived quintile (IMD2019)", "Second most deprived quintile (IMD2019)"]
    assert sorted(quintiles, key=category_key) == [quintiles[2], quintiles[4], quintiles[1], quintiles[3], quintiles[0]]
    assert sorted(["Female", "Male", "Persons"], key=category_key) == ["Persons", "Male", "Female"]
    assert sorted(["10-14 yrs", "0-4 yrs", "5-9 yrs"], key=category_key) == ["0-4 yrs", "5-9 yrs", "10-14 yrs"]
    courses = pd.DataFrame({"category": ["B course", "A course"]})
    assert in_category_order(courses)["category"].tolist() == ["B course", "A course"]  # no order known: as given


def test_vws004_the_breakdown_table_is_one_area_period_and_kind_with_intervals_and_counts(uploaded, raw):
    rows = indicator_rows(uploaded, FT)
    table = breakdown_table(rows, ENGLAND, "2017", DEPRIVATION)
    expected = raw[(raw["Category Type"] == DEPRIVATION) & (raw["Time period"] == "2017")]
    assert table["category"].tolist() == expected["Category"].tolist()  # most deprived ... least deprived
    assert table["value"].tolist() == pytest.approx(expected["Value"].tolist())
    assert table["count"].tolist() == pytest.approx(expected["Count"].tolist())
    assert table["denominator"].tolist() == pytest.approx(expected["Denominator"].tolist())
    summary = breakdown_view_summary(table, uploaded.indicator(FT), england_value(rows, "2017"))
    top = expected.loc[expected["Value"].idxmax()]
    assert f"highest {top['Category']} {top['Value']:.1f} per 100,000" in summary
    totals = _totals(raw)
    whole = totals.loc[(totals["Area Code"] == ENGLAND) & (totals["Time period"] == "2017"), "Value"].iloc[0]
    assert f"England as a whole: {whole:.1f} per 100,000" in summary


def test_vws005_a_breakdown_falls_back_to_what_the_indicator_has(uploaded, bundled):
    rows = indicator_rows(uploaded, FT)
    assert breakdown_choice(rows, ENGLAND, "2016", DEPRIVATION) == (ENGLAND, "2016", DEPRIVATION)
    area, period, kind = breakdown_choice(rows, ENGLAND, "1999", "no such kind")
    of_kind = rows[(rows["area_code"] == ENGLAND) & (rows["category_type"] == kind) & rows["value"].notna()]
    assert area == ENGLAND and kind in set(rows.loc[rows["area_code"] == ENGLAND, "category_type"]) - {""}
    assert period == max(of_kind["period"])  # its latest
    assert breakdown_choice(rows, "E00000000")[0] == HOME_AREA  # York first when the asked-for area has none
    assert breakdown_choice(indicator_rows(bundled, "year6-overweight")) is None
    words = breakdown_view_summary(breakdown_table(indicator_rows(bundled, "year6-overweight"), HOME_AREA, "", ""),
                                   bundled.indicator("year6-overweight"))
    assert "has no breakdown in the data" in words


def test_vws006_the_breakdown_card_says_so_in_words_when_there_is_none(bundled):
    state = normalise(bundled, parse_query("?indicator=year6-overweight&mode=breakdown"))
    card = str(explore_results(bundled, state)[0])
    assert "has no breakdown in the data" in card and "card-graph" not in card
    state = normalise(bundled, parse_query("?set=&indicator=training-sessions&mode=trend"))
    card = str(explore_results(bundled, state)[0])  # the report's courses: a breakdown whichever view
    assert "by Course" in card and "card-graph" in card


# -- areas and compare areas ----------------------------------------------------------------------

def test_vws007_area_types_from_codes_and_every_area_on_the_page(uploaded, raw):
    kinds = raw.drop_duplicates("Area Code").set_index("Area Code")["Area Type"]
    named = {"County & UA": UPPER_TIER, "Region": REGION, "Country": "England"}
    assert {code: area_type(code) for code in kinds.index} == {code: named[k] for code, k in kinds.items()}
    grouped = areas_by_type(uploaded.areas)
    assert list(grouped) == ["England", REGION, UPPER_TIER]
    assert next(iter(grouped[UPPER_TIER])) == HOME_AREA
    assert sum(map(len, grouped.values())) == len(uploaded.areas) == raw["Area Code"].nunique()
    page = str(explore_page(uploaded, normalise(uploaded, parse_query(f"?indicator={FT}"))))
    assert all(code in page for code in kinds.index)  # every area in the data can be chosen


def test_vws008_any_area_round_trips_through_the_url(uploaded):
    state = normalise(uploaded, parse_query(f"?indicator={FT}&area=E08000035&area={HOME_AREA}&area=E12000003"))
    assert state.areas == ("E08000035", HOME_AREA, "E12000003")
    assert "area=E08000035&area=E06000014&area=E12000003" in to_query(state)
    shown = card_rows(uploaded, FT, state)
    assert set(shown["area_code"]) == {"E08000035", HOME_AREA, "E12000003"}


def test_vws009_compare_areas_ranks_every_upper_tier_area_with_england_as_reference(uploaded, raw):
    rows = indicator_rows(uploaded, FT)
    table = compare_areas(rows, "2017", UPPER_TIER)
    expected = _totals(raw)[(raw["Area Type"] == "County & UA") & (raw["Time period"] == "2017")].dropna(subset=["Value"])
    assert len(table) == len(expected) and ENGLAND not in set(table["area_code"])
    assert table["value"].tolist() == pytest.approx(sorted(expected["Value"], reverse=True))
    york = expected.loc[expected["Area Code"] == HOME_AREA].iloc[0]
    york_rank = int((expected["Value"] > york["Value"]).sum()) + 1
    mine = table[table["area_code"] == HOME_AREA].iloc[0]
    assert (mine["rank"], mine["lower_ci"], mine["upper_ci"], mine["count"]) == \
        (york_rank, pytest.approx(york["Lower CI 95.0 limit"]), pytest.approx(york["Upper CI 95.0 limit"]), york["Count"])
    england = england_value(rows, "2017")
    words = compare_areas_summary(table, uploaded.indicator(FT), "2017", england)
    assert f"ranks {york_rank} of the {len(expected)} County & UA areas" in words and "England 96.6 per 100,000" in words


def test_vws010_compare_areas_within_the_seeded_group(uploaded, raw):
    members = [code for code, _ in read_bundled_groups()["Yorkshire and The Humber"]]
    table = compare_areas(indicator_rows(uploaded, FT), "2015", UPPER_TIER, members)
    in_region = _totals(raw)[(raw["Parent Code"] == "E12000003") & (raw["Area Type"] == "County & UA") & (raw["Time period"] == "2015")]
    assert set(table["area_code"]) == set(in_region["Area Code"]) and len(table) == 15
    assert table["rank"].tolist() == list(range(1, 16))


def test_vws011_the_compare_areas_and_breakdown_cards_and_downloads(uploaded):
    state = normalise(uploaded, parse_query(f"?indicator={FT}&mode=areas&areas_group=Yorkshire+and+The+Humber&areas_period=2016"))
    assert state.choice("areas_group") == "Yorkshire and The Humber" and "areas_period=2016" in to_query(state)
    card = str(explore_results(uploaded, state)[0])
    assert "► York" in card and "95% CI" in card and "Denominator" in card and "England (reference, not ranked)" in card
    csv = pd.read_csv(io.StringIO(to_csv(card_rows(uploaded, FT, state))))
    assert len(csv) == 16 and csv["lower_ci"].notna().all() and csv["denominator"].notna().all()  # 15 areas and England
    query = urlencode({"indicator": FT, "mode": "breakdown", "breakdown_area": ENGLAND, "breakdown_kind": DEPRIVATION, "breakdown_period": "2015"})
    state = normalise(uploaded, parse_query("?" + query))
    csv = pd.read_csv(io.StringIO(to_csv(card_rows(uploaded, FT, state))))
    assert (csv["category_type"].fillna("") == DEPRIVATION).sum() == 10 and csv["count"].notna().all()
    assert set(csv["period"].astype(str)) == {"2015"} and set(csv["area_code"]) == {ENGLAND}


def test_vws012_interval_bars_mark_york_beyond_colour_and_draw_intervals(uploaded):
    table = compare_areas(indicator_rows(uploaded, FT), "2017", UPPER_TIER)
    fig = interval_bars(table["area_name"].tolist(), table["value"].tolist(), table["lower_ci"].tolist(), table["upper_ci"].tolist(),
                        "rate per 100,000", highlight=[c == HOME_AREA for c in table["area_code"]], highlight_name="York",
                        others_name="Other areas", reference=("England", 96.6))
    go.Figure(fig)  # every property valid
    others, york, england = fig["data"]
    assert york["name"] == "York" and york["marker"]["pattern"]["shape"] != others["marker"]["pattern"]["shape"]
    assert len(others["y"]) == len(table) - 1 and york["error_x"]["array"][0] > 0
    assert england["name"].startswith("England") and fig["layout"]["shapes"][0]["x0"] == 96.6


def test_vws013_measure_columns_show_what_the_rows_have(uploaded):
    rows = indicator_rows(uploaded, FT, [HOME_AREA])
    rows = rows[rows["category_type"] == ""]
    cols = measure_columns(rows, "rate per 100,000")
    assert list(cols) == ["Value", "95% CI", "Count", "Denominator"]
    first = rows.iloc[0]
    assert cols["95% CI"][0] == f"{first['lower_ci']:.1f} per 100,000 to {first['upper_ci']:.1f} per 100,000"
    assert cols["Count"][0] == f"{first['count']:,.0f}"
    assert list(measure_columns(pd.DataFrame({"value": [1.0], "lower_ci": [None], "upper_ci": [None]}), "%")) == ["Value"]


# -- comparator groups in the store ---------------------------------------------------------------

def test_vws014_the_seeded_group_is_the_regions_upper_tier_from_the_real_download(raw):
    group = dict(read_bundled_groups()["Yorkshire and The Humber"])
    in_file = raw[(raw["Parent Code"] == "E12000003") & (raw["Area Type"] == "County & UA")]
    assert set(in_file["Area Code"]) | {"E06000065"} == set(group)  # North Yorkshire's new code beside its old one
    assert group["E10000023"] == group["E06000065"] == "North Yorkshire"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_vws015_groups_are_seeded_once_and_editors_change_them(store, uploaded):
    assert list_groups(store.engine) == read_bundled_groups()
    assert seed_area_groups(store.engine) == 0
    saved = save_group(store.engine, "Neighbours", ["E08000035", HOME_AREA], EDITOR, uploaded.areas)
    assert saved == (("E08000035", "Leeds"), (HOME_AREA, "York"))
    before = list_groups(store.engine)
    for codes, words in [(["E08000035", "X1"], "area 2: 'X1' is not an area code"),
                         (["E06999999"], "area 1: 'E06999999' is not an area in the data"),
                         ([HOME_AREA, HOME_AREA], "is listed twice"), ([], "at least one area"), ("E06000014", "JSON list")]:
        with pytest.raises(AreaGroupError, match=words):
            save_group(store.engine, "Neighbours", codes, EDITOR, uploaded.areas)
    assert list_groups(store.engine) == before


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-" + "k" * 32)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    store = Store(f"sqlite:///{tmp_path / f'g{next(_n)}.db'}")
    store.setup()
    users.create_user(store.engine, EDITOR, PASSWORD, role="editor")
    from app import create_app
    from callbacks.auth import login_csrf_token

    app = create_app(source=StoreSource(store))
    app.server.add_url_rule("/test/csrf", "test_csrf", lambda: login_csrf_token())
    yield app, store
    store.dispose()
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_vws016_put_area_group_is_for_editors_and_names_a_bad_code(site):
    app, store = site
    anonymous = app.server.test_client()
    assert anonymous.put("/api/area-groups/Neighbours", json=[HOME_AREA]).status_code == 401
    listed = anonymous.get("/api/area-groups").get_json()
    assert listed[0]["name"] == "Yorkshire and The Humber" and {"code": HOME_AREA, "name": "York"} in listed[0]["areas"]
    editor = app.server.test_client()
    token = editor.get("/test/csrf").get_data(as_text=True)
    assert editor.post("/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": token}).status_code == 303
    cross_site = editor.put("/api/area-groups/Neighbours", json=[HOME_AREA], headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403 and "Neighbours" not in list_groups(store.engine)
    editor.environ_base["HTTP_ORIGIN"] = "http://localhost"
    bad = editor.put("/api/area-groups/Neighbours", json=[HOME_AREA, "E99"])
    assert bad.status_code == 422 and "'E99'" in bad.get_json()["error"] and "Neighbours" not in list_groups(store.engine)
    ok = editor.put("/api/area-groups/Neighbours", json=[ENGLAND, HOME_AREA])
    assert ok.status_code == 200 and ok.get_json()["areas"] == [{"code": ENGLAND, "name": "England"}, {"code": HOME_AREA, "name": "York"}]
    assert [c for c, _ in list_groups(store.engine)["Neighbours"]] == [ENGLAND, HOME_AREA]


def test_vws017_compare_two_periods_shows_each_values_interval(uploaded, raw):
    state = normalise(uploaded, parse_query(f"?indicator={FT}&mode=compare&a=2015&b=2017"))
    card = str(explore_results(uploaded, state)[0])
    york = _totals(raw)[(raw["Area Code"] == HOME_AREA)].set_index("Time period")
    for period in ("2015", "2017"):
        lower, upper = york.loc[period, "Lower CI 95.0 limit"], york.loc[period, "Upper CI 95.0 limit"]
        assert f"95% CI, {period}" in card
        assert f"{float(lower):.1f} per 100,000 to {float(upper):.1f} per 100,000" in card


def test_vws018_a_pasted_address_with_an_unknown_area_type_or_group_still_ranks_areas(uploaded):
    state = normalise(uploaded, parse_query(f"?indicator={FT}&mode=areas&areas_type=Nowhere&areas_group=Nobody&areas_period=1900"))
    assert (state.choice("areas_type"), state.choice("areas_group"), state.choice("areas_period")) == (UPPER_TIER, "all", "2017")
    assert "ranks" in str(explore_results(uploaded, state)[0])
