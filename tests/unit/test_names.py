"""Display names (issue 14): every indicator has a short, readable name that is not a fragment of the
report's sentence, holds no value of its own, and says how it differs from a look-alike."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from data.domain.formatting import as_worded, display_name
from layouts.components import about_panel

MAX_LENGTH = 60
# A sentence fragment starts with a verb, a preposition or a relative word ("are Homeless",
# "of total births were...", "who are not in...", "The population of the York which...").
FRAGMENT_STARTS = {"are", "is", "was", "were", "of", "who", "which", "that", "and", "or", "have", "has",
                   "said", "reported", "felt", "remembered", "follow", "identify", "to", "in", "on", "the"}
# A value inside a name: "18.89%", "0.08%", "£47,500", "245 are in our care" (a number not part of an age band).
VALUE_IN_NAME = re.compile(r"\d\s*%|£\s*\d|\d+\.\d+|\d{1,3},\d{3}")


def _names(bundled):
    return {i: display_name(bundled.indicator(i)) for i in bundled.indicators.index}


def test_nam001_every_indicator_has_its_own_short_name_in_the_catalogue(bundled):
    short = bundled.indicators["short_name"].fillna("").str.strip()
    missing = list(short.index[short == ""])
    assert not missing, f"no short_name: {missing}"
    assert short.is_unique, short[short.duplicated(keep=False)].to_dict()


@pytest.mark.parametrize("check", ["length", "capital", "fragment", "value", "wording"])
def test_nam002_display_names_are_short_noun_phrases_without_values(bundled, check):
    bad = {}
    for ind_id, name in _names(bundled).items():
        first = name.split()[0].lower().strip("('\"")
        problem = {
            "length": len(name) > MAX_LENGTH,
            "capital": not name[:1].isupper(),
            "fragment": first in FRAGMENT_STARTS or name.rstrip().endswith((".", ",", ":", "-")),
            "value": bool(VALUE_IN_NAME.search(name)),
            "wording": "'" in name.replace("'s ", "") or "?" in name,  # a quoted survey question is not a name
        }[check]
        if problem:
            bad[ind_id] = name
    assert not bad, f"{check}: {bad}"


def test_nam003_look_alike_series_say_how_they_differ(bundled):
    names = _names(bundled)
    report_self_harm, asr = names["self-harm-admissions-10-24"], names["fingertips-self-harm-admissions-10-24-asr"]
    assert report_self_harm != asr
    assert "age-standardised" in asr.lower() and "age-standardised" not in report_self_harm.lower()
    assert "report" in report_self_harm.lower()
    report_neet, ft_neet = names["neet-16-17"], names["fingertips-neet-16-17"]
    assert "not known" in ft_neet.lower() and "not known" not in report_neet.lower()
    assert "report" in report_neet.lower()
    # The Aged 12+ list's SEN line repeats the primary wording with another figure: its name says so.
    assert names["secondary-list-sen-support-as-worded"] != names["primary-sen-support"]


def test_nam004_the_share_of_population_name_no_longer_holds_its_value(bundled):
    ind = bundled.indicator("population-0-18-share")
    assert "18.89%" in ind["name"]  # the report's wording, kept
    assert "%" not in display_name(ind) and "18.89" not in display_name(ind)


def test_nam005_display_name_falls_back_to_the_wording_with_a_capital():
    assert display_name(pd.Series({"name": "mothers smoking at the time of delivery", "short_name": ""})) == "Mothers smoking at the time of delivery"
    assert display_name({"name": "x", "short_name": "  Short  "}) == "Short"
    assert display_name({"name": "are Homeless"}) == "Are Homeless"


def test_nam006_about_this_data_keeps_the_report_wording(bundled):
    ind = bundled.indicator("census-homeless")
    panel = str(about_panel(ind, bundled.observations_for(["census-homeless"]), None, "2023/24").to_plotly_json())
    assert "As the report words it" in panel
    assert as_worded(ind) in panel and as_worded(ind) == "are Homeless"
