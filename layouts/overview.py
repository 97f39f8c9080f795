"""The overview page: numbers first (issue 14). The default view is a compact table of every indicator,
grouped by set (data/domain/overview_table.py builds its rows); the tiles (a section per set, a tile
per indicator) remain as a second view at ?view=tiles."""
from __future__ import annotations

from urllib.parse import parse_qs, quote, urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Patch, dcc, html

from data.domain.dataset import DEFAULT_REPORTING_YEAR, HOME_AREA, Dataset
from data.domain.formatting import ARROWS, display_name, format_change, format_period, format_value, is_missing, movement
from data.domain.overview_table import OverviewRow, overview_rows
from data.domain.significance import STATED
from data.domain.status import OUT_OF_DATE, OVERDUE, PENDING, RECENT, indicator_status, reporting_years
from data.domain.views import NOT_PUBLISHED
from layouts import ids
from layouts.charts import sparkline
from layouts.components import slug
from layouts.serialised import as_sent

TILE_SLOT = "tile-slot"  # a tile's parts that change with the reporting year (sections_update patches them)
TABLE, TILES = "table", "tiles"  # the two views (?view=tiles; the table is the default)
TABLE_SLOT = "ov-slot"  # a table cell or title that changes with the reporting year (patched like a tile slot)


def view_from(search: str | None) -> str:
    return TILES if (parse_qs((search or "").lstrip("?")).get("view") or [""])[0] == TILES else TABLE


def page_query(year: str, view: str) -> str:
    """The page's query string: ?year=..., with &view=tiles for the second view."""
    return "?" + urlencode({"year": year, **({"view": TILES} if view == TILES else {})})


def cached_sections(dataset: Dataset, year: str, view: str = TILES) -> list:
    """overview_sections (or the table view), built once per data version and reporting year (a few dozen figures
    each time otherwise) and kept as the plain JSON Dash sends (as_sent), so a request only pays the JSON encoder."""
    if view == TABLE:
        return dataset.cache.remember("overview_table", year, lambda: _table_sections_sent(dataset, year))
    return dataset.cache.remember("overview_sections", year, lambda: _tiles_sections_sent(dataset, year))


def warm(dataset: Dataset) -> None:
    """Build what every reporting year of the overview's table shares, once per data version (the status parts no
    year changes, the rows' fixed cells, the table as sent), and the default year's table the page opens on:
    ~0.7 s at 1M rows that the first year a worker serves would otherwise pay (callbacks/warm.py runs it in the
    background when a worker loads a version). The same calls a request makes, so the same cache entries."""
    cached_sections(dataset, DEFAULT_REPORTING_YEAR, TABLE)


def shown(dataset: Dataset, year: str, view: str = TILES) -> dict:
    """What the page's sections were built from: a later update can be a patch only against the same."""
    return {"version": dataset.version, "year": year, "view": view}


def sections_update(dataset: Dataset, on_page: dict | None, year: str, view: str = TILES):
    """The sections for `year` as an update of the page. When the page holds this data version's sections
    (for any year), a Patch that sets only what a reporting year changes: the pending box and every
    tile's slots (a few KB instead of ~100 KB). It sets all of them, not just those that differ from the
    year on the page, so it is right whatever year the page shows (even if an earlier answer is still in
    flight). Otherwise, the whole sections."""
    if not on_page or on_page.get("version") != dataset.version or on_page.get("view", TILES) != view:
        return cached_sections(dataset, year, view)
    key = "overview_year_patch" if view == TILES else "overview_table_year_patch"
    return dataset.cache.remember(key, year, lambda: as_sent(_year_patch(cached_sections(dataset, year, view))))


def _year_patch(sections: list) -> Patch:
    """As the JSON Dash sends (as_sent), a Patch is a plain dict the renderer applies, and the
    encoder's fast path takes it as it is."""
    patch = Patch()
    patch[0] = sections[0]  # the Table | Tiles links (they carry the year)
    patch[1] = sections[1]  # the pending box
    for path, slot in _slots(sections):
        target = patch
        for key in path:
            target = target[key]
        target["props"]["children"] = slot["props"]["children"]
    return patch


def _slots(tree, path: tuple = ()):
    """(path, node) of every slot (a tile's, or the table's) in a sections tree, in document order."""
    if isinstance(tree, list):
        for i, item in enumerate(tree):
            yield from _slots(item, path + (i,))
    elif isinstance(tree, dict):
        props = tree.get("props") or {}
        if props.get("className") == TILE_SLOT or TABLE_SLOT in str(props.get("className", "")).split():
            yield path, tree
        elif "children" in props:
            yield from _slots(props["children"], path + ("props", "children"))


def overview_page(dataset: Dataset, reporting_year: str, view: str = TABLE) -> html.Div:
    years = reporting_years(dataset)
    return html.Div(
        [
            dcc.Location(id=ids.OV_URL, refresh=False),
            html.H1("Children's indicators: overview", className="ov-title"),
            html.P(
                "York's latest value of every indicator, its change, England's value and its status; "
                "choose a reporting year to see which values are pending.",
                className="lead ov-lead",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Reporting year", htmlFor=ids.OV_YEAR, className="form-label"),
                            _native_select(ids.OV_YEAR, years, reporting_year),
                        ],
                        className="reporting-year",
                    ),
                ],
                className="ov-controls",
            ),
            dcc.Store(id=ids.OV_SHOWN, data=shown(dataset, reporting_year, view)),
            html.Div(cached_sections(dataset, reporting_year, view), id=ids.OV_SECTIONS, **{"aria-live": "polite"}),
        ]
    )


def view_links(year: str, view: str) -> html.Nav:
    """Table | Tiles: plain links (the current one marked with aria-current, in words and weight). They sit in
    the sections, so a year change (or back/forward between the views) updates them with the rest."""
    items = []
    for key, label in ((TABLE, "Table"), (TILES, "Tiles")):
        current = {"aria-current": "page", "className": "ov-view-link current"} if key == view else {"className": "ov-view-link"}
        items.append(html.Li(html.A(label, href="/" + page_query(year, key), **current)))
    return html.Nav(html.Ul(items, className="ov-views"), className="ov-views-nav", **{"aria-label": "Overview views"})


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
    sections = [view_links(reporting_year, TILES), pending_summary(dataset, status, reporting_year), contents]
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


def table_sections(dataset: Dataset, reporting_year: str) -> list:
    """The table view: the compact pending summary, then the table of every indicator."""
    rows = overview_rows(dataset, reporting_year)
    return [view_links(reporting_year, TABLE), compact_pending(rows, reporting_year), overview_table(rows, dataset, reporting_year)]


def _table_sections_sent(dataset: Dataset, reporting_year: str) -> list:
    """as_sent(table_sections(dataset, reporting_year)), byte for byte, without rebuilding the table for each year:
    the table is built and converted once per data version, and a year builds only its slots (the titles and
    every row's status cell) and puts them in place, sharing the rest of the tree (tests compare every year)."""
    rows = overview_rows(dataset, reporting_year)
    base, paths = dataset.cache.once("overview_table_base", lambda: _table_base(rows, dataset, reporting_year))
    # A few distinct cells, each built once; copied, so no node appears twice in a tree (a client could change one).
    cells = [_copied(dataset.cache.remember("overview_status_cell", (r.status, r.status_text, r.reason), lambda r=r: as_sent(_status_cell(r))))
             for members in _row_groups(rows, dataset) for r in members]
    slots = [*as_sent(list(_table_titles(reporting_year))), *cells]
    assert len(slots) == len(paths)  # the same rows in the same order: every version's table has one slot per path
    table = _replaced(base, dict(zip(paths, slots, strict=True)))
    return [*as_sent([view_links(reporting_year, TABLE), compact_pending(rows, reporting_year)]), table]


def _tiles_sections_sent(dataset: Dataset, reporting_year: str) -> list:
    """as_sent(overview_sections(dataset, reporting_year)), byte for byte: the sets' sections (tiles, sparklines)
    are built once per data version; a year builds the view links, the pending box and each tile's two slots
    (its pending block and its age line) and puts the slots in place (tests compare every year)."""
    base, paths = dataset.cache.once("overview_sections_base", lambda: _tiles_base(dataset, reporting_year))
    status = indicator_status(dataset, reporting_year)
    slots = []
    for set_name in dataset.sets:
        for ind_id in dataset.indicators.index[dataset.indicators["set"] == set_name]:
            st = status.loc[ind_id]
            slots += [_pending_slot(st), html.Div(_age(st, reporting_year), className=TILE_SLOT)]
    sent = as_sent([view_links(reporting_year, TILES), pending_summary(dataset, status, reporting_year), *slots])
    assert len(sent) - 2 == len(paths)  # two slots a tile, every tile of this version
    return [*sent[:2], *_replaced(base, dict(zip(paths, sent[2:], strict=True)))]


def _tiles_base(dataset: Dataset, reporting_year: str) -> tuple[list, tuple]:
    """The sections after the view links and the pending box (contents, then a section per set), as sent, and
    the paths of their slots in document order."""
    rest = as_sent(overview_sections(dataset, reporting_year))[2:]
    return rest, tuple(path for path, _ in _slots(rest))


def _copied(node):
    """A copy of a plain JSON tree (lists and dicts copied, strings and numbers shared)."""
    if isinstance(node, dict):
        return {k: _copied(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copied(v) for v in node]
    return node


def _table_base(rows: list[OverviewRow], dataset: Dataset, reporting_year: str) -> tuple[dict, tuple]:
    table = as_sent(overview_table(rows, dataset, reporting_year))
    return table, tuple(path for path, _ in _slots(table))


def _replaced(tree, replacements: dict):
    """A copy of a plain JSON tree with the node at each path (a tuple of keys) replaced; only the lists and
    dicts on those paths are copied, everything else is shared with `tree` (never changed in place)."""
    trie: dict = {}
    for path, value in replacements.items():
        node = trie
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = _Leaf(value)
    return _rebuild(tree, trie)


class _Leaf:
    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


def _rebuild(node, trie: dict):
    out = list(node) if isinstance(node, list) else dict(node)
    for key, sub in trie.items():
        out[key] = sub.value if isinstance(sub, _Leaf) else _rebuild(node[key], sub)
    return out


def compact_pending(rows: list[OverviewRow], reporting_year: str) -> html.Section:
    """Which values are pending (or overdue), in one line of links to their rows; the reasons one click away."""
    pending = [r for r in rows if r.reason]  # a reason: a pending flag the report set, not yet cleared
    overdue = sum(r.status == OVERDUE for r in pending)
    count = f"({len(pending)}" + (f", {overdue} overdue)" if overdue else ")")
    heading = html.H2([f"Pending for {reporting_year} ", html.Span(count, className="count")], id="pending-heading")
    if not pending:
        return html.Section([heading, html.P(f"No indicator is pending for {reporting_year}.")],
                            className="pending-summary compact", **{"aria-labelledby": "pending-heading"})
    links: list = []
    for i, r in enumerate(pending):
        links += ([", "] if i else []) + [html.A(r.name, href=f"#row-{r.id}")] + ([" (overdue)"] if r.status == OVERDUE else [])
    by_reason: dict[str, list[str]] = {}
    for r in pending:
        by_reason.setdefault(r.reason, []).append(r.name)
    reasons = html.Ul([html.Li([html.Strong("; ".join(names) + ": "), reason]) for reason, names in by_reason.items()])
    return html.Section(
        [heading, html.P(links, className="pending-names"), html.Details([html.Summary("Why they are pending"), reasons], className="disclosure")],
        className="pending-summary compact",
        **{"aria-labelledby": "pending-heading"},
    )


COLUMNS = ("Indicator", "York", "Period", "Change", "England", "Compared with England", "Trend", "Status")


def overview_table(rows: list[OverviewRow], dataset: Dataset, reporting_year: str) -> html.Div:
    """Every indicator in one table, a row group per set. On a narrow screen the table scrolls inside
    its own labelled, focusable region, so the page never scrolls sideways."""
    body = []
    for members in _row_groups(rows, dataset):
        set_name = members[0].set
        group = [html.Tr(html.Th(set_name, colSpan=len(COLUMNS), scope="colgroup", id=f"set-{slug(set_name)}"), className="ov-set")]
        body.append(html.Tbody(group + [_table_row(r, dataset.indicator(r.id)) for r in members]))
    heading, caption = _table_titles(reporting_year)
    table = html.Table(
        [
            caption,
            html.Thead(html.Tr([html.Th(c, scope="col", className=f"ov-col-{slug(c)}") for c in COLUMNS])),
            *body,
        ],
        className="ov-table",
    )
    return html.Div(
        [
            heading,
            html.Div(table, className="ov-table-region", role="region", tabIndex=0, **{"aria-labelledby": TABLE_CAPTION_ID}),
        ]
    )


TABLE_CAPTION_ID = "overview-table-caption"


def _row_groups(rows: list[OverviewRow], dataset: Dataset) -> list[list[OverviewRow]]:
    """The table's rows by set, sets in the data's order (a set without rows has no group)."""
    groups = [[r for r in rows if r.set == set_name] for set_name in dataset.sets]
    return [g for g in groups if g]


def _table_titles(reporting_year: str) -> tuple[html.H2, html.Caption]:
    title = f"Every indicator for reporting year {reporting_year}: York's latest value, its change, England and status"
    return (html.H2(title, id=TABLE_CAPTION_ID, className=f"ov-table-heading {TABLE_SLOT}"),
            html.Caption(title, className=f"visually-hidden {TABLE_SLOT}"))


def _status_cell(r: OverviewRow) -> html.Td:
    status: list = [html.Span(r.status_text, className=f"ov-status ov-status-{slug(r.status)}")]
    if r.reason:  # pending or overdue: the badge says which, in words, with the indicator's own reason
        status = [html.Strong(r.status_text, className="badge-pending" + (" badge-overdue" if r.status == OVERDUE else "")),
                  html.Span(r.reason, className="ov-reason")]
    return html.Td(status, className=f"ov-status-cell {TABLE_SLOT}")


def _table_row(r: OverviewRow, ind: pd.Series) -> html.Tr:
    change: list = []
    if r.change:
        change = [html.Span(ARROWS[r.movement], className=f"arrow arrow-{r.movement}", **{"aria-hidden": "true"}), f" {r.change}"]
        if r.change_word and r.change_word != "no judgement":
            change += [", ", html.Strong(r.change_word, className=f"judgement-word judgement-{slug(r.change_word)}")]
    return html.Tr(
        [
            html.Th(html.A(r.name, href=explore_href(ind)), scope="row", className="ov-name"),
            html.Td(r.value or "Not stated", className="num ov-value" if r.value else "ov-missing"),
            html.Td(r.period, className="ov-period"),  # the label as published: in "About this data" on explore
            html.Td(change, className="ov-change"),
            html.Td(r.england, className="num ov-england"),
            html.Td(r.comparison, className="ov-comparison"),
            html.Td(sparkline_img(r) if r.trend else "", className="ov-trend"),
            _status_cell(r),
        ],
        id=f"row-{r.id}",
    )


def sparkline_img(r: OverviewRow, width: int = 80, height: int = 22) -> html.Img:
    """A tiny inline SVG on a time axis (gaps show as gaps), as an image whose alt text is the trend in words."""
    xs = [x for x, _ in r.trend]
    ys = [y for _, y in r.trend]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = 3

    def at(x: float, y: float) -> str:
        px = pad + (x - x0) / ((x1 - x0) or 1) * (width - 2 * pad)
        py = height - pad - ((y - y0) / ((y1 - y0) or 1) * (height - 2 * pad) if y1 != y0 else (height - 2 * pad) / 2)
        return f"{px:.1f},{py:.1f}"

    points = " ".join(at(x, y) for x, y in r.trend)
    last = at(xs[-1], ys[-1]).split(",")
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>"
           f"<polyline fill='none' stroke='%2312436D' stroke-width='1.5' points='{points}'/>"
           f"<circle cx='{last[0]}' cy='{last[1]}' r='2.5' fill='%2312436D'/></svg>")
    return html.Img(src="data:image/svg+xml;utf8," + quote(svg, safe="/:=' ,.%"), alt=r.trend_text, width=width, height=height, className="ov-spark")


def pending_summary(dataset: Dataset, status: pd.DataFrame, reporting_year: str) -> html.Section:
    pending = status[status["pending"]]
    if pending.empty:
        body = [html.P(f"No indicator is pending for {reporting_year}.")]
    else:
        body = []
        for reason, group in pending.groupby("pending_reason", sort=False):
            names = [html.Li([html.A(display_name(dataset.indicator(i)), href=f"#tile-{i}"), f" ({status.at[i, 'status_label']})"])
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
    children = [html.H3(html.A(display_name(ind), href=explore_href(ind)), className="tile-title")]
    # The parts that change with the reporting year sit in slots that are always there, so a year change
    # patches a slot's content instead of replacing the tile (see sections_update).
    children.append(_pending_slot(st))
    if is_missing(st["latest_value"]):
        children.append(html.P(f"Value {NOT_PUBLISHED} or not stated as a number.", className="tile-missing"))
    else:
        when = "period not stated" if pd.isna(st["latest_period_end"]) else format_period(st["latest_period"])
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
        england.append(f"England {format_value(st['england_value'], unit)} in {format_period(st['latest_period'])}.")
    elif not is_missing(st["latest_value"]) and (ind["fingertips_id"] or ind["source"].startswith("OHID")):
        england.append(f"England: no value for {format_period(st['latest_period'])} in the data.")
    if st["comparison_basis"]:
        england += [" ", html.Strong(_COMPARED.get(st["comparison"], st["comparison"]), className=f"comparison comparison-{slug(st['comparison'])}"),
                    f" ({'as the source states' if st['comparison_basis'] == STATED else '95% confidence interval'})."]
    if england:
        children.append(html.P(england, className="tile-england"))
    if st["trend_text"]:
        children.append(html.P(st["trend_text"], className="tile-trend"))
    children.append(html.Div(_age(st, reporting_year), className=TILE_SLOT))
    return html.Li(html.Article(children, className="tile"), id=f"tile-{ind['id']}")


def _pending_slot(st: pd.Series) -> html.Div:
    """A tile's first slot: its pending (or overdue) badge with the indicator's own reason, else empty."""
    pending = None
    if st["pending"]:
        badge = html.Strong(st["status_label"], className="badge-pending" + (" badge-overdue" if st["status"] == OVERDUE else ""))
        pending = html.P([badge, " ", html.Span(st["pending_reason"], className="pending-reason")], className="pending-block")
    return html.Div(pending, className=TILE_SLOT)


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
