"""The app (or the floor app) as gunicorn serves it, plus one response header naming the worker's pid
(measure.WORKER_HEADER), so the bench can tell when EVERY worker has answered (time to data, the first
request after a publish). A WSGI wrapper around the unchanged app: a few microseconds a request.

    gunicorn bench.probe:server            # the app
    gunicorn bench.probe:floor_server      # the chart floor, wrapped the same way
"""
from __future__ import annotations

import os

from bench.measure import WORKER_HEADER


class _Tag:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def tagged(status, headers, exc_info=None):
            return start_response(status, [*headers, (WORKER_HEADER, str(os.getpid()))], exc_info)

        return self.wsgi_app(environ, tagged)


def __getattr__(name: str):
    if name == "server":
        from app import server as flask_server
    elif name == "floor_server":
        from bench.floor_app import server as flask_server
    else:
        raise AttributeError(name)
    flask_server.wsgi_app = _Tag(flask_server.wsgi_app)
    globals()[name] = flask_server
    return flask_server
