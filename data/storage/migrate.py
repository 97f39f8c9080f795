"""Bring a database to the latest schema with the versioned migrations in data/storage/migrations/."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Workers start together: one migrates, the others wait and then find nothing to do.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(20240401)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
