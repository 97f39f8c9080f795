"""Fuzz the upload endpoint end to end: any bytes get a 200 or a 422 with errors, never a 500,
and checking a file never changes the data (only publishing does)."""
from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.storage.users import create_token, create_user

RAW = (Path(__file__).resolve().parents[1] / "data" / "fingertips" / "raw-download-example.csv").read_bytes()
TEMPLATE_HEAD = b"indicator_id,area_code,area_name,period,period_type,value,source\r\n"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", f"sqlite:///{tmp_path_factory.mktemp('fz') / 'fuzz.sqlite3'}")
    from app import create_app

    app = create_app()
    store = app.server.extensions["cyscp_data_source"].store
    create_user(store.engine, "fuzz@example.org", "a long enough password", "editor")
    token = create_token(store.engine, "fuzz@example.org")
    yield app.server.test_client(), {"Authorization": f"Bearer {token}"}, store
    mp.undo()


def _mutate(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    buf = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        op = rng.choice(("flip", "cut", "dup", "insert"))
        if not buf:
            break
        i = rng.randrange(len(buf))
        if op == "flip":
            buf[i] = rng.randrange(256)
        elif op == "cut":
            del buf[i:i + rng.randint(1, 200)]
        elif op == "dup":
            buf[i:i] = buf[i:i + rng.randint(1, 200)]
        else:
            buf[i:i] = rng.choice([b",", b'"', b"\n", b"\r\n", b"\x00", b"=cmd|'/c calc'!A1", b"\xff\xfe"])
    return bytes(buf)


files = st.one_of(
    st.binary(max_size=4000),
    st.integers(0, len(RAW)).map(lambda n: RAW[:n]),
    st.integers(0, 10**9).map(lambda seed: _mutate(RAW[:6000], seed)),
    st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40), min_size=1, max_size=8)
    .map(lambda cells: TEMPLATE_HEAD + ",".join(cells).encode("utf-8") + b"\r\n"),
    st.integers(1, 3000).map(lambda n: b"," * n + b"\n" + b"," * n + b"\n"),
)
names = st.sampled_from(["data.csv", "data.xlsx", "data.txt", "fingertips.csv", "x"])


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=files, name=names)
def test_fzh001_any_file_gets_a_result_and_never_changes_the_data(api, content, name):
    client, auth, store = api
    version, rows = store.head_version(), store.count_rows()
    response = client.post("/api/uploads", data={"file": (io.BytesIO(content), name)}, headers=auth)
    assert response.status_code in (200, 422), response.data[:300]
    body = response.get_json()
    if response.status_code == 422:  # a bad file, or a good one whose new indicator needs the editor's choice
        assert body["errors"] and (body["valid"] is False or body["needs_choice"])
        assert all({"row", "column", "message"} <= set(e) for e in body["errors"])
    else:
        assert body["valid"] is True and set(body["summary"]) >= {"added", "changed", "unchanged", "new_indicators", "pending_cleared"}
    assert (store.head_version(), store.count_rows()) == (version, rows)
