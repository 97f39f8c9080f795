"""A local stand-in for the Fingertips API: recorded answers (tests/data/fingertips_api/) from 127.0.0.1.

    with recorded_fingertips() as server:       # a thread, an ephemeral port
        server.base_url                          # "http://127.0.0.1:PORT/api/"
        server.faults[("data", "93356")] = "http500"

It answers the two endpoints a fetch asks, in Fingertips' real formats:
  /api/all_data/csv/by_indicator_id?indicator_ids=N&child_area_type_id=A&parent_area_type_id=15
      -> all_data_N.csv (a "Download data" CSV) for area type 102 or 502; header only for another
         area type or an id with no recording
  /api/indicator_metadata/csv/by_indicator_id?indicator_ids=N
      -> metadata_N.csv (the metadata CSV layout; header only for an id with no file). These metadata
         answers are constructed fixtures, not recordings: see tests/data/README.md for which fields
         are copied and which are assumptions.
Faults, per (endpoint, id), for the failure tests: "http500", "http404", "hang" (no answer until the
server stops: the client's timeout fires), "html" (an HTML error page with status 200), "json",
"no-value-column" (the CSV without its Value column), "not-utf8", "other-indicator" (rows of another id).
No test reaches the network: this server is all a fetch talks to.
"""
from __future__ import annotations

import csv
import io
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).resolve().parent / "data" / "fingertips_api"
# The recorded data answers are upper-tier ("County & UA") files: served for area type 102 (upper tier
# before 4/19, the download's own) and 502 (post 4/23); any other area type answers header only, as
# Fingertips does for an indicator it has no data for at that area type.
RECORDED_AREA_TYPES = ("102", "502")
ENDPOINTS = {
    "/api/all_data/csv/by_indicator_id": "data",
    "/api/indicator_metadata/csv/by_indicator_id": "metadata",
}


def _header_only(kind: str) -> bytes:
    sample = RECORDED / ("all_data_93356.csv" if kind == "data" else "metadata_93356.csv")
    return sample.read_bytes().splitlines(keepends=True)[0]


def _without_column(body: bytes, column: str) -> bytes:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    j = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([r[:j] + r[j + 1:] for r in rows])
    return out.getvalue().encode("utf-8")


class RecordedFingertips:
    def __init__(self):
        self.faults: dict[tuple[str, str], str] = {}
        self.requests: list[str] = []
        self._release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.requests.append(self.path)
                parts = urlsplit(self.path)
                kind = ENDPOINTS.get(parts.path)
                if kind is None:
                    return self._send(404, b"not found", "text/plain")
                query = parse_qs(parts.query)
                ind = (query.get("indicator_ids") or [""])[0]
                area = (query.get("child_area_type_id") or [""])[0]
                fault = server.faults.get((kind, ind))
                if fault == "hang":
                    server._release.wait(30)
                    return None
                if fault in ("http500", "http404"):
                    return self._send(int(fault[4:]), b"<html><body>Server Error</body></html>", "text/html")
                if fault == "html":
                    return self._send(200, b"<!DOCTYPE html><html><body>Fingertips is down for maintenance</body></html>", "text/html")
                if fault == "json":
                    return self._send(200, b'{"Message": "An error has occurred."}', "application/json")
                path = RECORDED / (f"all_data_{ind}.csv" if kind == "data" else f"metadata_{ind}.csv")
                recorded = ind.isdigit() and path.exists() and (kind == "metadata" or area in RECORDED_AREA_TYPES)
                body = path.read_bytes() if recorded else _header_only(kind)
                if fault == "no-value-column":
                    body = _without_column(body, "Value")
                elif fault == "not-utf8":
                    body = b"\xff\xfe\x00\x00" + body
                elif fault == "other-indicator":
                    other = (RECORDED / "all_data_20601.csv").read_bytes().splitlines(keepends=True)
                    body = body + b"".join(other[1:3])
                return self._send(200, body, "text/csv")

            def _send(self, status: int, body: bytes, content_type: str):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/api/"

    def start(self) -> RecordedFingertips:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def recorded_fingertips():
    server = RecordedFingertips().start()
    try:
        yield server
    finally:
        server.stop()
