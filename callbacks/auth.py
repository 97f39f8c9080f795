"""Editor sign-in: sessions (Flask-Login), API tokens, the login/logout routes, CLI, cookie settings.

    register_auth(app, store)     # in create_app, before the callbacks
    @editor_required              # on Flask views (JSON 401 unless an editor)
    current_editor()              # the signed-in editor's email, or None

GET /login is a Dash page (layouts/login.py); POST /login and /logout are Flask routes here.
Dash callbacks whose outputs start with PROTECTED_CALLBACK_OUTPUTS are refused (403) to anyone
but an editor, before Dash runs them.

CSRF: a callback post must be application/json and well-formed (else 400); a protected callback and any
POST/PUT/PATCH/DELETE under /api/ from a cookie-signed-in editor must carry this site's Origin (or Referer),
else 403, and an /api/ body must be JSON, multipart or empty (else 415). Requests with `Authorization: Bearer`
are exempt (no cross-site page can add that header). Native forms (/login, /logout, /upload/start) carry the
session's token (login_csrf_token). Sign-out (POST /logout) and `users disable` bump the user's
session_generation, so a copy of an earlier session cookie is refused on the server too.

    flask --app app users create EMAIL [--role editor|viewer]   # password from a prompt or one stdin line
    flask --app app tokens create EMAIL                         # prints a new API token once
    flask --app app users list | users disable EMAIL | tokens list | tokens revoke ID

Environment: SECRET_KEY (required when APP_ENV=production; otherwise kept in instance/secret_key),
FORCE_HTTPS=1 (Secure cookies, https redirects), TRUST_PROXY=N (N proxies in front: honour
X-Forwarded-*), MAX_UPLOAD_MB (largest upload body, default 50), MAX_BODY_MB (largest body on any other
route, default 1), SESSION_HOURS (default 8).
"""
from __future__ import annotations

import functools
import hmac
import io
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import click
from dash import Input, Output
from flask import Response, current_app, has_request_context, jsonify, redirect, request, session
from flask.cli import AppGroup
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from callbacks.context import EXTENSION_KEY, SETTINGS_KEY
from data.settings import Settings
from data.storage import users as accounts
from layouts.ids import URL
from layouts.shell import SIGN_OUT_FORM, SIGN_OUT_TOKEN, SIGNED_IN_AS

STORE_KEY = "cyscp_store"
CSRF_KEY = "login_csrf"
LOGIN_PATH = "/login"
DEFAULT_NEXT = "/upload"
MAX_FAILURES = 5  # sign-in attempts from one address ...
MAX_ACCOUNT_FAILURES = 10  # ... or for one account (from any number of addresses) ...
FAILURE_WINDOW = 60  # ... within this many seconds, then 429 until the window ends (successes are given back)
GENERATION_KEY = "_gen"  # the user's session_generation when this session was made
MAX_PASSWORD = 1024  # longer passwords are refused before hashing
MIN_CLI_PASSWORD = 8
NOT_EDITOR = {"error": "sign in as an editor"}
# The only routes whose bodies may be as large as MAX_UPLOAD_MB; every other body is capped at MAX_BODY_MB.
UPLOAD_ROUTES = frozenset({("POST", "/api/uploads"), ("POST", "/upload/start")})
# Paths whose 413 answers as JSON {"error", "status"} (the JSON API and Dash's callback routes).
JSON_413_PREFIXES = ("/api/", "/_dash-")

# Dash callbacks writing to components whose id starts with one of these need an editor.
# A pattern-matching (dict) id counts when any of its string values other than "index" does.
PROTECTED_CALLBACK_OUTPUTS: tuple[str, ...] = ("upload-", "versions-", "notes-")

_STORE_LOCK = threading.Lock()


def load_or_create_secret_key(folder: Path) -> str:
    """The development key in folder/secret_key, made once (mode 0600) and shared by every worker."""
    path = Path(folder) / "secret_key"
    for _ in range(50):
        try:
            key = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            break
        if key:
            return key
        time.sleep(0.02)  # another worker is writing it
    else:
        raise RuntimeError(f"{path} is empty: delete it or set SECRET_KEY")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic and never overwrites: the first worker's key wins
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    return path.read_text(encoding="ascii").strip()


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, Secure when configured so or when this request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def configure_server(server, settings: Settings) -> None:
    """Secret key, cookie flags, proxy handling and the request-size limit (raises when production lacks SECRET_KEY)."""
    secret = settings.secret_key
    if not secret:
        if settings.production:
            raise RuntimeError("APP_ENV=production but SECRET_KEY is not set: refusing to start "
                               "(set SECRET_KEY to a long random string shared by every worker)")
        secret = load_or_create_secret_key(settings.instance)
    secure = settings.cookie_secure
    server.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        PREFERRED_URL_SCHEME="https" if secure else "http",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,  # the largest any route allows; _limit_body narrows it
    )
    server.session_interface = _SessionInterface()
    proxies = settings.trust_proxy
    if proxies:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)

    def _limit_body():
        """Each route's body limit, before anything reads the body: MAX_UPLOAD_MB for the upload routes,
        MAX_BODY_MB for every other one. A declared Content-Length over it is refused here; a chunked body
        (no length) is read here, at most limit + 1 bytes, and refused past the limit (on the upload routes
        werkzeug's stream stops reading at MAX_UPLOAD_MB)."""
        limit = settings.max_upload_bytes if (request.method, request.path) in UPLOAD_ROUTES else settings.max_body_bytes
        request.max_content_length = limit
        length = request.content_length
        if length is not None and length > limit:
            raise RequestEntityTooLarge()
        if length is None and limit < settings.max_upload_bytes and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            # werkzeug would stop reading at the limit and hand over the cut body (a 400 later, not a 413):
            # read at most limit + 1 bytes here, refuse more, and give the rest of the app a sized body.
            environ = request.environ
            stream, data = environ["wsgi.input"], bytearray()
            while len(data) <= limit:
                chunk = stream.read(min(64 * 1024, limit + 1 - len(data)))
                if not chunk:
                    break
                data += chunk
            if len(data) > limit:
                raise RequestEntityTooLarge()
            environ["wsgi.input"] = io.BytesIO(bytes(data))
            environ["CONTENT_LENGTH"] = str(len(data))
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)  # a sized body now (werkzeug ignores a length beside "chunked")
            request.__dict__.pop("content_length", None)  # read again from the new header

    # First of all before-request hooks (Dash's, the callback guard, Flask-Login's loaders come later).
    server.before_request_funcs.setdefault(None, []).insert(0, _limit_body)

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(exc):
        limit = (request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]) / (1024 * 1024)
        if request.path.startswith(JSON_413_PREFIXES):
            return jsonify({"error": f"the request is larger than the {limit:g} MB limit", "status": 413}), 413
        return _plain(f"The request is larger than the {limit:g} MB limit.", 413)


# -- the store -----------------------------------------------------------------------

def auth_store(app=None):
    """The Store holding users (the app's data store; for a store-less test app, the default one, made on first use)."""
    app = app or current_app
    store = app.extensions.get(STORE_KEY)
    if store is None:
        with _STORE_LOCK:
            store = app.extensions.get(STORE_KEY)
            if store is None:
                from data.storage.migrate import upgrade
                from data.storage.store import Store

                settings = app.extensions[SETTINGS_KEY]
                store = Store(settings.database_url or None, instance=settings.instance)
                upgrade(store.engine)
                app.extensions[STORE_KEY] = store
    return store


def _engine():
    return auth_store().engine


# -- users in requests ---------------------------------------------------------------

class Account(UserMixin):
    def __init__(self, row: dict):
        self.id = row["id"]
        self.email = row["email"]
        self.role = row["role"]

    @property
    def is_editor(self) -> bool:
        return self.role == "editor"


def current_editor() -> str | None:
    """The email of the editor signed in to this request (session or Bearer token), else None."""
    if not has_request_context() or not hasattr(current_app, "login_manager"):
        return None
    user = current_user
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_editor", False):
        return None
    return user.email


def editor_required(view):
    """Flask view decorator: 401 JSON {"error": "sign in as an editor"} unless an editor is signed in."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_editor() is None:
            return jsonify(NOT_EDITOR), 401
        return view(*args, **kwargs)

    return wrapped


def login_csrf_token() -> str:
    """The sign-in form's CSRF token, kept in the session (made on first call)."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def csrf_token_valid(sent) -> bool:
    """Whether `sent` (a form's csrf_token) matches this session's login_csrf_token(); for any same-site form post."""
    expected = session.get(CSRF_KEY)
    return isinstance(expected, str) and bool(expected) and isinstance(sent, str) and hmac.compare_digest(expected.encode(), sent.encode())


def safe_next(value, default: str = DEFAULT_NEXT) -> str:
    """`value` if it is a same-site path ("/upload?x=1"), else `default` (no "//host", schemes or backslashes)."""
    if not isinstance(value, str):
        return default
    value = value.strip()
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
        or len(value) > 2000
    ):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    if parts.path.rstrip("/") in (LOGIN_PATH, "/logout"):
        return default
    return value


def _plain(message: str, status: int, **headers) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain", headers=headers)


def login_post():
    form = request.form
    next_url = safe_next(form.get("next"))
    if not csrf_token_valid(form.get("csrf_token")):
        return _plain("The sign-in form has expired or was not sent from this site. Go back, reload the page and try again.", 400)
    address = request.remote_addr or "unknown"
    engine = _engine()
    email = form.get("email") or ""
    address_key, account_key = accounts.limit_keys(address, email)
    # Counted before the password is checked (one atomic statement per key), so parallel guesses cannot all
    # read "under the limit"; a success gives its count back.
    within = (accounts.reserve_login_attempt(engine, [address_key], MAX_FAILURES, FAILURE_WINDOW)
              & accounts.reserve_login_attempt(engine, [account_key], MAX_ACCOUNT_FAILURES, FAILURE_WINDOW))
    if not within:
        return _plain("Too many failed sign-in attempts. Wait a minute, then try again.", 429, **{"Retry-After": str(FAILURE_WINDOW)})
    password = form.get("password") or ""
    user = accounts.authenticate(engine, email, password) if len(password) <= MAX_PASSWORD else None
    if user is None:
        accounts.record_login_failure(engine, address)  # the log of failures; the limit is the counters above
        return redirect(f"{LOGIN_PATH}?{urlencode({'error': '1', 'next': next_url})}", 303)
    accounts.release_login_attempt(engine, [address_key, account_key])
    # A new session for the signed-in user: nothing set before sign-in (a planted cookie) carries over.
    session.clear()
    login_user(Account(user))
    session[GENERATION_KEY] = user["session_generation"]  # sign-out bumps the user's: this cookie is then refused
    # The signed-in pages' form token, made now: made lazily, the page's parallel callbacks (the upload form, the
    # sign-out form) could each make one and each set a cookie, and only the last would match.
    session[CSRF_KEY] = secrets.token_urlsafe(32)
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
    return redirect(next_url, 303)


def logout():
    """POST /logout with the page's csrf_token (the sign-out form in the header): a cross-site page cannot sign
    an editor out, nor can a link."""
    if not csrf_token_valid(request.form.get("csrf_token")):
        return _plain("The sign-out form has expired or was not sent from this site. Go back, reload the page and try again.", 400)
    user_id = session.get("_user_id")
    if user_id is not None and str(user_id).isdigit():
        accounts.end_sessions(_engine(), int(user_id))  # a copy of this cookie (and every other session of the user) is refused
    logout_user()
    session.clear()
    return redirect("/", 303)


def _register_sign_out(app) -> None:
    """The header's sign-out form (layouts/shell.py) is static; this fills in its token and shows it to signed-in users."""

    @app.callback(Output(SIGN_OUT_TOKEN, "value"), Output(SIGN_OUT_FORM, "hidden"), Output(SIGNED_IN_AS, "children"),
                  Input(URL, "pathname"))
    def _sign_out_form(_pathname):
        if not _cookie_user_signed_in():
            return "", True, ""
        return login_csrf_token(), False, getattr(current_user, "email", "")


# -- guarding Dash callbacks ---------------------------------------------------------

def _id_is_protected(component_id) -> bool:
    if isinstance(component_id, str):
        return component_id.startswith(PROTECTED_CALLBACK_OUTPUTS)
    if isinstance(component_id, dict):
        return any(isinstance(v, str) and k != "index" and v.startswith(PROTECTED_CALLBACK_OUTPUTS)
                   for k, v in component_id.items())
    return False


def _spec_is_protected(spec) -> bool:
    """One entry of the request's "outputs": {"id": ..., "property": ...}, or a list of them (ALL/ALLSMALLER)."""
    if isinstance(spec, list):
        return any(_spec_is_protected(s) for s in spec)
    return isinstance(spec, dict) and _id_is_protected(spec.get("id"))


def _quoted_prefix(text: str) -> bool:
    return any('"' + prefix in text for prefix in PROTECTED_CALLBACK_OUTPUTS)


def _output_string_is_protected(output: str) -> bool:
    """The request's "output": "id.prop" or "..id1.prop1...id2.prop2.."; dict ids appear as JSON."""
    text = output[2:-2] if output.startswith("..") and output.endswith("..") and len(output) > 4 else output
    for part in text.split("..."):
        if part.startswith("{"):
            try:
                component_id = json.loads(part[: part.rindex("}") + 1])
            except ValueError:
                # A dict id with "..." in a value was cut in two: judge its quoted values instead.
                return _quoted_prefix(output)
        elif any(c in part for c in '{}"'):
            return _quoted_prefix(output)
        else:
            component_id = part.rsplit(".", 1)[0]
        if _id_is_protected(component_id):
            return True
    return False


def callback_is_protected(body: dict) -> bool:
    output, outputs = body.get("output"), body.get("outputs")
    return (isinstance(output, str) and _output_string_is_protected(output)) or _spec_is_protected(outputs)


MAX_CALLBACK_DEPTH = 64  # nesting of a callback body's JSON; Dash's own are a dozen deep at most
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = frozenset({"application/json"})
API_BODY_TYPES = frozenset({"", "application/json", "multipart/form-data"})  # "": no body (publish, restore)
CROSS_SITE = {"error": "cross-site request refused: send it from this site's pages or with an API token"}
MALFORMED = {"error": "malformed callback request"}


def _bearer_sent() -> bool:
    """Whether the request carries `Authorization: Bearer ...`: a header no cross-site page can make a browser send."""
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _origin_of(url: str) -> str | None:
    """'scheme://host[:port]' of an absolute http(s) URL, lower case, default ports dropped; None otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 80 if parts.scheme == "http" else 443
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")


def same_origin_request() -> bool:
    """Whether this request's Origin (or, without one, its Referer) is this site (as Flask sees it, behind
    TRUST_PROXY too). A request with neither, or with `Origin: null`, is not."""
    here = _origin_of(request.host_url)
    origin = request.headers.get("Origin")
    if origin is not None:
        return here is not None and _origin_of(origin) == here
    referer = request.headers.get("Referer")
    return bool(referer) and here is not None and _origin_of(referer) == here


def _depth_within(value, limit: int) -> bool:
    """Whether nested lists/dicts in `value` go no deeper than `limit` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in items)
    return True


def _is_spec(item) -> bool:
    """One {"id": str | dict, "property": str[, "value": ...]} of a callback body."""
    return isinstance(item, dict) and isinstance(item.get("id"), (str, dict)) and isinstance(item.get("property"), str)


def _specs_ok(value, allow_single: bool) -> bool:
    """A list of specs or of lists of specs (pattern-matching ALL); `allow_single`: a lone spec too (outputs)."""
    if allow_single and isinstance(value, dict):
        return _is_spec(value)
    if not isinstance(value, list):
        return False
    return all(_is_spec(item) or (isinstance(item, list) and all(_is_spec(i) for i in item)) for item in value)


def _parse_callback_body(raw: bytes) -> dict | None:
    """The body as a dict with a string "output", no deeper than MAX_CALLBACK_DEPTH, else None."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("output"), str) or not _depth_within(body, MAX_CALLBACK_DEPTH):
        return None
    return body


def _callback_body_ok(body: dict, callback_map) -> bool:
    """Whether the body names a registered callback and its outputs, inputs, state and changedPropIds have Dash's shapes."""
    if callback_map is not None and body["output"] not in callback_map:
        return False
    for key, single in (("outputs", True), ("inputs", False), ("state", False)):
        if key in body and not _specs_ok(body[key], single):
            return False
    changed = body.get("changedPropIds", [])
    return isinstance(changed, list) and all(isinstance(c, str) for c in changed)


def _cookie_user_signed_in() -> bool:
    user = current_user
    return user is not None and bool(getattr(user, "is_authenticated", False))


def _guard_requests(app, update_path: str):
    """Before every request: Dash callback bodies must be well-formed JSON (else 400) and protected outputs need an
    editor (403); cookie-authenticated state changes need this site's Origin/Referer (403) and, under /api/, a JSON
    or multipart body or none (415). Requests with a Bearer token are exempt from the origin checks."""

    def guard():
        if request.method not in UNSAFE_METHODS:
            return None
        if request.path == update_path:
            if request.mimetype not in JSON_TYPES:
                return jsonify(MALFORMED), 400
            body = _parse_callback_body(request.get_data(cache=True))
            if body is None:
                return jsonify(MALFORMED), 400
            if callback_is_protected(body):
                if current_editor() is None:
                    return jsonify(NOT_EDITOR), 403
                if not _bearer_sent() and not same_origin_request():
                    return jsonify(CROSS_SITE), 403
            if not _callback_body_ok(body, getattr(app, "callback_map", None)):
                return jsonify(MALFORMED), 400
            return None
        if request.path.startswith("/api/") and not _bearer_sent() and current_editor() is not None:
            if not same_origin_request():
                return jsonify({**CROSS_SITE, "status": 403}), 403
            if request.mimetype not in API_BODY_TYPES:
                return jsonify({"error": "send JSON (application/json) or a multipart form", "status": 415}), 415
        return None

    return guard


# -- command line --------------------------------------------------------------------

def _stdin_is_tty() -> bool:
    # sys.stdin, not click.get_text_stream (deprecated in Click 8.5); CliRunner swaps sys.stdin in tests.
    return sys.stdin.isatty()


def _read_password() -> str:
    """Prompted twice (hidden) on a terminal; otherwise the first line of stdin (scripts, pipes)."""
    if _stdin_is_tty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _cli_groups() -> list[AppGroup]:
    users_cli = AppGroup("users", help="Editor and viewer accounts.")
    tokens_cli = AppGroup("tokens", help="API tokens (Authorization: Bearer TOKEN).")

    @users_cli.command("create")
    @click.argument("email")
    @click.option("--role", type=click.Choice(accounts.ROLES), default="editor", show_default=True)
    def users_create(email: str, role: str) -> None:
        """Add an account; the password is prompted for (or read as one line from stdin)."""
        password = _read_password()
        if len(password) < MIN_CLI_PASSWORD:
            raise click.ClickException(f"the password must be at least {MIN_CLI_PASSWORD} characters")
        try:
            user = accounts.create_user(auth_store().engine, email, password, role=role)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"created {user['role']} {user['email']}")

    @tokens_cli.command("create")
    @click.argument("email")
    def tokens_create(email: str) -> None:
        """Print a new API token for EMAIL (shown once; only its SHA-256 is stored)."""
        try:
            token = accounts.create_token(auth_store().engine, email)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(token)

    @users_cli.command("list")
    def users_list() -> None:
        """Every account: email, role, created, and whether disabled."""
        for user in accounts.list_users(auth_store().engine):
            state = f"disabled {user['disabled_at']:%Y-%m-%d %H:%M}" if user["disabled_at"] else "active"
            click.echo(f"{user['email']}\t{user['role']}\tcreated {user['created_at']:%Y-%m-%d %H:%M}\t{state}")

    @users_cli.command("disable")
    @click.argument("email")
    def users_disable(email: str) -> None:
        """Refuse EMAIL from now on: no sign-in, its sessions end, its tokens stop working."""
        try:
            user = accounts.disable_user(auth_store().engine, email)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"disabled {user['email']}")

    @tokens_cli.command("list")
    def tokens_list() -> None:
        """Every API token: its id, owner, created, and whether revoked (never the token itself)."""
        for token in accounts.list_tokens(auth_store().engine):
            state = f"revoked {token['revoked_at']:%Y-%m-%d %H:%M}" if token["revoked_at"] else "active"
            click.echo(f"{token['id']}\t{token['email']}\tcreated {token['created_at']:%Y-%m-%d %H:%M}\t{state}")

    @tokens_cli.command("revoke")
    @click.argument("token_id", type=int)
    def tokens_revoke(token_id: int) -> None:
        """Refuse the token TOKEN_ID (from `tokens list`) from now on."""
        try:
            token = accounts.revoke_token(auth_store().engine, token_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"revoked token {token['id']} of {token['email']}")

    return [users_cli, tokens_cli]


# -- wiring --------------------------------------------------------------------------

def register_auth(app, store, settings: Settings) -> None:
    """Sessions, login routes, the callback guard and the CLI on app.server; `store` holds the users
    (None: a store made from `settings` on first use)."""
    server = app.server
    configure_server(server, settings)
    if store is None:
        store = getattr(server.extensions.get(EXTENSION_KEY), "store", None)
    server.extensions[STORE_KEY] = store  # None: the default store, opened on first use

    manager = LoginManager()
    manager.init_app(server)
    manager.session_protection = "basic"

    @manager.user_loader
    def _load_user(user_id):
        row = accounts.get_user(_engine(), user_id)
        if row is None or row["disabled_at"] is not None or session.get(GENERATION_KEY) != row["session_generation"]:
            return None  # signed out (or disabled) since this cookie was made
        return Account(row)

    @manager.request_loader
    def _load_from_bearer(req):
        scheme, _, token = (req.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        row = accounts.user_for_token(_engine(), token.strip())
        return Account(row) if row else None

    @manager.unauthorized_handler
    def _unauthorized():
        return jsonify(NOT_EDITOR), 401

    server.add_url_rule(LOGIN_PATH, "auth_login", login_post, methods=["POST"])
    server.add_url_rule("/logout", "auth_logout", logout, methods=["POST"])
    server.before_request(_guard_requests(app, app.config.routes_pathname_prefix + "_dash-update-component"))
    _register_sign_out(app)
    for group in _cli_groups():
        server.cli.add_command(group)


__all__ = [
    "PROTECTED_CALLBACK_OUTPUTS", "Account", "auth_store", "callback_is_protected", "csrf_token_valid", "current_editor",
    "editor_required", "login_csrf_token", "register_auth", "safe_next",
]
