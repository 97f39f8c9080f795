"""Editor accounts, API tokens and failed sign-in attempts (plain SQLAlchemy Core, no Flask).

Passwords are stored only as werkzeug hashes (scrypt by default); API tokens
only as their SHA-256, so a copy of the database gives away neither.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from data.storage.tables import api_tokens, login_failures, users

ROLES = ("editor", "viewer")
ADDRESS_LENGTH = 64  # login_failures.address
KEEP_FAILURES = timedelta(days=1)  # older failure rows are pruned as new ones are written

# Checked when the email is unknown, so a miss costs about as much as a wrong password.
_DUMMY_HASH: str | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _public(row) -> dict:
    """A user row without its password hash."""
    return {"id": row["id"], "email": row["email"], "role": row["role"], "created_at": row["created_at"]}


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


# -- users ------------------------------------------------------------------------

def create_user(engine: Engine, email: str, password: str, role: str = "editor") -> dict:
    """Add an account; ValueError for a bad email, an empty password, an unknown role or a taken email."""
    email = normalise_email(email)
    if not email or "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise ValueError(f"not an email address: {email!r}")
    if not password:
        raise ValueError("the password is empty")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    password_hash = generate_password_hash(password)
    try:
        with engine.begin() as conn:
            if conn.execute(select(users.c.id).where(users.c.email == email)).first() is not None:
                raise ValueError(f"there is already a user {email}")
            key = conn.execute(insert(users).values(
                email=email, password_hash=password_hash, role=role, created_at=_now(),
            )).inserted_primary_key
    except IntegrityError:  # two creates at once: the unique index has the last word
        raise ValueError(f"there is already a user {email}") from None
    assert key is not None  # an INSERT of one row always has its key
    user = get_user(engine, key[0])
    assert user is not None  # just committed
    return user


def get_user(engine: Engine, user_id) -> dict | None:
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return _public(row) if row else None


def get_user_by_email(engine: Engine, email: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == normalise_email(email))).mappings().first()
    return _public(row) if row else None


def authenticate(engine: Engine, email: str, password: str) -> dict | None:
    """The user for this email and password, else None (an unknown email still costs one hash check)."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == normalise_email(email))).mappings().first()
    if row is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not password or not check_password_hash(row["password_hash"], password):
        return None
    return _public(row)


# -- API tokens -------------------------------------------------------------------

def create_token(engine: Engine, email: str) -> str:
    """A new API token for this user; only its SHA-256 is kept, so show it once."""
    user = get_user_by_email(engine, email)
    if user is None:
        raise ValueError(f"there is no user {normalise_email(email)}")
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(insert(api_tokens).values(user_id=user["id"], token_sha256=_token_digest(token), created_at=_now()))
    return token


def user_for_token(engine: Engine, token: str | None) -> dict | None:
    if not token or not isinstance(token, str) or len(token) > 512:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(users).join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_sha256 == _token_digest(token))
        ).mappings().first()
    return _public(row) if row else None


# -- failed sign-ins (rate limiting) ----------------------------------------------

def record_login_failure(engine: Engine, address: str) -> None:
    now = _now()
    with engine.begin() as conn:
        conn.execute(delete(login_failures).where(login_failures.c.at < now - KEEP_FAILURES))
        conn.execute(insert(login_failures).values(address=(address or "unknown")[:ADDRESS_LENGTH], at=now))


def recent_failures(engine: Engine, address: str, seconds: int = 60) -> int:
    since = _now() - timedelta(seconds=seconds)
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(login_failures)
            .where(and_(login_failures.c.address == (address or "unknown")[:ADDRESS_LENGTH], login_failures.c.at >= since))
        ).scalar() or 0


def clear_failures(engine: Engine, address: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(login_failures).where(login_failures.c.address == (address or "unknown")[:ADDRESS_LENGTH]))
