"""An upload's life, kept in the store so every worker can see it: read -> validate -> compare -> publish.

The job row carries its stage and progress, so a page on any worker can
show them while the work runs; the validated rows wait in the row (typed, by
column: see _pack) until an editor publishes them.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, update

from data.domain.changes import summarise
from data.domain.dataset import FROM_CATALOGUE, SORT_KEY, build_from_typed
from data.domain.periods import parse_period
from data.domain.schema import (
    INDICATOR_COLUMNS,
    NUMERIC_OBSERVATION_COLUMNS,
    OBSERVATION_COLUMNS,
    Problem,
    read_numbers,
    to_number,
    validate_observations,
)
from data.ingest.importer import FileBytes, catalogue_with, read_upload
from data.ingest.indicator_choices import (
    ChoiceError,
    apply_choices,
    chosen_catalogue_rows,
    indicator_problems,
    needs_choice,
    propose,
    read_choices,
    row_changes,
)
from data.storage.store import Store, release_memory
from data.storage.tables import uploads

READING, VALIDATING, COMPARING, READY, INVALID, PUBLISHED, FAILED = (
    "reading", "validating", "comparing", "ready", "invalid", "published", "failed")
FINISHED = (READY, INVALID, PUBLISHED, FAILED)
STAGE_LABELS = {
    READING: "Reading the file", VALIDATING: "Checking every row", COMPARING: "Comparing with the current data",
    READY: "Ready to publish", INVALID: "The file has problems", PUBLISHED: "Published", FAILED: "Failed",
}


# A job still reading, validating or comparing this long after it was created has lost its process
# (a worker killed by gunicorn's timeout or the OOM killer, a host restarted): reading it reports it
# failed. Children are killed after upload_process.PROCESS_TIMEOUT (240 s) and an in-process file is
# under UPLOAD_ISOLATE_MB, so no live job comes near this. A module constant (data/settings.py is not
# this module's to change); a test lowers it.
STALE_AFTER = 15 * 60.0  # seconds


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _set(store: Store, upload_id: str, **values) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(uploads).where(uploads.c.id == upload_id).values(**values))


def create_job(store: Store, content: bytes | None, file_name: str, user: str, sha256: str | None = None) -> str:
    """A job row for a file; sha256 given when the file was hashed on its way to disk (content None)."""
    upload_id = str(uuid.uuid4())
    if sha256 is None:
        assert content is not None, "a job needs the file or its hash"
        sha256 = hashlib.sha256(content).hexdigest()
    with store.engine.begin() as conn:
        conn.execute(insert(uploads).values(
            id=upload_id, created_at=_now(), created_by=user, file_name=file_name[:500],
            sha256=sha256, stage=READING, progress=0.0,
        ))
    return upload_id


_MAGIC = b"cyscp-typed-rows/1\n"  # a payload of typed rows by column (older payloads are gzip'd CSV text)


def _pack(typed: pd.DataFrame, new_indicators: pd.DataFrame) -> memoryview:
    """The typed rows a publish inserts, by column: numbers as float64 bytes, dates as int64, text as int32
    codes into its distinct values; so neither a new preview nor a publish parses text or types the rows
    again. Every column of `typed` is kept (build_from_typed's periods and catalogue fields too).
    Written into one buffer of its final size (a bytes-like view of it), each column as it is encoded: not
    a list of every column's bytes and then their join, which held the payload (110 MB at 1M rows) twice."""
    columns: list[dict[str, object]] = []
    arrays: list[np.ndarray] = []
    for col in typed.columns:
        series = typed[col]
        if series.dtype == "float64":
            columns.append({"name": col, "kind": "float64"})
            arrays.append(series.to_numpy())
            continue
        if pd.api.types.is_datetime64_dtype(series.dtype):
            columns.append({"name": col, "kind": "datetime", "dtype": str(series.dtype)})
            arrays.append(series.to_numpy().view(np.int64))
            continue
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        columns.append({"name": col, "kind": "codes", "dtype": str(series.dtype), "values": [str(u) for u in uniques]})
        arrays.append(codes.astype(np.int32, copy=False))
    head = {
        "rows": len(typed), "columns": columns,
        "indicators": new_indicators.reindex(columns=list(INDICATOR_COLUMNS)).astype(object).fillna("").to_dict("records"),
    }
    text = json.dumps(head).encode("utf-8")
    start = len(_MAGIC) + 8 + len(text)
    out = np.empty(start + sum(a.nbytes for a in arrays), dtype=np.uint8)
    out[:start] = np.frombuffer(_MAGIC + len(text).to_bytes(8, "little") + text, dtype=np.uint8)
    at = start
    while arrays:  # each column's codes go as soon as they are copied in
        values = np.ascontiguousarray(arrays.pop(0))
        out[at:at + values.nbytes] = values.view(np.uint8)
        at += values.nbytes
    return memoryview(out.data)


def _unpack(payload: bytes | memoryview) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """(rows, new indicators, typed?): typed rows from a _pack payload; text rows from an older one."""
    payload = memoryview(payload)
    if bytes(payload[:len(_MAGIC)]) != _MAGIC:
        body = json.loads(gzip.decompress(payload))
        read = lambda text: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)  # noqa: E731
        return read(body["rows"]), read(body["indicators"]), False
    at = len(_MAGIC)
    size = int.from_bytes(bytes(payload[at:at + 8]), "little")
    head = json.loads(bytes(payload[at + 8:at + 8 + size]))
    at, n, data = at + 8 + size, head["rows"], {}
    for spec in head["columns"]:
        if spec["kind"] in ("float64", "datetime"):
            values = np.frombuffer(payload, dtype=np.int64 if spec["kind"] == "datetime" else np.float64, count=n, offset=at).copy()
            data[spec["name"]] = values.view(spec["dtype"]) if spec["kind"] == "datetime" else values
            at += 8 * n
            continue
        codes = np.frombuffer(payload, dtype=np.int32, count=n, offset=at)
        at += 4 * n
        values = np.array(spec["values"] + [np.nan], dtype=object)  # code -1 (a missing value) -> NaN
        data[spec["name"]] = pd.Series(values[codes], dtype=spec["dtype"])
    rows = pd.DataFrame(data, columns=[spec["name"] for spec in head["columns"]])
    indicators = pd.DataFrame(head["indicators"], columns=list(INDICATOR_COLUMNS), dtype=object).astype(str)
    return rows, indicators, True


def _typed_payload(rows: pd.DataFrame, is_typed: bool, catalogue: Callable[[], pd.DataFrame],
                   new_indicators: pd.DataFrame) -> pd.DataFrame:
    """An unpacked payload's rows as _typed makes them: as packed when they are (a payload this version
    packed), else typed now against catalogue() (text rows, or typed rows packed without their derived
    columns by an older version); the catalogue is only read when it is needed."""
    if is_typed and set(_DERIVED).issubset(rows.columns):
        return rows
    return _typed(catalogue(), rows.reindex(columns=list(OBSERVATION_COLUMNS)) if is_typed else rows, new_indicators)


_DERIVED = ("period_start", "period_end", "unit", "indicator_name", "set")  # what build_from_typed adds to the rows


def process(store: Store, upload_id: str, content: bytes | FileBytes, file_name: str, choices: pd.DataFrame | None = None) -> dict | None:
    """Run the whole pipeline for a job; never raises (a crash is recorded as the job's failure).
    choices: the editor's choices about the file's new indicators (indicator_choices.read_choices), if
    sent with the file; a choice that cannot apply makes the job invalid, naming its row and column."""
    try:
        dataset = store.load_dataset()
        last = [0.0]

        def on_stage(stage: str, fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.25 or fraction >= 1.0:  # progress writes are cheap but not free
                last[0] = now
                _set(store, upload_id, stage=stage, progress=float(fraction))

        result = read_upload(content, file_name, dataset.indicators, on_stage=on_stage, observations=dataset.observations)
        if not result.valid:
            errors = [{"row": p.row, "column": p.column, "message": p.message} for p in result.problems]
            _set(store, upload_id, stage=INVALID, progress=1.0, errors_json=json.dumps(errors))
            return get_job(store, upload_id)
        _set(store, upload_id, stage=COMPARING, progress=0.0)
        typed = _typed(dataset.indicators, result.rows, result.new_indicators, result.numbers)
        proposals = propose(result.rows, result.new_indicators, result.hints, dataset.indicators, result.kind)
        if choices is not None:
            proposals = apply_choices(proposals, choices, dataset.indicators)
        summary, chosen_rows, chosen_new = _summary(dataset, typed, result.new_indicators, proposals)
        # No new indicator: nothing left to choose, so the rows are packed as they will be published.
        # Otherwise the file's rows are packed as read, and every preview and the publish apply the choices.
        packed = (chosen_rows, chosen_new) if not proposals["indicators"] else (typed, result.new_indicators)
        row_count = result.row_count
        # Only what is packed stays: the file's text rows and whichever typed rows are not packed go first
        # (at 1M rows packing is the job's peak: issue 15, round 4).
        del result, typed, chosen_rows, chosen_new
        payload = _pack(*packed)
        del packed
        _set(store, upload_id, stage=READY, progress=1.0, base_version=dataset.version,
             summary_json=json.dumps({**summary, "rows": row_count}), payload=payload)
        del payload
    except ChoiceError as exc:
        _set(store, upload_id, stage=INVALID, progress=1.0, errors_json=json.dumps(_choice_errors(exc)))
    except Exception as exc:  # noqa: BLE001 - recorded for the user; the store is unchanged
        fail(store, upload_id, exc)
    finally:
        release_memory()  # a big file's rows are garbage now: give the worker's peak back
    return get_job(store, upload_id)


def _choice_errors(exc: ChoiceError) -> list[dict]:
    return [{"row": p.row, "column": p.column, "message": f"indicators CSV: {p.message}"} for p in exc.problems]


def _chosen(dataset, typed: pd.DataFrame, new_indicators: pd.DataFrame, proposals: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The typed rows and new catalogue rows as the proposals (the editor's choices) make them: what
    materialise + _typed give, without typing the rows again (a choice changes an indicator's catalogue
    fields, the ids of a mapped indicator's rows, and the periods of split years read another way)."""
    new = chosen_catalogue_rows(new_indicators, proposals)
    ids, types = row_changes(typed, proposals, dataset.indicators, dataset.observations)
    problems = indicator_problems(new) + _mapped_problems(dataset, typed, ids, types, new, proposals)
    if problems:
        raise ChoiceError(problems)
    return _retyped(typed, ids, types, catalogue_with(dataset.indicators, new)), new


def _retyped(typed: pd.DataFrame, ids: np.ndarray | None, types: np.ndarray | None, catalogue: pd.DataFrame) -> pd.DataFrame:
    """typed (build_from_typed's rows) with new indicator ids and period types where given and the catalogue's
    fields: the frame _typed makes of those rows, each changed period parsed once, sorted again only when a
    sort key changed (stably, from the same order, so as a fresh typing sorts them)."""
    out = typed.copy(deep=False)
    if ids is not None:
        out["indicator_id"] = pd.Series(ids, index=out.index, dtype=typed["indicator_id"].dtype)
    if types is not None:
        changed = np.flatnonzero(types != typed["period_type"].to_numpy(dtype=object))
        labels, kinds = typed["period"].to_numpy(dtype=object)[changed], types[changed]
        pairs = pd.MultiIndex.from_arrays([labels, kinds])
        codes, distinct = pd.factorize(pairs)
        parsed = [parse_period(label, kind or None) for label, kind in distinct]
        for col, values in (("period_type", [p.type for p in parsed]), ("period_start", [p.start for p in parsed]),
                            ("period_end", [p.end for p in parsed])):
            column = out[col].to_numpy(copy=True)
            fresh = pd.Series(values).to_numpy(dtype=column.dtype) if col != "period_type" else np.array(values, dtype=object)
            column[changed] = fresh[codes]
            out[col] = pd.Series(column, index=out.index, dtype=typed[col].dtype)
    id_codes, id_values = pd.factorize(out["indicator_id"])
    for col, source in FROM_CATALOGUE:
        by_id = pd.Series(id_values).astype(str).map(catalogue[source]).to_numpy(dtype=object)
        out[col] = pd.Series(by_id[id_codes], index=out.index, dtype=typed[col].dtype)
    if ids is not None or types is not None:
        out = out.sort_values(list(SORT_KEY), na_position="first", kind="stable").reset_index(drop=True)
    return out


def _mapped_problems(dataset, typed: pd.DataFrame, ids: np.ndarray | None, types: np.ndarray | None, new: pd.DataFrame,
                     proposals: dict, limit: int = 5) -> list[Problem]:
    """Rows mapped onto a catalogue indicator checked against its unit (a rate per 100,000 above 100 cannot
    join a percentage); each problem names the file's indicator, the target and the row's area and period."""
    out: list[Problem] = []
    catalogue = catalogue_with(dataset.indicators, new)
    for entry in proposals.get("indicators", []):
        target = entry.get("map_to")
        if not target or ids is None:
            continue
        # the rows the mapping renamed; the file's own rows of the target were checked on upload
        at = np.flatnonzero((typed["indicator_id"] == entry["indicator_id"]).to_numpy())
        mine = typed.iloc[at].reindex(columns=list(OBSERVATION_COLUMNS)).reset_index(drop=True)
        mine["indicator_id"] = pd.Series(ids[at], dtype=typed["indicator_id"].dtype)
        if types is not None:
            mine["period_type"] = types[at]
        for p in validate_observations(mine, catalogue)[:limit]:
            k = (p.row or 1) - 1
            where = f" ({str(mine.at[k, 'area_name'])}, {str(mine.at[k, 'period'])})" if p.row and k < len(mine) else ""
            out.append(Problem(None, "map_to", f"indicator {entry['source_id']} cannot join {target}{where}: "
                                               f"{p.column or 'row'} {p.message}"))
    return out


def _summary(dataset, typed: pd.DataFrame, new_indicators: pd.DataFrame, proposals: dict) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """(the preview: what publishing would change, with each new indicator's fields and what still needs
    a choice; the rows and new catalogue rows the choices make)."""
    rows, new = _chosen(dataset, typed, new_indicators, proposals)
    summary, _ = summarise(dataset, rows, new)
    cat = dataset.indicators
    names = {i: str(cat.at[i, "name"]) for i in summary.pending_cleared if i in cat.index}
    return ({**summary.to_dict(), "indicators": proposals["indicators"], "matched": proposals["matched"],
             "needs_choice": needs_choice(proposals), "pending_cleared_names": names}, rows, new)


def preview_upload(store: Store, content: bytes, file_name: str, user: str, indicators_csv: bytes | str | None = None) -> dict:
    """One call for a file made on the server (the Fingertips fetch): a job for `content` (a Fingertips
    "Download data" CSV or the template), read with the editor's choices `indicators_csv` (the CSV of
    indicator_choices.CHOICE_COLUMNS, plus definition, source, short_name), previewed. Returns the job:
    stage "ready" (summary["needs_choice"] lists what must still be chosen; empty: publish_job may
    publish it) or "invalid" (errors name row and column). ChoiceError (nothing created) when
    `indicators_csv` cannot be read."""
    choices = read_choices(indicators_csv) if indicators_csv is not None else None
    upload_id = create_job(store, content, file_name, user)
    job = process(store, upload_id, content, file_name, choices)
    assert job is not None
    return job


def _ready_row(store: Store, upload_id: str, purpose: str):
    """A job's row, payload included. LookupError if unknown; ValueError if it is not ready (`purpose`: what for)."""
    with store.engine.connect() as conn:
        row = conn.execute(select(uploads).where(uploads.c.id == upload_id)).mappings().first()
    if row is None:
        raise LookupError(f"no upload {upload_id}")
    if row["stage"] != READY:
        raise ValueError(f"upload is {row['stage']}, not ready {purpose}")
    return row


def choose(store: Store, upload_id: str, choices: pd.DataFrame, user: str | None = None) -> dict:
    """Apply the editor's choices about a ready job's new indicators and preview again.

    LookupError if unknown; ValueError if not ready; ChoiceError (row, column) for a choice that
    cannot apply (the job is left as it was). Returns the job with its new summary."""
    row = _ready_row(store, upload_id, "for choices")
    summary = json.loads(row["summary_json"] or "{}")
    rows, new_indicators, is_typed = _unpack(row["payload"])
    dataset = store.load_dataset(row["base_version"])
    typed = _typed_payload(rows, is_typed, lambda: dataset.indicators, new_indicators)
    proposals = apply_choices({"indicators": summary.get("indicators", []), "matched": summary.get("matched", [])},
                              choices, dataset.indicators)
    fresh, _, _ = _summary(dataset, typed, new_indicators, proposals)
    _set(store, upload_id, summary_json=json.dumps({**fresh, "rows": summary.get("rows")}))
    job = get_job(store, upload_id)
    assert job is not None
    return job


def fail(store: Store, upload_id: str, exc: Exception) -> None:
    """Record a job's failure for the user (the store's data is unchanged)."""
    _set(store, upload_id, stage=FAILED, progress=1.0,
         errors_json=json.dumps([{"row": None, "column": None, "message": f"could not process the file: {exc}"}]))


def _typed(catalogue: pd.DataFrame, rows: pd.DataFrame, new_indicators: pd.DataFrame, numbers: dict | None = None) -> pd.DataFrame:
    """Text rows -> typed observations, against the catalogue plus the indicators the file creates.
    numbers: ImportResult.numbers for these rows (the validation's reading of them), when there is one."""
    merged = catalogue_with(catalogue, new_indicators)
    merged = merged.reset_index(drop=True) if "id" in merged.columns else merged.reset_index()
    return build_from_typed(merged, _with_numbers(rows, numbers)).observations


def _with_numbers(rows: pd.DataFrame, numbers: dict | None = None) -> pd.DataFrame:
    """The rows with their number columns as float64 (what build_from_typed makes of the text).

    The same numbers as build_from_typed's own reading, without stripping each cell to find the blank
    ones: a whitespace-only cell fails float() and goes to to_number, which reads it as blank. With the
    validation's float(cell) of the file's text, only the cells float() could not read are read again
    (to_number of the rows' plain text: the number to_number read from the file's)."""
    out = rows.copy()
    for col in NUMERIC_OBSERVATION_COLUMNS:
        if col not in out.columns or pd.api.types.is_numeric_dtype(out[col]):
            continue
        given = (numbers or {}).get(col)
        if given is not None and len(given[0]) == len(out):
            got, unread = given[0].copy(), given[1]
            text = out[col].to_numpy(dtype=object)
            for k in np.flatnonzero(unread):
                got[k] = to_number(text[k])
            out[col] = got
            continue
        out[col] = read_numbers(out[col], stripped=True)[0]  # the rows are valid: every cell reads
    return out


def get_job(store: Store, upload_id: str) -> dict | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(*[c for c in uploads.c if c.name != "payload"]).where(uploads.c.id == upload_id)).mappings().first()
    if row is None:
        return None
    job = dict(row)
    if job["stage"] not in FINISHED and _age(job["created_at"]) > STALE_AFTER:
        _fail_stale(store, upload_id, job["stage"])
        return get_job(store, upload_id)
    job["summary"] = json.loads(job.pop("summary_json") or "null")
    job["errors"] = json.loads(job.pop("errors_json") or "[]")
    job["created_at"] = job["created_at"].isoformat()
    return job


def _age(created_at: datetime) -> float:
    """Seconds since `created_at` (SQLite hands back a naive datetime: it was stored as UTC)."""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=timezone.utc)
    return (_now() - created_at).total_seconds()


def _fail_stale(store: Store, upload_id: str, stage: str) -> None:
    """Mark a job failed whose process stopped while it was at `stage` (only if it is still there)."""
    message = (f"could not process the file: it stopped at \"{STAGE_LABELS.get(stage, stage)}\" and did not finish within "
               f"{STALE_AFTER / 60:g} minutes (the process reading it was stopped, perhaps out of time or memory); "
               "upload it again, or as CSV")
    with store.engine.begin() as conn:
        conn.execute(update(uploads).where(uploads.c.id == upload_id, uploads.c.stage == stage).values(
            stage=FAILED, progress=1.0, errors_json=json.dumps([{"row": None, "column": None, "message": message}])))


def publish_job(store: Store, upload_id: str, user: str) -> int:
    """Publish a ready job as a new version. LookupError if unknown; ValueError if not ready; PublishConflict to retry."""
    found = _ready_row(store, upload_id, "to publish")
    summary = json.loads(found["summary_json"] or "{}")
    waiting = needs_choice({"indicators": summary.get("indicators", [])})
    if waiting:
        raise ValueError("choose first: " + "; ".join(w["message"] for w in waiting))
    rows, new_indicators, is_typed = _unpack(found["payload"])
    # The packed bytes (110 MB at 1M rows) go now that they are columns: not held through the insert.
    row = {key: value for key, value in found.items() if key != "payload"}
    del found
    # Rows packed by this version were typed by the preview against the same base version's catalogue.
    typed = _typed_payload(rows, is_typed, lambda: store.load_dataset(row["base_version"]).indicators, new_indicators)
    # A Fingertips indicator mapped onto a catalogue indicator gives it its Fingertips id (when it has none),
    # so the next upload or fetch of that id joins it by itself.
    ft_of = dict(zip(new_indicators["id"], new_indicators["fingertips_id"], strict=True)) if len(new_indicators) else {}
    fingertips_ids = {e["map_to"]: str(ft_of[e["indicator_id"]]) for e in summary.get("indicators", [])
                      if e.get("map_to") and str(ft_of.get(e["indicator_id"]) or "").strip()}
    if summary.get("indicators"):  # new indicators: the file's rows were packed as read; apply the choices
        dataset = store.load_dataset(row["base_version"])
        typed, new_indicators = _chosen(dataset, typed, new_indicators, {"indicators": summary["indicators"], "matched": []})
        del dataset
    version = store.publish(typed, new_indicators, user=user, file_name=row["file_name"], sha256=row["sha256"],
                            base_version=row["base_version"], pending_cleared=summary.get("pending_cleared", []),
                            fingertips_ids=fingertips_ids)
    _set(store, upload_id, stage=PUBLISHED, published_version=version, payload=None)
    del rows, typed
    release_memory()
    return version
