"""Period labels as the report and Fingertips print them (data/domain/periods.py)."""
from datetime import date

import pytest

from data.domain.periods import PeriodError, financial_year, parse_period

D = date

# label -> (type, start, end); one case per form in the report and the Fingertips extracts.
FORMS = {
    # the report
    "22/23": ("financial year", D(2022, 4, 1), D(2023, 3, 31)),
    "Q2 23/24": ("quarter", D(2023, 7, 1), D(2023, 9, 30)),
    "20-22": ("rolling multi-year", D(2020, 1, 1), D(2022, 12, 31)),
    "20/21-22/23": ("rolling multi-year", D(2020, 4, 1), D(2023, 3, 31)),
    "Sept 2023": ("month", D(2023, 9, 1), D(2023, 9, 30)),
    "2021": ("calendar year", D(2021, 1, 1), D(2021, 12, 31)),
    "Feb 2022": ("month", D(2022, 2, 1), D(2022, 2, 28)),
    "June 2023": ("month", D(2023, 6, 1), D(2023, 6, 30)),
    "Q1 24/25": ("quarter", D(2024, 4, 1), D(2024, 6, 30)),
    "2023/24": ("financial year", D(2023, 4, 1), D(2024, 3, 31)),
    "2023-24": ("financial year", D(2023, 4, 1), D(2024, 3, 31)),
    "Sept 2023 - March 2024": ("date range", D(2023, 9, 1), D(2024, 3, 31)),
    "not stated": ("not stated", None, None),
    # Fingertips
    "2014/15": ("financial year", D(2014, 4, 1), D(2015, 3, 31)),
    "2020/21 - 24/25": ("rolling multi-year", D(2020, 4, 1), D(2025, 3, 31)),
    "2015": ("calendar year", D(2015, 1, 1), D(2015, 12, 31)),
    "2021/2022": ("financial year", D(2021, 4, 1), D(2022, 3, 31)),
    "2013 - 15": ("rolling multi-year", D(2013, 1, 1), D(2015, 12, 31)),
    "2019/20 Q3": ("quarter", D(2019, 10, 1), D(2019, 12, 31)),
    # edges: Q4 falls in the next calendar year, leap February, a year across the century
    "Q4 23/24": ("quarter", D(2024, 1, 1), D(2024, 3, 31)),
    "Feb 2024": ("month", D(2024, 2, 1), D(2024, 2, 29)),
    "1999/00": ("financial year", D(1999, 4, 1), D(2000, 3, 31)),
    "Q4 99/00": ("quarter", D(2000, 1, 1), D(2000, 3, 31)),
}


@pytest.mark.parametrize("label", FORMS)
def test_per001_form_gives_type_and_dates(label):
    ptype, start, end = FORMS[label]
    period = parse_period(label)
    assert (period.label, period.type, period.start, period.end) == (label, ptype, start, end)


@pytest.mark.parametrize(
    "label, ptype, start, end",
    [
        ("22/23", "academic year", D(2022, 9, 1), D(2023, 8, 31)),
        ("2023/24", "academic year", D(2023, 9, 1), D(2024, 8, 31)),
        ("22/23", "financial year", D(2022, 4, 1), D(2023, 3, 31)),
        ("2021", "census", D(2021, 1, 1), D(2021, 12, 31)),
        ("Feb 2022", "survey date", D(2022, 2, 1), D(2022, 2, 28)),
    ],
)
def test_per002_period_type_overrides_the_default(label, ptype, start, end):
    period = parse_period(label, ptype)
    assert (period.type, period.start, period.end) == (ptype, start, end)


@pytest.mark.parametrize(
    "label, ptype",
    [("Q2 23/24", "census"), ("2021", "academic year"), ("20-22", "financial year"), ("22/23", "fortnight")],
)
def test_per003_refused_override_raises(label, ptype):
    with pytest.raises(PeriodError, match=ptype):
        parse_period(label, ptype)


@pytest.mark.parametrize("label", ["23/25", "Q5 23/24", "Foo 2023", "2023/24/25", "22-20", "", "next year", "2023/22", "Sept 2024 - March 2023"])
def test_per004_unknown_form_names_the_label(label):
    with pytest.raises(PeriodError) as caught:
        parse_period(label)
    assert f"'{label}'" in str(caught.value)


def test_per005_label_is_trimmed_and_case_free():
    period = parse_period(" q2 23/24 ")
    assert (period.label, period.type, period.start, period.end) == ("q2 23/24", "quarter", D(2023, 7, 1), D(2023, 9, 30))
    assert parse_period("SEPT 2023").start == D(2023, 9, 1)


def test_per006_non_text_label_raises():
    with pytest.raises(PeriodError):
        parse_period(2021)


@pytest.mark.parametrize("label, ok", [("2023/24", True), ("23/24", True), ("2023", False), ("Q2 23/24", False), ("Sept 2023", False)])
def test_per007_reporting_year_must_be_a_financial_year(label, ok):
    if ok:
        assert financial_year(label).type == "financial year"
    else:
        with pytest.raises(PeriodError, match="not a financial year"):
            financial_year(label)


@pytest.mark.parametrize("label", ["22/23", "Q2 23/24", "20-22", "Sept 2023 - March 2024"])
def test_per008_midpoint_is_between_start_and_end(label):
    period = parse_period(label)
    assert period.start < period.midpoint < period.end


def test_per009_not_stated_has_no_midpoint():
    assert parse_period("not stated").midpoint is None


def test_per010_rolling_calendar_years_across_the_century():
    period = parse_period("1998 - 00")
    assert (period.start, period.end) == (D(1998, 1, 1), D(2000, 12, 31))
