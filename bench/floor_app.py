"""The chart floor (issue 15, 1b): a minimal Dash app, a dropdown driving a go.Figure line chart.

Served exactly like the app (bench/server.py: gunicorn, 2 workers; Dash's compress=True and
serve_locally as app.py sets them), its one callback is what the least a "choose something, see a
chart" Dash callback costs on this machine: the denominator of the app's callback ratios. The
chart is York's series of the chosen bundled indicator (data/bundled, the report and OHID
Fingertips, OGL v3.0), read once at start as a typical analyst's app would; nothing is cached
between requests.
"""
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html

BUNDLED = Path(__file__).resolve().parents[1] / "data" / "bundled"
_frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(BUNDLED.glob("*_observations.csv"))]
OBS = pd.concat(_frames, ignore_index=True)
OBS = OBS[OBS["area_code"] == "E06000014"].assign(value=lambda f: pd.to_numeric(f["value"], errors="coerce"))
INDICATORS = sorted(OBS["indicator_id"].unique())

app = Dash(__name__, compress=True, serve_locally=True)
app.layout = html.Div([
    dcc.Dropdown(id="floor-in", options=INDICATORS, value=INDICATORS[0]),
    dcc.Graph(id="floor-out"),
])


@app.callback(Output("floor-out", "figure"), Input("floor-in", "value"))
def chart(indicator_id):
    rows = OBS[OBS["indicator_id"] == indicator_id]
    return go.Figure(go.Scatter(x=rows["period"], y=rows["value"], mode="lines+markers", name=indicator_id),
                     layout={"title": indicator_id})


server = app.server
