"""Comparator groups in the store: named lists of areas (the `area_groups` table, migration 0004).

Not versioned with the data: a group is the editors' choice of areas to compare, kept as it is
when data is published or restored. Seeded once from data/bundled/area_groups.csv ("Yorkshire
and The Humber": the region's upper-tier authorities, from a real Fingertips download; see
data/README.md). Without a store (an app serving fixed data) the bundled groups are served.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from data.domain.dataset import BUNDLED, read_csv_text
from data.storage.tables import area_groups

AREA_GROUPS_CSV = BUNDLED / "area_groups.csv"
MAX_NAME = 200
MAX_MEMBERS = 500
AREA_CODE = re.compile(r"^[EWSNK]\d{8}$")  # an ONS GSS code: E06000014
_SEED_LOCK = 20240404  # PostgreSQL advisory lock: workers seeding at once

Groups = dict[str, tuple[tuple[str, str], ...]]  # group name -> ((area code, area name), ...) in order


class AreaGroupError(ValueError):
    """What is wrong with a group an editor sent; every problem in words."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def read_bundled_groups(path: Path = AREA_GROUPS_CSV) -> Groups:
    frame = read_csv_text(path)
    frame["position"] = pd.to_numeric(frame["position"])
    out: Groups = {}
    for name, rows in frame.sort_values(["group_name", "position"], kind="stable").groupby("group_name", sort=False):
        out[str(name)] = tuple(zip(rows["area_code"], rows["area_name"], strict=True))
    return out


def list_groups(engine: Engine | None) -> Groups:
    """Every group, by name A-Z, its areas in their order (the bundled groups without a store)."""
    if engine is None:
        return read_bundled_groups()
    with engine.connect() as conn:
        rows = conn.execute(select(area_groups).order_by(area_groups.c.group_name, area_groups.c.position)).mappings().all()
    out: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        out.setdefault(r["group_name"], []).append((r["area_code"], r["area_name"]))
    return {name: tuple(members) for name, members in out.items()}


def seed_area_groups(engine: Engine, path: Path = AREA_GROUPS_CSV) -> int:
    """On an empty `area_groups` table, insert the bundled groups; returns how many rows were added."""
    bundled = read_bundled_groups(path)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SEED_LOCK})")
        if conn.execute(select(func.count()).select_from(area_groups)).scalar():
            return 0
        now = _now()
        rows = [{"group_name": name, "area_code": code, "area_name": area_name, "position": i,
                 "updated_at": now, "updated_by": "bundled area groups"}
                for name, members in bundled.items() for i, (code, area_name) in enumerate(members)]
        if rows:
            conn.execute(insert(area_groups), rows)
    return len(rows)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def validate_group(name, codes, known_areas: Mapping[str, str]) -> list[str]:
    """Problems with a group: its name, and each area code that is not a code or not a known area (named)."""
    problems = []
    if not isinstance(name, str) or not name.strip():
        problems.append("the group needs a name")
    elif len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        problems.append(f"the group name must be at most {MAX_NAME} printable characters")
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return problems + ["send the group's areas as a JSON list of area codes, such as [\"E06000014\", \"E08000035\"]"]
    if not codes:
        problems.append("a group needs at least one area")
    if len(codes) > MAX_MEMBERS:
        problems.append(f"a group has at most {MAX_MEMBERS} areas; {len(codes)} were sent")
    seen: set[str] = set()
    for i, code in enumerate(codes, start=1):
        shown = code if len(code) <= 40 else code[:40] + "..."
        if code in seen:
            problems.append(f"area {i}: '{shown}' is listed twice")
        elif not AREA_CODE.match(code):
            problems.append(f"area {i}: '{shown}' is not an area code (an ONS code such as E06000014)")
        elif code not in known_areas:
            problems.append(f"area {i}: '{shown}' is not an area in the data or in a group")
        seen.add(code)
    return problems


def save_group(engine: Engine | None, name, codes, user: str, data_areas: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Create or replace a group with these areas, in this order. Areas must be in the data (data_areas:
    code -> name) or already in some group (a code that changed, kept for older periods).
    AreaGroupError lists every problem; nothing is changed then."""
    if engine is None:
        raise AreaGroupError(["this app serves fixed data: it has no store to keep area groups in"])
    if not user:
        raise AreaGroupError(["only a signed-in editor can change an area group"])
    grouped = {code: area for members in list_groups(engine).values() for code, area in members}
    known = {**grouped, **dict(data_areas)}
    problems = validate_group(name, codes, known)
    if problems:
        raise AreaGroupError(problems)
    name = name.strip()
    now = _now()
    with engine.begin() as conn:
        conn.execute(delete(area_groups).where(area_groups.c.group_name == name))
        conn.execute(insert(area_groups), [
            {"group_name": name, "area_code": code, "area_name": known[code], "position": i, "updated_at": now, "updated_by": user}
            for i, code in enumerate(codes)
        ])
    return tuple((code, known[code]) for code in codes)


def group_codes(groups: Groups, name: str) -> tuple[str, ...] | None:
    """The area codes of a group, or None when there is no such group."""
    members = groups.get(name)
    return None if members is None else tuple(code for code, _ in members)


def describe(groups: Groups) -> list[dict]:
    """JSON-ready groups: [{"name", "areas": [{"code", "name"}]}]."""
    return [{"name": name, "areas": [{"code": c, "name": n} for c, n in members]} for name, members in groups.items()]


__all__: Sequence[str] = (
    "AREA_GROUPS_CSV", "AreaGroupError", "Groups", "describe", "group_codes", "list_groups", "read_bundled_groups",
    "save_group", "seed_area_groups", "validate_group",
)
