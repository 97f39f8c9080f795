"""An upload's bytes are let go once the file is read into a table (issue 15: the 1M upload's peak)."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from data.domain.dataset import load_bundled
from data.ingest.importer import FileBytes, read_upload

FILE = Path(__file__).resolve().parents[1] / "data" / "fingertips-from-extracts.csv"  # 2.1 MB, real extracts


def _held_while_validating(make_content) -> int:
    """Bytes traced as live when validation starts, for the content make_content() hands to read_upload."""
    catalogue = load_bundled().indicators
    seen: list[int] = []

    def on_stage(stage: str, fraction: float) -> None:
        if stage == "validating" and not seen:
            seen.append(tracemalloc.get_traced_memory()[0])

    tracemalloc.start()
    try:
        content = make_content()
        result = read_upload(content, FILE.name, catalogue, on_stage=on_stage)
    finally:
        tracemalloc.stop()
    assert result.valid and seen
    return seen[0]


def test_mem101_file_bytes_are_not_held_while_the_rows_are_checked():
    size = FILE.stat().st_size
    kept = _held_while_validating(lambda: FILE.read_bytes())  # the caller holds the bytes: they stay
    handed_over = _held_while_validating(lambda: FileBytes(FILE.read_bytes()))
    assert kept - handed_over > 0.8 * size


def test_mem102_file_bytes_are_handed_over_once_and_read_as_bytes_are():
    catalogue = load_bundled().indicators
    held = FileBytes(FILE.read_bytes())
    once = read_upload(held, FILE.name, catalogue)
    assert once.valid and once.rows.equals(read_upload(FILE.read_bytes(), FILE.name, catalogue).rows)
    with pytest.raises(RuntimeError, match="handed over already"):
        held.take()


@pytest.mark.parametrize("content", [b"", b" \r\n\t\x0b\x0c "])
def test_mem103_an_empty_or_blank_file_is_refused_as_empty(content):
    result = read_upload(FileBytes(content), "blank.csv", load_bundled().indicators)
    assert [p.message for p in result.problems] == ["the file is empty"]
