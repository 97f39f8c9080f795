"""The framework floor: a minimal Dash app (one dcc.Input -> html.Div callback), served like the app.

gunicorn bench.floor_app:server --workers 2 (bench/server.py); its callback's latency is the least
any Dash callback costs on this machine, the denominator of the app's callback ratio.
"""
from dash import Dash, Input, Output, dcc, html

app = Dash(__name__)
app.layout = html.Div([dcc.Input(id="floor-in", value="a", type="text"), html.Div(id="floor-out")])


@app.callback(Output("floor-out", "children"), Input("floor-in", "value"))
def echo(value):
    return f"You typed {value}"


server = app.server
