"""Distinct realistic views for the uncached replay (issue 15, 1a), drawn at random (seeded) from the data.

A recorded browser chain (bench/payloads/) is the template: the first request of each drawn view is
the recorded one with the controls' values replaced (set, indicators, areas, mode, periods, reporting
year), and each later request of the chain takes its inputs from the previous response, as the Dash
renderer does (post_view). So no view repeats and nothing but the app's own per-version caches of
shared parts (an indicator's rows, a set's options) can be warm.

The floor app's views are its dropdown's values (bundled indicators with York rows).
"""
from __future__ import annotations

import copy
import json
import random
import time

import requests

from bench.measure import UPDATE_PATH

HOME, ENGLAND = "E06000014", "E92000001"


def _set_input(body: dict, cid: str, value) -> None:
    for item in body.get("inputs", []):
        if item.get("id") == cid:
            item["value"] = value


def _set_state(body: dict, cid: str, value) -> None:
    for item in body.get("state", []) or []:
        if item.get("id") == cid:
            item["value"] = value


def _catalogue(dataset) -> dict[str, list[str]]:
    """set -> indicator ids that have rows."""
    present = set(dataset.observations["indicator_id"].astype(str).unique())
    out: dict[str, list[str]] = {}
    for ind_id, row in dataset.indicators.iterrows():
        if ind_id in present:
            out.setdefault(str(row["set"]), []).append(str(ind_id))
    return out


def _areas_and_periods(dataset) -> dict[str, tuple[list[str], list[str]]]:
    obs = dataset.observations
    out = {}
    for ind_id, rows in obs.groupby(obs["indicator_id"].astype(str), sort=False, observed=True):
        out[ind_id] = (sorted(set(rows["area_code"].astype(str))), list(dict.fromkeys(rows["period"].astype(str))))
    return out


def draw(dataset, templates: dict[str, list[dict]], n: int, seed: int = 15) -> dict[str, list[list[dict]]]:
    """n distinct views per action (fewer when the data has fewer: the overview has one per reporting year)."""
    from data.domain.status import reporting_years

    rng = random.Random(seed)
    sets = _catalogue(dataset)
    detail = _areas_and_periods(dataset)
    set_names = [s for s, ids in sets.items() if ids]
    out: dict[str, list[list[dict]]] = {}

    def areas_for(ids: list[str]) -> list[str]:
        have = sorted(set().union(*(detail[i][0] for i in ids)))
        others = [a for a in have if a not in (HOME, ENGLAND)]
        return [a for a in (HOME, ENGLAND) if a in have] + rng.sample(others, min(len(others), rng.randint(0, 3)))

    if "explore_indicator" in templates:
        seen, views = set(), []
        for _ in range(n * 20):
            if len(views) >= n:
                break
            s = rng.choice(set_names)
            pool = sets[s]
            if len(pool) < 2:
                continue
            ticked = rng.sample(pool, rng.randint(2, min(3, len(pool))))
            areas = areas_for(ticked)
            key = (s, tuple(ticked), tuple(areas))
            if key in seen:
                continue
            seen.add(key)
            body = copy.deepcopy(templates["explore_indicator"][0])
            for cid, value in (("explore-set", s), ("explore-indicators", ticked), ("explore-areas", areas), ("explore-mode", "trend")):
                _set_input(body, cid, value)
            views.append([body] + copy.deepcopy(templates["explore_indicator"][1:]))
        out["explore_indicator"] = views

    if "explore_compare" in templates:
        seen, views = set(), []
        for _ in range(n * 20):
            if len(views) >= n:
                break
            s = rng.choice(set_names)
            ticked = rng.sample(sets[s], rng.randint(1, min(2, len(sets[s]))))
            periods = list(dict.fromkeys(p for i in ticked for p in detail[i][1]))
            if len(periods) < 2:
                continue
            a, b = rng.sample(periods, 2)
            areas = areas_for(ticked)
            key = (s, tuple(ticked), tuple(areas), a, b)
            if key in seen:
                continue
            seen.add(key)
            body = copy.deepcopy(templates["explore_compare"][0])
            for cid, value in (("explore-set", s), ("explore-indicators", ticked), ("explore-areas", areas),
                               ("explore-mode", "compare"), ("explore-period-a", a), ("explore-period-b", b)):
                _set_input(body, cid, value)
            views.append([body] + copy.deepcopy(templates["explore_compare"][1:]))
        out["explore_compare"] = views

    if "overview_year" in templates:
        years = list(reporting_years(dataset))
        rng.shuffle(years)
        views = []
        for i, year in enumerate(years[:n]):
            body = copy.deepcopy(templates["overview_year"][0])
            _set_input(body, "overview-reporting-year", year)
            _set_state(body, "overview-shown", {"version": int(dataset.version), "year": years[i - 1] if len(years) > 1 else year})
            views.append([body])
        out["overview_year"] = views
    return out


def floor_views(n: int, seed: int = 15) -> list[list[dict]]:
    """The floor app's dropdown, set to its indicators in a seeded random order (one request per view)."""
    from bench.floor_app import INDICATORS

    rng = random.Random(seed)
    order = list(INDICATORS)
    views = []
    while len(views) < n:
        rng.shuffle(order)
        views.extend([[floor_body(i)] for i in order])
    return views[:n]


def floor_body(indicator_id: str) -> dict:
    return {"output": "floor-out.figure", "outputs": {"id": "floor-out", "property": "figure"},
            "inputs": [{"id": "floor-in", "property": "value", "value": indicator_id}],
            "changedPropIds": ["floor-in.value"], "state": []}


def _follow(body: dict, previous: dict | None) -> dict:
    """The body with every input (and state) that the previous response set taken from it."""
    if not previous:
        return body
    answer = previous.get("response") or {}
    for group in ("inputs", "state"):
        for item in body.get(group, []) or []:
            prop = str(item.get("property", "")).split("@")[0]
            component = answer.get(item.get("id")) if isinstance(item.get("id"), str) else None
            if isinstance(component, dict) and prop in component:
                item["value"] = component[prop]
    return body


def post_view(session: requests.Session, base_url: str, view: list[dict], timeout: float = 120) -> tuple[list[float], list[int]]:
    """POST a view's chain in order; each request after the first takes the previous answer's outputs
    (only the response's own JSON is read outside the timed span)."""
    times, statuses, previous = [], [], None
    for k, template in enumerate(view):
        body = json.dumps(_follow(copy.deepcopy(template), previous), separators=(",", ":")).encode()
        t0 = time.perf_counter()
        r = session.post(base_url + UPDATE_PATH, data=body, timeout=timeout)
        content = r.content
        times.append(time.perf_counter() - t0)
        statuses.append(r.status_code)
        if k + 1 < len(view):
            previous = _answer(content, r.headers.get("Content-Encoding", "")) if r.status_code == 200 and content else None
    return times, statuses


def _answer(content: bytes, encoding: str) -> dict | None:
    """The JSON of a response (urllib3 1.x leaves zstd, which Chromium's Accept-Encoding asks for, undecoded)."""
    try:
        return json.loads(content)
    except ValueError:
        if "zstd" not in encoding:
            raise
    from backports import zstd  # a dependency of the app's compression (requirements.txt)

    return json.loads(zstd.decompress(content))
