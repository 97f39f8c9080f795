"""gunicorn's settings for every run from the repository root (the Procfile, the bench, the tests):
gunicorn reads ./gunicorn.conf.py by default; command-line flags still win.

preload_app: the master imports the app and runs create_app once (schema check, seed on an empty store),
then forks the workers, which share its imported modules. Without it every worker imports pandas, Dash,
SQLAlchemy and the app itself on its own (~2-4 s each on 2 busy cores): time to data at 1M was 4.4 s,
nearly all of it that start-up (bench/NOTES.md).

No database connection may cross the fork: the master closes every pooled connection of the store
before each fork (pre_fork), and each worker drops whatever pool it inherited without touching the
parent's sockets (post_fork, SQLAlchemy's dispose(close=False)).
"""
from __future__ import annotations

import sys

preload_app = True


def _store():
    """The store of the app the master loaded (None for the bench's floor app, or before it is built)."""
    module = sys.modules.get("app")
    built = getattr(module, "_built", {}) if module is not None else {}
    if "app" not in built:
        return None
    from callbacks.context import EXTENSION_KEY

    return getattr(built["app"].server.extensions.get(EXTENSION_KEY), "store", None)


def pre_fork(server, worker):  # gunicorn calls it with these arguments
    store = _store()
    if store is not None:
        store.dispose()  # in the master: close its connections, so no worker inherits one


def post_fork(server, worker):
    store = _store()
    if store is not None:
        for engine in {id(e): e for e in (store.engine, store.reader)}.values():
            engine.dispose(close=False)  # a fresh pool; never close a socket the parent may hold
