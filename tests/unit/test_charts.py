"""layouts/charts.py builds figures as plain dicts: each must be exactly what go.Figure would send."""
from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from dash._utils import to_json

from data.domain.dataset import ENGLAND, HOME_AREA, load_bundled
from layouts import charts

BUNDLED = load_bundled()


def _figures():
    obs = BUNDLED.observations
    for ind in BUNDLED.indicators.index:
        rows = obs[obs["indicator_id"] == ind]
        unit = BUNDLED.indicator(ind)["unit"]
        yield f"trend-{ind}", charts.trend_figure(rows, unit, [HOME_AREA, ENGLAND])
        york = rows[(rows["area_code"] == HOME_AREA) & (rows["category_type"] == "") & rows["period_end"].notna()]
        if len(york):
            yield f"spark-{ind}", charts.sparkline(york)
        cats = rows[rows["category_type"] != ""]
        if len(cats):
            yield f"hbar-{ind}", charts.bar_figure(cats["category"].tolist(), [("x", cats["value"].tolist())], unit, horizontal=True)
    yield "bars", charts.bar_figure(["A", "B"], [("2022", [1.0, None]), ("2023", [2.5, 3.0])], "%")


@pytest.mark.parametrize("name,figure", list(_figures()), ids=lambda v: v if isinstance(v, str) else "")
def test_cha001_every_figure_dict_is_what_go_figure_sends(name, figure):
    sent = json.loads(to_json(figure))
    assert json.loads(to_json(go.Figure(figure))) == sent  # valid, and nothing plotly would rewrite
    if name.startswith("spark"):  # no axes, text or hover: the template would change nothing
        assert sent["layout"]["template"] == {"data": {"scatter": [{"type": "scatter"}]}}
    else:
        assert sent["layout"]["template"] == json.loads(to_json(pio.templates[pio.templates.default]))


def test_cha002_a_regular_series_that_skips_a_year_breaks_the_line():
    obs = BUNDLED.observations
    rows = obs[(obs["indicator_id"] == "year6-overweight") & (obs["area_code"] == HOME_AREA) & (obs["category_type"] == "")]
    rows = rows[rows["period_end"].notna() & rows["value"].notna()].sort_values("period_start")
    run = [i for i in range(len(rows) - 2)
           if all((rows["period_start"].iloc[j + 1] - rows["period_end"].iloc[j]).days <= 1 for j in (i, i + 1))]
    assert run, "the test needs three consecutive years"
    rows = rows.iloc[run[0]:run[0] + 3]
    skipped = rows.drop(rows.index[1])  # drop the second year: a gap between the first and the third
    trace = charts.trend_figure(skipped, "%", [HOME_AREA])["data"][0]
    assert trace["y"][1] is None and trace["customdata"][1] is None
    assert [y for y in trace["y"] if y is not None] == skipped["value"].tolist()
    full = charts.trend_figure(rows, "%", [HOME_AREA])["data"][0]
    assert None not in full["y"]


def test_cha003_confidence_intervals_become_error_bars():
    obs = BUNDLED.observations
    rows = obs[(obs["indicator_id"] == "year6-overweight") & (obs["area_code"] == HOME_AREA) & (obs["category_type"] == "")].copy()
    rows = rows[rows["period_end"].notna() & rows["value"].notna()]
    rows["lower_ci"], rows["upper_ci"] = rows["value"] - 1.0, rows["value"] + 2.0
    traces = charts.trend_figure(rows, "%", [HOME_AREA])["data"]  # two: the Fingertips extract, then the report
    assert len(traces) == 2
    plus = [p for t in traces for p, y in zip(t["error_y"]["array"], t["y"], strict=True) if y is not None]
    minus = [m for t in traces for m, y in zip(t["error_y"]["arrayminus"], t["y"], strict=True) if y is not None]
    assert len(plus) == len(rows)  # a skipped year is a None point
    assert plus == pytest.approx([2.0] * len(rows)) and minus == pytest.approx([1.0] * len(rows))
    assert "error_y" not in charts.trend_figure(obs[obs["indicator_id"] == "year6-overweight"], "%", [HOME_AREA])["data"][0]


def test_cha004_the_shared_template_is_not_changed_by_a_slide():
    from layouts.spotlight import presentation_style

    fig = charts.trend_figure(BUNDLED.observations[BUNDLED.observations["indicator_id"] == "year6-overweight"], "%", [HOME_AREA])
    presentation_style(fig).update_layout(template_layout_font_size=99)
    assert charts._TEMPLATE == pio.templates[pio.templates.default].to_plotly_json()


def test_cha005_a_change_of_source_breaks_the_line_into_named_traces():
    """Issue 13, point 1: the report's 22/23 figure after Fingertips' extract ending 2017/18 is a new trace."""
    obs = BUNDLED.observations
    rows = obs[(obs["indicator_id"] == "reception-overweight") & (obs["area_code"] == HOME_AREA)]
    traces = charts.trend_figure(rows, "%", [HOME_AREA])["data"]
    assert [t["name"] for t in traces] == ["York: OHID Fingertips (indicator 20601)", "York: Annual Report 2023/24"]
    assert traces[0]["customdata"][-1] == "2017/18" and traces[1]["customdata"] == ["22/23"]
    assert traces[1]["line"]["dash"] == "dot" and traces[0]["line"]["color"] == traces[1]["line"]["color"]
    # One source: one trace, named by the area alone.
    england = obs[(obs["indicator_id"] == "reception-overweight") & (obs["area_code"] == "E92000001")]
    assert [t["name"] for t in charts.trend_figure(england, "%", ["E92000001"])["data"]] == ["England"]


def test_cha006_significance_markers_have_a_shape_and_a_name_each():
    obs = BUNDLED.observations
    rows = obs[(obs["indicator_id"] == "fingertips-self-harm-admissions-10-24-asr") & obs["area_code"].isin([HOME_AREA, "E92000001"])]
    york = rows[rows["area_code"] == HOME_AREA]
    markers = {(HOME_AREA, p): n.removeprefix("Compared with England: ") for p, n in zip(york["period"], york["note"], strict=True)}
    fig = charts.trend_figure(rows, "rate per 100,000", [HOME_AREA, "E92000001"], markers=markers)
    named = {t["name"]: t for t in fig["data"] if t["mode"] == "markers"}
    assert set(named) <= set(charts.SIGNIFICANCE_NAMES.values()) and "Worse than England" in named
    assert len({t["marker"]["symbol"] for t in named.values()}) == len(named)
    assert named["Worse than England"]["customdata"][-1] == "2017/18"
    go.Figure(fig)  # valid
