"""The page frame around every page: skip link, header, navigation, footer."""
from __future__ import annotations

from dash import dcc, html

from layouts import ids

# lang="en-GB" for screen readers; the skip link is the first focusable element. Dash's own default
# index_string wraps its config and scripts in a <footer>: that made a second "contentinfo" landmark beside the
# site's footer (axe: landmark-no-duplicate-contentinfo, landmark-unique), so here they sit in a plain <div>.
INDEX_STRING = """<!DOCTYPE html>
<html lang="en-GB">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        <a class="skip-link" href="#main-content">Skip to main content</a>
        {%app_entry%}
        <div class="dash-scripts">
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""

NAV = (("/", "Overview"), ("/explore", "Explore"), ("/spotlight", "Spotlight"), ("/upload", "Upload data"), ("/versions", "History"))

# The header's sign-out form: POST /logout with the session's token (callbacks/auth.py fills the token in and
# shows the form only to a signed-in user; the shell itself is built once, without a request).
SIGN_OUT_FORM = "sign-out-form"
SIGN_OUT_TOKEN = "sign-out-csrf"
SIGNED_IN_AS = "signed-in-as"  # the signed-in editor's email, filled in by the same callback


def sign_out_form() -> html.Form:
    """"Signed in as <email> · Sign out": one line, the button styled as a link (still a real submit button)."""
    return html.Form(
        [
            html.Span(["Signed in as ", html.Strong(id=SIGNED_IN_AS)], className="signed-in-as"),
            html.Span(" · ", className="signed-in-sep", **{"aria-hidden": "true"}),
            dcc.Input(type="hidden", name="csrf_token", value="", id=SIGN_OUT_TOKEN),
            html.Button("Sign out", type="submit", className="sign-out-button"),
        ],
        action="/logout",
        method="POST",
        id=SIGN_OUT_FORM,
        hidden=True,
        className="sign-out-form",
    )


SOURCES = (
    "Figures: City of York Safeguarding Children Partnership Annual Report 2023/24 (published December 2024); "
    "each figure cites its section. "
    "History and England comparisons: OHID Fingertips, Open Government Licence v3.0."
)


def app_shell(partnership: str) -> html.Div:
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            html.Header(
                [
                    html.Div(
                        html.Div(
                            [
                                html.A(partnership, href="/", className="site-name"),
                                html.Span("Children's indicators", className="site-product"),
                                html.Nav(
                                    html.Ul([html.Li(html.A(label, href=href, className="nav-link-item")) for href, label in NAV]),
                                    **{"aria-label": "Main"},
                                    className="site-nav",
                                ),
                            ],
                            className="site-header-inner container-xl",
                        ),
                        className="site-header-bar",
                    ),
                    # Inside the banner landmark (axe "region": no text outside a landmark), on a light strip.
                    html.Div(
                        [
                            html.P(["Data last updated: ", html.Span(id=ids.DATA_UPDATED)], className="data-updated"),
                            sign_out_form(),
                        ],
                        className="site-status container-xl",
                    ),
                ],
                className="site-header",
            ),
            html.Main(html.Div(id=ids.PAGE), id="main-content", className="container-xl", tabIndex="-1"),
            html.Footer(
                html.Div(
                    [
                        html.H2("Sources and licences", className="footer-title"),
                        html.P(SOURCES),
                        html.P(
                            "Where the report shows a figure only in a chart, its numbers are not known and "
                            "this dashboard says so rather than estimating them."
                        ),
                    ],
                    className="container-xl",
                ),
                className="site-footer",
            ),
        ]
    )
