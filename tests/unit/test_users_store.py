"""Users, tokens and sign-in failures in the store, on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from data.storage import users
from data.storage.store import Store
from data.storage.tables import api_tokens
from data.storage.tables import users as users_table


@pytest.fixture
def engine(store_url):
    store = Store(store_url)
    store.setup()
    yield store.engine
    store.dispose()


def test_usr001_passwords_are_hashed_and_checked(engine):
    users.create_user(engine, "Ed@Example.org", "correct horse battery", "editor")
    with engine.connect() as conn:
        stored = conn.execute(select(users_table.c.password_hash)).scalar()
    assert "correct horse battery" not in stored and stored.split(":")[0] in ("scrypt", "pbkdf2")
    assert users.authenticate(engine, "ed@example.org", "correct horse battery")["role"] == "editor"
    assert users.authenticate(engine, "ed@example.org", "wrong") is None
    with pytest.raises(ValueError):
        users.create_user(engine, "ed@example.org", "another password", "editor")


def test_usr002_tokens_are_stored_hashed_and_resolve_to_their_user(engine):
    users.create_user(engine, "ed@example.org", "correct horse battery", "editor")
    token = users.create_token(engine, "ed@example.org")
    with engine.connect() as conn:
        stored = conn.execute(select(api_tokens.c.token_sha256)).scalar()
    assert stored == hashlib.sha256(token.encode()).hexdigest() and stored != token
    assert users.user_for_token(engine, token)["email"] == "ed@example.org"
    assert users.user_for_token(engine, token + "x") is None


def test_usr003_failures_are_counted_per_address(engine):
    for _ in range(3):
        users.record_login_failure(engine, "10.0.0.1")
    users.record_login_failure(engine, "10.0.0.2")
    assert users.recent_failures(engine, "10.0.0.1") == 3
    assert users.recent_failures(engine, "10.0.0.2") == 1
    users.clear_failures(engine, "10.0.0.1")
    assert users.recent_failures(engine, "10.0.0.1") == 0
