"""Editor accounts, API tokens and failed sign-in attempts (plain SQLAlchemy Core, no Flask).

Passwords are stored only as werkzeug hashes (scrypt by default); API tokens
only as their SHA-256, so a copy of the database gives away neither.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from data.storage.tables import api_tokens, login_failures, login_limits, users

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
    return {"id": row["id"], "email": row["email"], "role": row["role"], "created_at": row["created_at"],
            "session_generation": row["session_generation"], "disabled_at": row["disabled_at"]}


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
    if row["disabled_at"] is not None:
        return None
    return _public(row)


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.email)).mappings().all()
    return [_public(row) for row in rows]


def end_sessions(engine: Engine, user_id) -> None:
    """Every session cookie made for this user so far is refused from now on (sign-out, disable)."""
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == int(user_id))
                     .values(session_generation=users.c.session_generation + 1))


def disable_user(engine: Engine, email: str) -> dict:
    """Refuse this account from now on: no sign-in, its sessions end, its tokens stop working. ValueError if unknown."""
    user = get_user_by_email(engine, email)
    if user is None:
        raise ValueError(f"there is no user {normalise_email(email)}")
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user["id"]).values(
            disabled_at=func.coalesce(users.c.disabled_at, _now()), session_generation=users.c.session_generation + 1))
    disabled = get_user(engine, user["id"])
    assert disabled is not None
    return disabled


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
            .where(api_tokens.c.token_sha256 == _token_digest(token), api_tokens.c.revoked_at.is_(None),
                   users.c.disabled_at.is_(None))
        ).mappings().first()
    return _public(row) if row else None


def list_tokens(engine: Engine) -> list[dict]:
    """Every token (never its value): id, email, created_at, revoked_at; oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(api_tokens.c.id, users.c.email, api_tokens.c.created_at, api_tokens.c.revoked_at)
            .join(users, api_tokens.c.user_id == users.c.id).order_by(api_tokens.c.id)
        ).mappings().all()
    return [dict(row) for row in rows]


def revoke_token(engine: Engine, token_id) -> dict:
    """Refuse the token with this id from now on (kept, marked revoked, for the record). ValueError if unknown."""
    with engine.begin() as conn:
        found = conn.execute(update(api_tokens).where(api_tokens.c.id == int(token_id))
                             .values(revoked_at=func.coalesce(api_tokens.c.revoked_at, _now()))).rowcount
    if not found:
        raise ValueError(f"there is no token {token_id}")
    return next(t for t in list_tokens(engine) if t["id"] == int(token_id))


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


# -- sign-in limits: atomic counters per address and per account ----------------------

def _bump(conn, key: str, now: datetime, window: timedelta) -> int:
    """Count one attempt under `key` in the current window and return the count, in one statement."""
    dialect = conn.engine.dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    expired = login_limits.c.window_start < now - window
    upsert = make(login_limits).values(key=key, window_start=now, count=1).on_conflict_do_update(
        index_elements=[login_limits.c.key],
        set_={"count": case((expired, 1), else_=login_limits.c.count + 1),
              "window_start": case((expired, now), else_=login_limits.c.window_start)},
    )
    return int(conn.execute(upsert.returning(login_limits.c.count)).scalar_one())


def limit_keys(address: str, email: str) -> list[str]:
    return [f"address:{(address or 'unknown')[:ADDRESS_LENGTH]}", f"account:{normalise_email(email)[:320]}"]


def reserve_login_attempt(engine: Engine, keys: list[str], limit: int, seconds: int) -> bool:
    """Count this attempt against every key; True if each is still within `limit` attempts in `seconds`. Counted
    before the password is checked, so N parallel attempts take N counts and only `limit` of them get through."""
    now, window = _now(), timedelta(seconds=seconds)
    with engine.begin() as conn:
        counts = [_bump(conn, key, now, window) for key in keys]
    return all(count <= limit for count in counts)


def release_login_attempt(engine: Engine, keys: list[str]) -> None:
    """Give back a reserved attempt that succeeded (only failures use up the limit)."""
    with engine.begin() as conn:
        conn.execute(update(login_limits).where(login_limits.c.key.in_(keys), login_limits.c.count > 0)
                     .values(count=login_limits.c.count - 1))
