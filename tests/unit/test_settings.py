"""Settings (data/settings.py): every environment variable read in one place; importing app.py touches nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from data.settings import DEFAULT_PARTNERSHIP, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_set001_defaults_from_an_empty_environment():
    s = Settings.from_env({})
    assert s == Settings()
    assert (s.host, s.port, s.partnership_name, s.database_url) == ("127.0.0.1", 8050, DEFAULT_PARTNERSHIP, "")
    assert (s.production, s.force_https, s.cookie_secure, s.trust_proxy) == (False, False, False, 0)
    assert s.max_upload_bytes == 50 * 2**20 and s.isolate_bytes == 8 * 2**20


def test_set002_every_variable_is_read():
    s = Settings.from_env({
        "HOST": "0.0.0.0", "PORT": "8080", "PARTNERSHIP_NAME": "Elsewhere Partnership",
        "DATABASE_URL": "postgresql://u@h/db", "INSTANCE_PATH": "/srv/cyscp", "SECRET_KEY": " k ", "APP_ENV": "Production",
        "FORCE_HTTPS": "yes", "TRUST_PROXY": "2", "MAX_UPLOAD_MB": "1.5", "UPLOAD_ISOLATE_MB": "0",
        "SESSION_HOURS": "0.5",
    })
    assert (s.host, s.port, s.partnership_name, s.database_url, s.secret_key) == (
        "0.0.0.0", 8080, "Elsewhere Partnership", "postgresql://u@h/db", "k")
    assert str(s.instance) == "/srv/cyscp"
    assert (s.production, s.force_https, s.cookie_secure, s.trust_proxy) == (True, True, True, 2)
    assert (s.max_upload_bytes, s.isolate_bytes, s.session_hours) == (int(1.5 * 2**20), 0, 0.5)


@pytest.mark.parametrize("name, value", [
    ("PORT", "eighty"), ("TRUST_PROXY", "some"), ("MAX_UPLOAD_MB", "lots"), ("MAX_UPLOAD_MB", "0"),
    ("MAX_UPLOAD_MB", "-3"), ("UPLOAD_ISOLATE_MB", "big"), ("SESSION_HOURS", "-1"),
])
def test_set003_a_bad_value_names_its_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_set004_nothing_outside_settings_reads_the_environment():
    readers = []
    for folder in ("data", "layouts", "callbacks"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path.name != "settings.py" and ("os.environ" in text or "getenv(" in text):
                readers.append(str(path.relative_to(ROOT)))
    app_text = (ROOT / "app.py").read_text(encoding="utf-8")
    assert readers == [] and "os.environ" not in app_text


def test_set005_importing_app_builds_nothing_until_server_is_asked_for(tmp_path):
    """`import app` leaves the store alone; `app.server` (what gunicorn asks for) builds it from the environment."""
    db = tmp_path / "store.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "SECRET_KEY": "settings-test-" + "s" * 32}
    script = (
        "import os, sys; import app; "
        f"assert not os.path.exists({str(db)!r}), 'import app made the store'; "
        "server = app.server; "
        f"assert os.path.exists({str(db)!r}); "
        "assert app.server is server and app.app.server is server; "
        "print(server.config['PARTNERSHIP_NAME'])"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == DEFAULT_PARTNERSHIP


def test_set006_flask_cli_finds_the_app(tmp_path):
    """`flask --app app users ...` (README) finds the lazily built server."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}", "SECRET_KEY": "cli-test-" + "c" * 32}
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), "--app", "app", "users", "--help"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "create" in done.stdout
