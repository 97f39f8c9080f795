"""Upload formats: what a file's columns mean. Each format is one module here with a FORMAT
(formats.base.Format: name, sniff, required columns, to_observations); FORMATS lists them, and
the first whose sniff accepts a header reads the file. A new format (a DfE or NHS Digital
download, say) is a module and a line here."""
from __future__ import annotations

from typing import Sequence

from data.ingest.formats import fingertips, template
from data.ingest.formats.base import Format, Mapped

__all__ = ["FORMATS", "Format", "Mapped", "format_of"]

# Sniffed in this order, the first that accepts a header reads the file (a header with names of
# both Fingertips and the template has always been read as Fingertips).
FORMATS: tuple[Format, ...] = (fingertips.FORMAT, template.FORMAT)


def format_of(header: Sequence[str]) -> Format | None:
    """The first format in FORMATS whose sniff accepts the header, or None."""
    return next((f for f in FORMATS if f.sniff(header)), None)
