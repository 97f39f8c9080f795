"""How much of a file the importer reads: beyond these it refuses the file, naming the limit.

Read as `limits.MAX_ROWS` at call time (not imported by name) so a test can lower them."""
from __future__ import annotations

MAX_ROWS = 2_000_000  # data rows (a Fingertips profile for every upper-tier area is ~1M)
MAX_COLUMNS = 200
