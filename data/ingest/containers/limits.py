"""How much of a file the importer reads: beyond these it refuses the file, naming the limit.

Read as `limits.MAX_ROWS` at call time (not imported by name) so a test can lower them."""
from __future__ import annotations

MAX_ROWS = 2_000_000  # data rows (a Fingertips profile for every upper-tier area is ~1M)
MAX_COLUMNS = 200

# An .xlsx workbook is a zip: what it unpacks to is told by its central directory before anything is
# decompressed (zipfile never inflates a member past the size the directory gives it), so a zip bomb
# is refused before openpyxl reads a byte of it.
XLSX_MAX_UNPACKED = 2 << 30  # bytes, all members together (a 1M-row sheet of 26 numbers is ~0.85 GB)
XLSX_MAX_SHARED_STRINGS = 256 << 20  # bytes of xl/sharedStrings.xml: openpyxl holds every string in memory
XLSX_MAX_RATIO = 100  # unpacked / packed, for a member over XLSX_RATIO_FROM bytes (measured: 14 to 17 for a sheet openpyxl writes)
XLSX_RATIO_FROM = 1 << 20
XLSX_MAX_ROWS = 1_048_576  # sheet rows, header included: Excel's own limit
XLSX_MAX_CELLS = 30_000_000  # cells read (rows x columns read); a 1M-row Fingertips sheet is 26M
XLSX_MAX_CELL_CHARS = 32_767  # characters in one cell: Excel's own limit
