"""The app's settings: every environment variable it reads, read in one place, once.

    settings = Settings.from_env()      # what `gunicorn app:server` and `python app.py` use
    app = create_app(settings)           # tests build their own: Settings(database_url=..., ...)

Nothing else in the project reads os.environ. The Procfile's own variables (PORT,
WEB_CONCURRENCY, WEB_TIMEOUT) are read by gunicorn's command line, not here;
PORT and HOST are also what `python app.py` binds to.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INSTANCE = ROOT / "instance"
DEFAULT_PARTNERSHIP = "City of York Safeguarding Children Partnership"


class SettingsError(RuntimeError):
    """An environment variable the app cannot use; the message names it and says what it wants."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"  # HOST: `python app.py` / `make run`
    port: int = 8050  # PORT: `python app.py` / `make run`, and the Procfile's bind port
    partnership_name: str = DEFAULT_PARTNERSHIP  # PARTNERSHIP_NAME: the page title and header
    database_url: str = ""  # DATABASE_URL: empty is SQLite at instance/cyscp.sqlite3 (WAL)
    instance: Path = field(default=DEFAULT_INSTANCE)  # INSTANCE_PATH: where the SQLite store and the development key live
    secret_key: str = ""  # SECRET_KEY: empty is a key made once into instance/secret_key (development only)
    production: bool = False  # APP_ENV=production: refuse to start without SECRET_KEY; Secure cookies
    force_https: bool = False  # FORCE_HTTPS: redirect to HTTPS
    trust_proxy: int = 0  # TRUST_PROXY: how many proxies' X-Forwarded-* headers to trust
    max_upload_mb: float = 50.0  # MAX_UPLOAD_MB: the largest upload (POST /api/uploads, /upload/start); bigger answers 413
    max_body_mb: float = 1.0  # MAX_BODY_MB: the largest body on every other route (callbacks, sign-in, the JSON API)
    upload_isolate_mb: float = 8.0  # UPLOAD_ISOLATE_MB: files this big run in a child process
    session_hours: float = 8.0  # SESSION_HOURS: how long an editor stays signed in
    stale_after_years: int = 2  # STALE_AFTER_YEARS: a latest value more years older than the reporting year is "out of date"
    fingertips_api_url: str = "https://fingertips.phe.org.uk/api/"  # FINGERTIPS_API_URL: the Fingertips API a fetch asks
    fingertips_timeout: float = 30.0  # FINGERTIPS_TIMEOUT: seconds a fetch waits for each Fingertips answer
    warm_versions: bool = True  # WARM_VERSIONS=0: no background build of the overview when a worker loads a version

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def text(name: str, default: str = "") -> str:
            return (env.get(name) or "").strip() or default

        return cls(
            host=text("HOST", cls.host),
            port=_number(env, "PORT", cls.port, int, "a port number (e.g. 8050)"),
            partnership_name=text("PARTNERSHIP_NAME", DEFAULT_PARTNERSHIP),
            database_url=text("DATABASE_URL"),
            instance=Path(text("INSTANCE_PATH", str(DEFAULT_INSTANCE))),
            secret_key=text("SECRET_KEY"),
            production=text("APP_ENV").lower() == "production",
            force_https=_flag(text("FORCE_HTTPS")),
            trust_proxy=_proxies(text("TRUST_PROXY")),
            max_upload_mb=_positive(env, "MAX_UPLOAD_MB", cls.max_upload_mb, "a number of megabytes"),
            max_body_mb=_positive(env, "MAX_BODY_MB", cls.max_body_mb, "a number of megabytes"),
            upload_isolate_mb=_number(env, "UPLOAD_ISOLATE_MB", cls.upload_isolate_mb, float, "a number of megabytes"),
            session_hours=_positive(env, "SESSION_HOURS", cls.session_hours, "a number of hours"),
            stale_after_years=_whole(env, "STALE_AFTER_YEARS", cls.stale_after_years),
            fingertips_api_url=_api_url(text("FINGERTIPS_API_URL", cls.fingertips_api_url)),
            fingertips_timeout=_positive(env, "FINGERTIPS_TIMEOUT", cls.fingertips_timeout, "a number of seconds"),
            warm_versions=_on_unless_off(env, "WARM_VERSIONS"),
        )

    @property
    def cookie_secure(self) -> bool:
        """Always-Secure cookies under FORCE_HTTPS or in production (otherwise Secure only on HTTPS requests)."""
        return self.force_https or self.production

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_body_bytes(self) -> int:
        """The body limit of every route but the uploads (never more than the upload limit)."""
        return min(int(self.max_body_mb * 1024 * 1024), self.max_upload_bytes)

    @property
    def isolate_bytes(self) -> int:
        return int(self.upload_isolate_mb * 1024 * 1024)


def _flag(raw: str) -> bool:
    return raw.lower() in ("1", "true", "yes", "on")


def _on_unless_off(env: Mapping[str, str], name: str) -> bool:
    """A switch that is on unless set to 0/false/no/off (empty is on)."""
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1 or 0 (on or off), not {env.get(name)!r}")


def _proxies(raw: str) -> int:
    if raw.lower() in ("", "0", "false", "no", "off"):
        return 0
    if raw.lower() in ("true", "yes", "on"):
        return 1
    try:
        return max(int(raw), 0)
    except ValueError:
        raise SettingsError(f"TRUST_PROXY must be a number of proxies (e.g. 1), not {raw!r}") from None


def _api_url(raw: str) -> str:
    """An http(s) URL ending in "/" (the client appends endpoint paths to it)."""
    if not raw.lower().startswith(("http://", "https://")):
        raise SettingsError(f"FINGERTIPS_API_URL must be an http(s) URL such as https://fingertips.phe.org.uk/api/, not {raw!r}")
    return raw if raw.endswith("/") else raw + "/"


def _number(env: Mapping[str, str], name: str, default, kind, wanted: str):
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return kind(float(raw)) if kind is float else kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {wanted}, not {raw!r}") from None


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    value = _number(env, name, default, int, "a whole number of years (e.g. 2)")
    if value < 0:
        raise SettingsError(f"{name} must be 0 or more, not {env.get(name)!r}")
    return value


def _positive(env: Mapping[str, str], name: str, default: float, wanted: str) -> float:
    value = _number(env, name, default, float, wanted)
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {env.get(name)!r}")
    return value
