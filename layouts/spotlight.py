"""Spotlight: the topic list and the presentation deck (pure: data in, components out).

Every slide of a deck is in the DOM: the screen shows the current one (CSS), print
shows them all, one a page (assets/zz-app/spotlight.css). The slide number lives in
the URL (?slide=N, 1-based); assets/zz-app/spotlight.js moves it on key presses.
"""
from __future__ import annotations

from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from data.domain.dataset import ENGLAND, HOME_AREA, Dataset
from data.domain.formatting import display_name
from data.domain.significance import NOT_COMPARED
from data.domain.topics import Slide, Topic, slide_rows
from data.domain.views import area_totals, compare_with_england, england_comparisons, values_unpublished
from layouts import ids
from layouts.charts import bar_figure, trend_figure
from layouts.components import pending_badge

CHART_FONT_PX = 20  # chart text on a slide (>= 18 px at 1920x1080)
EXPORT_SIZE = (1000, 560)  # chart images in the HTML export: about their size on a 1920x1080 slide
KEYS_HELP = "Keys: → or Page Down or Space next; ← or Page Up previous; F full screen; Esc leaves."


def slide_number(search: str | None, total: int) -> int:
    """?slide=N (1-based), clamped to the deck; 1 when absent or not a number."""
    raw = (parse_qs((search or "").lstrip("?")).get("slide") or ["1"])[0]
    try:
        n = int(raw)
    except ValueError:
        n = 1
    return min(max(n, 1), max(total, 1))


# -- charts --------------------------------------------------------------------------

def slide_figure(dataset: Dataset, indicator_id: str) -> go.Figure | None:
    """The slide's one chart (York and England over time, or the latest breakdown); None without values."""
    rows = slide_rows(dataset, indicator_id)
    if values_unpublished(rows):
        return None
    unit = dataset.indicator(indicator_id)["unit"]
    totals = area_totals(rows)
    shown = totals[totals["value"].notna()]
    if not shown.empty:
        if shown["period"].nunique() <= 1 or shown["period_end"].isna().all():
            return None  # one value is a number (the slide's headline figure), not a one-bar chart
        ind = dataset.indicator(indicator_id)
        comparisons = england_comparisons(compare_with_england(totals), ind["polarity"])
        markers = {(HOME_AREA, c.period): c.result for c in comparisons if c.result != NOT_COMPARED}
        fig = trend_figure(totals, unit, [HOME_AREA, ENGLAND], markers=markers)
    else:
        parts = rows[rows["value"].notna() & (rows["category_type"] != "")]
        if parts.empty:
            return None
        latest = parts[parts["period"] == parts["period"].iloc[-1]]
        fig = bar_figure(latest["category"].tolist(), [(latest["area_name"].iloc[0], latest["value"].tolist())], unit, horizontal=True)
    return presentation_style(fig)


MAX_SLIDE_TICKS = 6  # period labels on a slide's time axis, at CHART_FONT_PX


def presentation_style(fig: dict) -> go.Figure:
    """Text big enough for the back of a room; the size comes from the slide (or the export).
    A go.Figure here (a slide is built once per request, not per tile), for its nested updates."""
    fig = go.Figure(fig)
    fig.update_layout(
        font=dict(size=CHART_FONT_PX, color="#0b0c0c"),
        legend=dict(font=dict(size=CHART_FONT_PX)),
        hoverlabel=dict(font_size=CHART_FONT_PX),
        margin=dict(l=90, r=40, t=50, b=70),
        autosize=True,
    )
    fig.layout.height = None
    fig.update_traces(textfont_size=CHART_FONT_PX, selector=dict(type="bar"))
    fig.update_traces(marker_size=16, line_width=4, selector=dict(type="scatter"))
    fig.update_xaxes(title_font_size=CHART_FONT_PX, tickfont_size=CHART_FONT_PX)
    fig.update_yaxes(title_font_size=CHART_FONT_PX, tickfont_size=CHART_FONT_PX)
    ticks = fig.layout.xaxis.tickvals
    if ticks is not None and len(ticks) > MAX_SLIDE_TICKS:  # at slide size, a dozen period labels overlap
        step = -(-len(ticks) // MAX_SLIDE_TICKS)
        fig.update_xaxes(tickvals=ticks[::step], ticktext=fig.layout.xaxis.ticktext[::step])
    return fig


PNG_SIZE = (1200, 675)  # the "Chart PNG" export: 16:9, the size of a slide's chart pasted into a document
PNG_TITLE_PX, PNG_SOURCE_PX = 24, 16


def png_figure(fig: go.Figure, title: str, source: str, width: int = PNG_SIZE[0], height: int = PNG_SIZE[1]) -> go.Figure:
    """A slide's chart as a picture that stands alone: its title at the top (in the image, not the plot), the
    legend between the title and the plot (so they never overlap) and the source in a line at the foot."""
    from layouts.charts import _wrap

    fig = go.Figure(fig)
    title_lines = _wrap(title, 80).split("<br>")[:3]
    source = source if source.lower().startswith("source") else f"Source: {source}"
    source_lines = _wrap(source, 120).split("<br>")[:3]
    has_legend = sum(1 for t in fig.data if t.showlegend is not False) > 1 or bool(fig.layout.showlegend)
    top = 24 + round(1.3 * PNG_TITLE_PX * len(title_lines)) + (50 if has_legend else 16)
    bottom = 70 + round(1.3 * PNG_SOURCE_PX * len(source_lines)) + 16
    plot_height = height - top - bottom
    fig.update_layout(
        width=width, height=height, autosize=False,
        title=dict(text="<br>".join(title_lines), font=dict(size=PNG_TITLE_PX), x=0.02, xanchor="left", xref="container",
                   # plotly puts a multi-line title's first line above y even with yanchor "top": move it down a line each
                   y=1 - (16 + 1.3 * PNG_TITLE_PX * (len(title_lines) - 1)) / height, yanchor="top", yref="container"),
        legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom"),
        margin=dict(t=top, b=bottom),
    )
    fig.add_annotation(
        text="<br>".join(source_lines), showarrow=False, align="left", font=dict(size=PNG_SOURCE_PX, color="#484949"),
        xref="paper", x=0, xanchor="left", yref="paper", y=-70 / plot_height,  # under the x axis' labels
        yanchor="top",
    )
    return fig


# -- the topic list ------------------------------------------------------------------

def topics_page(topics: list[Topic], slide_counts: dict[str, int]) -> html.Div:
    items = []
    for t in topics:
        n = slide_counts.get(t.slug, 0)
        meta = [f"{n} slide{'s' if n != 1 else ''}"]
        if t.computed:
            meta.append("computed from the data")
        elif not t.indicator_ids:
            meta.append("no indicator in the data set yet")
        items.append(html.Li(html.Article(
            [
                html.H2(html.A(t.title, href=f"/spotlight/{t.slug}"), className="topic-title"),
                html.P(t.introduction, className="topic-intro"),
                html.P(" · ".join(meta), className="topic-meta"),
            ],
            className="topic-card" + (" topic-computed" if t.computed else ""),
        ), id=f"topic-{t.slug}"))
    return html.Div(
        [
            html.H1("Spotlight topics"),
            html.P(
                [
                    "The partnership includes \u201ca spotlight topic at each meeting in response with any emerging trends and "
                    "themes identified within the data set\u201d (Annual Report 2023/24, Priority Two: Child Exploitation, "
                    "\u2018What we will do next\u2019). Open a topic to present it: one slide per indicator or headline. ",
                    KEYS_HELP,
                ],
                className="lead",
            ),
            html.Ul(items, className="topic-list"),
        ],
        className="spotlight-topics",
    )


# -- the deck ------------------------------------------------------------------------

def _slide_body(slide: Slide, index: int, total: int, figure: go.Figure | None) -> list:
    if slide.kind == "title":
        body = [
            html.P("Spotlight topic", className="slide-kicker"),
            html.H2(slide.title, className="slide-title slide-title-big"),
            html.P(slide.text, className="slide-text slide-intro"),
        ]
        if slide.items:
            body.append(html.Ol(
                [html.Li([html.Span(name, className="trend-name"), " ",
                          html.Strong(change, className=f"trend-change judgement-{judgement.replace(' ', '-')}")])
                 for name, change, judgement in slide.items],
                className="slide-trends",
            ))
        return body + [html.P(slide.source, className="slide-source")]
    if slide.kind == "headline":
        return [
            html.P(slide.title, className="slide-kicker"),
            html.Blockquote(html.P(slide.text), className="slide-headline"),
            html.P(slide.source, className="slide-source"),
        ]
    facts = []
    if slide.number:
        facts.append(html.P(slide.number, className="slide-number"))
    facts.append(html.P(slide.number_caption, className="slide-caption"))
    if slide.change:
        facts.append(html.P(["Change: ", html.Strong(slide.change)], className=f"slide-change judgement-{slide.judgement.replace(' ', '-')}"))
    if slide.england:
        facts.append(html.P(slide.england, className="slide-england"))
    if slide.status_label or slide.pending_reason:
        badge = (html.Strong(slide.status_label, className="badge-pending badge-" + slide.status_label.split(":")[0].split()[0].lower())
                 if slide.status_label else pending_badge(slide.reporting_year))
        facts.append(html.Div([badge, " ", html.Span(slide.pending_reason or "", className="pending-reason")],
                              className="pending-block slide-pending"))
    if figure is not None:
        chart = dcc.Graph(
            figure=figure, id={"type": ids.SP_GRAPH, "index": index},
            config={"displayModeBar": False, "responsive": True}, className="slide-graph",
        )
    else:
        chart = html.P("One value: shown as a number, not a chart." if slide.number
                       else "No chart: the data set has no values to plot for this indicator.", className="slide-no-chart")
    return [
        html.H2(slide.title, className="slide-title"),
        html.Div(facts, className="slide-facts"),
        html.Figure([html.Div(chart, className="slide-chart"), html.Figcaption(slide.text, className="slide-text slide-sentence")],
                    className="slide-figure"),
        html.P(slide.source, className="slide-source"),
    ]


def deck_slide(slide: Slide, index: int, total: int, current: int, figure: go.Figure | None) -> html.Section:
    return html.Section(
        html.Div(_slide_body(slide, index, total, figure), className="slide-inner"),
        id={"type": ids.SP_SLIDE, "index": index},
        className=f"spotlight-slide slide-kind-{slide.kind}" + (" is-current" if index == current else ""),
        **{"aria-label": f"Slide {index} of {total}: {slide.title}", "aria-roledescription": "slide",
           "data-slide": str(index), "data-indicator": slide.indicator_id},
    )


def _exports(slug: str, has_chart: bool, current: int) -> html.Div:
    return html.Div(
        [
            html.Span("Export:", className="tool-label"),
            html.Button("PDF (print)", id=ids.SP_PRINT, n_clicks=0, type="button", className="btn btn-outline-light tool-button"),
            html.A("HTML file", href=f"/spotlight/{slug}/export.html", className="btn btn-outline-light tool-button"),
            html.A("PowerPoint", href=f"/spotlight/{slug}/export.pptx", className="btn btn-outline-light tool-button"),
            html.A("Chart PNG", id=ids.SP_PNG, href=f"/spotlight/{slug}/slide/{current}.png",
                   className="btn btn-outline-light tool-button" + ("" if has_chart else " is-hidden")),
        ],
        className="spotlight-exports",
    )


def deck_page(topic: Topic, slides: list[Slide], figures: list, current: int, editor_panels: list | None = None) -> html.Div:
    """The deck: a 16:9 stage (the full-screen element) with its toolbar, then the editors' panels."""
    total = len(slides)
    charts = [f is not None for f in figures]
    toolbar = html.Div(
        [
            html.Button("← Previous", id=ids.SP_PREV, n_clicks=0, type="button", disabled=current <= 1,
                        className="btn btn-light tool-button", **{"aria-label": "Previous slide"}),
            html.P([html.Span("Slide ", className="visually-hidden"), html.Span(f"{current} / {total}", id=ids.SP_COUNTER_VALUE)],
                   id=ids.SP_COUNTER, className="spotlight-counter", **{"aria-live": "polite", "aria-atomic": "true"}),
            html.Button("Next →", id=ids.SP_NEXT, n_clicks=0, type="button", disabled=current >= total,
                        className="btn btn-light tool-button", **{"aria-label": "Next slide"}),
            html.Button("Full screen (F)", id=ids.SP_FULLSCREEN, n_clicks=0, type="button", className="btn btn-outline-light tool-button"),
            _exports(topic.slug, charts[current - 1], current),
            html.A("Leave (Esc)", href="/spotlight", className="btn btn-outline-light tool-button spotlight-leave"),
        ],
        className="spotlight-toolbar",
        role="group",
        **{"aria-label": "Slide controls"},
    )
    stage = html.Div(
        [
            html.Div([deck_slide(s, i, total, current, f) for i, (s, f) in enumerate(zip(slides, figures, strict=True), start=1)],
                     className="spotlight-slides"),
            toolbar,
        ],
        id=ids.SP_STAGE,
        className="spotlight-stage",
    )
    return html.Div(
        [
            dcc.Location(id=ids.SP_URL, refresh=False),
            dcc.Store(id=ids.SP_META, data={"slug": topic.slug, "total": total, "charts": charts}),
            dcc.Store(id=ids.SP_FULLSCREEN_STATE),
            dcc.Store(id=ids.SP_PRINT_STATE),
            html.H1(f"Spotlight: {topic.title}", className="visually-hidden"),
            html.P(KEYS_HELP, className="visually-hidden"),
            stage,
            *(editor_panels or []),
        ],
        className="spotlight-deck",
        **{"data-slides": str(total), "data-topic": topic.slug},
    )


def not_found(slug: str) -> html.Div:
    return html.Div([
        html.H1("Topic not found"),
        html.P(["There is no spotlight topic called \u201c", slug, "\u201d. ", html.A("See every topic", href="/spotlight"), "."]),
    ])


# -- editors' panels -----------------------------------------------------------------

def notes_panel(note: dict | None) -> html.Details:
    saved = f"Last saved by {note['updated_by']}, {note['updated_at']} UTC." if note else "No note yet."
    return html.Details(
        [
            html.Summary("Presenter notes"),
            html.Div(
                [
                    html.P("Only signed-in editors see this note; it is never shown in full screen, printed or exported.", className="panel-help"),
                    html.Label("Note for this topic", htmlFor=ids.NOTES_TEXT, className="form-label"),
                    dcc.Textarea(id=ids.NOTES_TEXT, value=(note or {}).get("note", ""), maxLength=2000, rows=5, className="form-control notes-text"),
                    html.Button("Save note", id=ids.NOTES_SAVE, n_clicks=0, type="button", className="btn btn-primary panel-button"),
                    html.P(saved, id=ids.NOTES_STATUS, role="status", className="panel-status"),
                ],
                className="details-body",
            ),
        ],
        open=True,
        className="disclosure spotlight-panel spotlight-notes",
    )


def edit_panel(topic: Topic, dataset: Dataset) -> html.Details:
    if topic.computed:
        return html.Details(
            [html.Summary("Edit this topic"),
             html.Div(html.P("Emerging trends is computed from the data every time it is shown, so it has nothing to edit."), className="details-body")],
            className="disclosure spotlight-panel spotlight-edit",
        )
    chosen = [i for i in topic.indicator_ids if dataset.has_indicator(i)]
    others = [i for i in dataset.indicators.index if i not in chosen]
    options = [{"label": f"{display_name(dataset.indicator(i))} ({dataset.indicators.at[i, 'set']})", "value": i} for i in chosen + others]

    def field(label, control_id, control, hint=None):
        parts = [html.Label(label, htmlFor=control_id, className="form-label")]
        if hint:
            parts.append(html.P(hint, className="field-hint", id=f"{control_id}-hint"))
        return html.Div(parts + [control], className="filter-field")

    return html.Details(
        [
            html.Summary("Edit this topic"),
            html.Div(
                [
                    field("Title", ids.NOTES_TOPIC_TITLE, dcc.Input(id=ids.NOTES_TOPIC_TITLE, value=topic.title, maxLength=200, className="form-control")),
                    field("Introduction", ids.NOTES_TOPIC_INTRO,
                          dcc.Textarea(id=ids.NOTES_TOPIC_INTRO, value=topic.introduction, maxLength=2000, rows=4, className="form-control")),
                    field("Headlines (one slide per line)", ids.NOTES_TOPIC_HEADLINES,
                          dcc.Textarea(id=ids.NOTES_TOPIC_HEADLINES, value="\n".join(topic.headlines), rows=4, className="form-control")),
                    field("Order in the topic list", ids.NOTES_TOPIC_ORDER,
                          dcc.Input(id=ids.NOTES_TOPIC_ORDER, type="number", min=0, max=999, step=1, value=topic.position,
                                    className="form-control order-input")),
                    html.Fieldset(
                        [html.Legend("Indicators (one slide each, in the order ticked)", className="form-label"),
                         dbc.Checklist(id=ids.NOTES_TOPIC_INDICATORS, options=options, value=chosen, className="indicator-list")],
                        className="filter-field",
                    ),
                    html.Button("Save topic", id=ids.NOTES_TOPIC_SAVE, n_clicks=0, type="button", className="btn btn-primary panel-button"),
                    html.P(id=ids.NOTES_TOPIC_STATUS, role="status", className="panel-status"),
                ],
                className="details-body",
            ),
        ],
        className="disclosure spotlight-panel spotlight-edit",
    )


__all__ = ["EXPORT_SIZE", "deck_page", "edit_panel", "notes_panel", "not_found", "presentation_style",
           "slide_figure", "slide_number", "topics_page"]
