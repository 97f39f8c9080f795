"""The sign-in page: a native form posted to POST /login (callbacks/auth.py), GOV.UK style.

Rendered by the pathname callback as login_page(error, next_url, csrf_token) for /login?error=1&next=/upload;
the caller checks next_url (callbacks.auth.safe_next) and supplies the session's CSRF token.
"""
from __future__ import annotations

from dash import dcc, html

ERROR_TEXT = "Enter a correct email address and password"


def _field(label: str, control_id: str, control, error: str | None) -> html.Div:
    # dcc.Input takes no aria-* props, so the error sits inside the label: it is part of the field's name.
    children = [label]
    if error:
        children.append(html.Span(["Error: ", error], className="d-block text-danger fw-bold login-field-error"))
    return html.Div(
        [html.Label(children, htmlFor=control_id, className="form-label"), control],
        className="mb-3" + (" login-field-has-error border-start border-4 border-danger ps-3" if error else ""),
    )


def login_page(error: str | None, next_url: str, csrf_token: str) -> html.Div:
    """The sign-in form; `error` (any non-empty value) shows the failed sign-in message.
    `next_url` is a same-site path already checked by the caller."""
    summary = None
    if error:
        summary = html.Div(
            [
                html.H2("There is a problem", className="h4", id="login-error-title"),
                html.Ul(html.Li(html.A(ERROR_TEXT, href="#login-email")), className="list-unstyled mb-0"),
            ],
            id="login-error-summary",
            className="login-error-summary border border-4 border-danger p-3 mb-4",
            role="alert",
            tabIndex="-1",
            **{"aria-labelledby": "login-error-title"},
        )
    field_error = ERROR_TEXT if error else None
    form = html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token, id="login-csrf"),
            dcc.Input(type="hidden", name="next", value=next_url, id="login-next"),
            _field(
                "Email address", "login-email",
                dcc.Input(id="login-email", type="email", name="email", autoComplete="username", spellCheck=False,
                          required=True, maxLength=320, className="form-control"),
                field_error,
            ),
            _field(
                "Password", "login-password",
                dcc.Input(id="login-password", type="password", name="password", autoComplete="current-password",
                          required=True, maxLength=1024, className="form-control"),
                None,
            ),
            html.Button("Sign in", type="submit", id="login-submit", className="btn btn-success fw-bold"),
        ],
        method="post",
        action="/login",
        id="login-form",
        className="login-form",
        style={"maxWidth": "30rem"},
    )
    return html.Div(
        [
            summary,
            html.H1("Sign in"),
            html.P("Sign in to upload data and manage versions. Only editors can make changes.", className="lead"),
            form,
        ],
        className="login-page",
    )
