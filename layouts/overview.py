"""The overview page: a section per indicator set, a tile per indicator."""
from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Patch, dcc, html

from data.domain.dataset import HOME_AREA, Dataset
from data.domain.formatting import ARROWS, format_change, format_value, is_missing, movement
from data.domain.significance import STATED
from data.domain.status import OUT_OF_DATE, OVERDUE, PENDING, RECENT, indicator_status, reporting_years
from data.domain.views import NOT_PUBLISHED
from layouts import ids
from layouts.charts import sparkline
from layouts.components import display_name, slug
from layouts.serialised import as_sent

TILE_SLOT = "tile-slot"  # a tile's parts that change with the reporting year (sections_update patches them)


def cached_sections(dataset: Dataset, year: str) -> list:
    """overview_sections, built once per data version and reporting year (a few dozen figures each time
    otherwise) and kept as the plain JSON Dash sends (as_sent), so a request only pays the JSON encoder."""
    return dataset.cache.remember("overview_sections", year, lambda: as_sent(overview_sections(dataset, year)))


def shown(dataset: Dataset, year: str) -> dict:
    """What the page's sections were built from: a later update can be a patch only against the same."""
    return {"version": dataset.version, "year": year}


def sections_update(dataset: Dataset, on_page: dict | None, year: str):
    """The sections for `year` as an update of the page. When the page holds this data version's sections
    (for any year), a Patch that sets only what a reporting year changes: the pending box and every
    tile's slots (a few KB instead of ~100 KB). It sets all of them, not just those that differ from the
    year on the page, so it is right whatever year the page shows (even if an earlier answer is still in
    flight). Otherwise, the whole sections."""
    if not on_page or on_page.get("version") != dataset.version:
        return cached_sections(dataset, year)
    return dataset.cache.remember("overview_year_patch", year, lambda: as_sent(_year_patch(cached_sections(dataset, year))))


def _year_patch(sections: list) -> Patch:
    """As the JSON Dash sends (as_sent), a Patch is a plain dict the renderer applies, and the
    encoder's fast path takes it as it is."""
    patch = Patch()
    patch[0] = sections[0]  # the pending box
    for path, slot in _slots(sections):
        target = patch
        for key in path:
            target = target[key]
        target["props"]["children"] = slot["props"]["children"]
    return patch


def _slots(tree, path: tuple = ()):
    """(path, node) of every tile slot in a sections tree, in document order."""
    if isinstance(tree, list):
        for i, item in enumerate(tree):
            yield from _slots(item, path + (i,))
    elif isinstance(tree, dict):
        props = tree.get("props") or {}
        if props.get("className") == TILE_SLOT:
            yield path, tree
        elif "children" in props:
            yield from _slots(props["children"], path + ("props", "children"))


def overview_page(dataset: Dataset, reporting_year: str) -> html.Div:
    years = reporting_years(dataset)
    return html.Div(
        [
            dcc.Location(id=ids.OV_URL, refresh=False),
            html.H1("Children's indicators: overview"),
            html.P(
                "The latest value of every indicator in the partnership's data set, with its trend and its "
                "change since the period before. Choose a reporting year to see which values are still pending.",
                className="lead",
            ),
            html.Div(
                [
                    html.Label("Reporting year", htmlFor=ids.OV_YEAR, className="form-label"),
                    _native_select(ids.OV_YEAR, years, reporting_year),
                ],
                className="reporting-year",
            ),
            dcc.Store(id=ids.OV_SHOWN, data=shown(dataset, reporting_year)),
            html.Div(cached_sections(dataset, reporting_year), id=ids.OV_SECTIONS, **{"aria-live": "polite"}),
        ]
    )


def _native_select(select_id: str, options: list[str], value: str):
    return dbc.Select(id=select_id, options=[{"label": o, "value": o} for o in options], value=value, className="year-select")


def overview_sections(dataset: Dataset, reporting_year: str) -> list:
    status = indicator_status(dataset, reporting_year)
    home = dataset.observations[(dataset.observations["area_code"] == HOME_AREA) & (dataset.observations["category_type"] == "")]
    dated = home[home["period_end"].notna()]
    series_by_id = {k: g for k, g in dated.groupby("indicator_id", sort=False)}
    contents = html.Nav(
        [html.H2("Indicator sets", className="h5"), html.Ul([html.Li(html.A(s, href=f"#set-{slug(s)}")) for s in dataset.sets], className="set-contents")],
        **{"aria-label": "Indicator sets"},
    )
    sections = [pending_summary(dataset, status, reporting_year), contents]
    for set_name in dataset.sets:
        members = dataset.indicators[dataset.indicators["set"] == set_name]
        tiles = [_tile(ind, status.loc[ind_id], series_by_id.get(ind_id), reporting_year) for ind_id, ind in members.iterrows()]
        sections.append(
            html.Section(
                [html.H2(set_name, id=f"set-{slug(set_name)}"), html.Ul(tiles, className="tile-grid")],
                className="set-section",
                **{"aria-labelledby": f"set-{slug(set_name)}"},
            )
        )
    return sections


def pending_summary(dataset: Dataset, status: pd.DataFrame, reporting_year: str) -> html.Section:
    pending = status[status["pending"]]
    if pending.empty:
        body = [html.P(f"No indicator is pending for {reporting_year}.")]
    else:
        body = []
        for reason, group in pending.groupby("pending_reason", sort=False):
            names = [html.Li([html.A(display_name(dataset.indicators.at[i, "name"]), href=f"#tile-{i}"), f" ({status.at[i, 'status_label']})"])
                     for i in group.index]
            body += [html.Ul(names), html.P(["Why: ", reason], className="pending-reason")]
    return html.Section(
        [html.H2([f"Pending for {reporting_year} ", html.Span(f"({len(pending)})", className="count")], id="pending-heading"), *body],
        className="pending-summary",
        **{"aria-labelledby": "pending-heading"},
    )


def explore_href(ind: pd.Series) -> str:
    return "/explore?" + urlencode({"set": ind["set"], "indicator": ind["id"]})


def _tile(ind: pd.Series, st: pd.Series, series: pd.DataFrame | None, reporting_year: str) -> html.Li:
    """A tile says what data/domain/status.py computed, in words: the status (pending, overdue, out of date),
    the latest value and its age, the change since the previous comparable value, England and the comparison."""
    unit = ind["unit"]
    children = [html.H3(html.A(display_name(ind["name"]), href=explore_href(ind)), className="tile-title")]
    # The parts that change with the reporting year sit in slots that are always there, so a year change
    # patches a slot's content instead of replacing the tile (see sections_update).
    pending = None
    if st["pending"]:
        badge = html.Strong(st["status_label"], className="badge-pending" + (" badge-overdue" if st["status"] == OVERDUE else ""))
        pending = html.P([badge, " ", html.Span(st["pending_reason"], className="pending-reason")], className="pending-block")
    children.append(html.Div(pending, className=TILE_SLOT))
    if is_missing(st["latest_value"]):
        children.append(html.P(f"Value {NOT_PUBLISHED} or not stated as a number.", className="tile-missing"))
    else:
        when = "period not stated" if pd.isna(st["latest_period_end"]) else st["latest_period"]
        children.append(html.P([html.Span(format_value(st["latest_value"], unit), className="tile-value"), html.Span(f" {when}", className="tile-period")]))
    if series is not None and series["value"].notna().sum() >= 2:
        children.append(
            html.Div(
                dcc.Graph(figure=sparkline(series), config={"staticPlot": True, "displayModeBar": False}, className="sparkline"),
                **{"aria-hidden": "true"},  # decorative: the values and change are in the tile's text
            )
        )
    if not is_missing(st["change"]):
        delta = st["change"]
        word = st["change_judgement"]
        children.append(
            html.P(
                [
                    html.Span(ARROWS[movement(delta)], **{"aria-hidden": "true"}, className=f"arrow arrow-{movement(delta)}"),
                    f" {format_change(delta, unit)} {st['change_since']}: ",
                    html.Strong(word, className=f"judgement judgement-{slug(word)}"),
                ],
                className="tile-change",
            )
        )
    elif st["change_note"].startswith("no change stated"):
        children.append(html.P(st["change_note"][:1].upper() + st["change_note"][1:] + ".", className="tile-change tile-break"))
    england = []
    if not is_missing(st["england_value"]):
        england.append(f"England {format_value(st['england_value'], unit)} in {st['latest_period']}.")
    elif not is_missing(st["latest_value"]) and (ind["fingertips_id"] or ind["source"].startswith("OHID")):
        england.append(f"England: no value for {st['latest_period']} in the data.")
    if st["comparison_basis"]:
        england += [" ", html.Strong(_COMPARED.get(st["comparison"], st["comparison"]), className=f"comparison comparison-{slug(st['comparison'])}"),
                    f" ({'as the source states' if st['comparison_basis'] == STATED else '95% confidence interval'})."]
    if england:
        children.append(html.P(england, className="tile-england"))
    if st["trend_text"]:
        children.append(html.P(st["trend_text"], className="tile-trend"))
    children.append(html.Div(_age(st, reporting_year), className=TILE_SLOT))
    return html.Li(html.Article(children, className="tile"), id=f"tile-{ind['id']}")


_COMPARED = {"Better": "Better than England", "Worse": "Worse than England", "Similar": "Similar to England",
             "Higher": "Higher than England", "Lower": "Lower than England"}


def _age(st: pd.Series, reporting_year: str):
    """The latest value's age against the reporting year; "Out of date" in words when it is too old."""
    if st["status"] == OUT_OF_DATE:
        if is_missing(st["latest_value"]) or pd.isna(st["latest_period_end"]):
            return html.P(f"No dated {reporting_year} value", className="tile-status")
        return html.P([html.Strong("Out of date", className="badge-stale"), f": the latest value is {st['age_text']}."], className="tile-status")
    if st["status"] in (RECENT, PENDING, OVERDUE) and st["age_text"]:
        return html.P(f"No {reporting_year} value yet: the latest is {st['age_text']}.", className="tile-status")
    return None
