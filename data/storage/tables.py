"""The store's tables (SQLAlchemy Core). Changes go through a migration in data/storage/migrations/.

Versioning: an observation or indicator row is never updated in place. A row
belongs to versions valid_from <= v < valid_to (valid_to NULL = still
current). A publish closes changed rows and inserts their new values in one
transaction, so a reader sees the old version or the new one, never a mix.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

data_versions = Table(
    "data_versions", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(320), nullable=False),
    Column("action", String(20), nullable=False),  # seed | publish | restore | catalogue (an edit of the catalogue)
    Column("file_name", Text),
    Column("sha256", String(64)),
    Column("restored_from", Integer),
    Column("rows_added", Integer, nullable=False, default=0),
    Column("rows_changed", Integer, nullable=False, default=0),
    Column("rows_unchanged", Integer, nullable=False, default=0),
    Column("rows_removed", Integer, nullable=False, default=0),
    Column("new_indicators", Integer, nullable=False, default=0),
    # Space-separated indicator ids: pending flags a publish cleared, and flags a restore made pending again.
    Column("pending_cleared", Text, nullable=False, default="", server_default=""),
    Column("pending_reopened", Text, nullable=False, default="", server_default=""),
    # Space-separated "indicator_id=fingertips_id": Fingertips ids a publish set on catalogue indicators (map_to).
    Column("fingertips_ids_set", Text, nullable=False, default="", server_default=""),
)

# One row: the version every reader serves. Publishing moves it with a compare-and-set.
head = Table(
    "head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, ForeignKey("data_versions.version"), nullable=False),
)

_VERSIONED = lambda: (  # noqa: E731
    Column("valid_from", Integer, nullable=False),
    Column("valid_to", Integer),
)

indicators = Table(
    "indicators", metadata,
    Column("row_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("id", String(200), nullable=False),
    *[Column(c, Text, nullable=False, default="") for c in (
        "name", "set", "age_band", "unit", "polarity", "definition", "source", "fingertips_id",
        "expected_update_for", "expected_update", "note",
        "short_name", "period_basis", "expected_by", "pending_reason")],
    *_VERSIONED(),
    Index("ix_indicators_current", "valid_to", "id"),
)

observations = Table(
    "observations", metadata,
    Column("row_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("indicator_id", String(200), nullable=False),
    Column("area_code", String(64), nullable=False),
    Column("area_name", Text, nullable=False),
    Column("period", String(100), nullable=False),
    Column("period_type", String(40), nullable=False, default=""),
    Column("category_type", Text, nullable=False, default=""),
    Column("category", Text, nullable=False, default=""),
    *[Column(c, Float) for c in ("value", "lower_ci", "upper_ci", "count", "denominator")],
    Column("source", Text, nullable=False),
    Column("note", Text, nullable=False, default=""),
    *_VERSIONED(),
    Index("ix_observations_current", "valid_to"),
    Index("ix_observations_from", "valid_from"),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Bumped by sign-out and disable: a session cookie carries the generation it was made in, and is refused after.
    Column("session_generation", Integer, nullable=False, server_default="0"),
    Column("disabled_at", DateTime(timezone=True), nullable=True),  # set: no sign-in, no session, no token
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),  # set: the token is refused
)

login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("address", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_address_at", "address", "at"),
)

# Sign-in attempts per key ("address:<ip>", "account:<email>") in a fixed window, each bumped by one atomic
# INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so parallel attempts cannot all read "under the limit".
login_limits = Table(
    "login_limits", metadata,
    Column("key", String(400), primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),
)

uploads = Table(
    "uploads", metadata,
    Column("id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(320), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("stage", String(20), nullable=False),  # reading | validating | comparing | ready | invalid | published | failed
    Column("progress", Float, nullable=False, default=0.0),
    Column("base_version", Integer),
    Column("published_version", Integer),
    Column("summary_json", Text),
    Column("errors_json", Text),
    Column("payload", LargeBinary),  # the validated, typed rows by column (upload_jobs._pack) until published
)

# Spotlight topics (data/domain/topics.py): editable by editors, seeded from data/bundled/topics.csv.
topics = Table(
    "topics", metadata,
    Column("slug", String(100), primary_key=True),
    Column("title", Text, nullable=False),
    Column("introduction", Text, nullable=False, default=""),
    Column("source", Text, nullable=False, default=""),
    Column("headlines", Text, nullable=False, default=""),  # one headline slide per line
    Column("indicator_ids", Text, nullable=False, default=""),  # space-separated indicator ids
    Column("position", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(320), nullable=False),
)

# One presenter note per topic (the computed "emerging-trends" topic included, so no foreign key).
topic_notes = Table(
    "topic_notes", metadata,
    Column("slug", String(100), primary_key=True),
    Column("note", Text, nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(320), nullable=False),
)


# Comparator groups (issue 12): a named list of areas, editable by editors; seeded with the
# upper-tier authorities of Yorkshire and The Humber. Not versioned with the data.
area_groups = Table(
    "area_groups", metadata,
    Column("group_name", String(200), primary_key=True),
    Column("area_code", String(64), primary_key=True),
    Column("area_name", Text, nullable=False, default=""),
    Column("position", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(320), nullable=False),
)
