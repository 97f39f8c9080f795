"""Component trees as the plain JSON Dash sends for them.

Dash serialises a returned component tree on every request: each component's
to_plotly_json and each Figure's to_dict in Python. A tree kept in a per-version
cache is converted once here instead, so later requests only pay the C JSON
encoder. The bytes on the wire are the same (tests compare them).
"""
from __future__ import annotations

import json

from plotly.io.json import to_json_plotly


def as_sent(tree):
    """The tree (components, figures, lists) as the plain lists and dicts Dash would send."""
    return json.loads(to_json_plotly(tree, pretty=False, engine="json"))
