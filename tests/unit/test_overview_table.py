"""The overview table's rows (data/domain/overview_table.py): one per indicator, grouped by set, the
same status and change as status.py says, every cell in words."""
from __future__ import annotations

from data.domain.formatting import display_name, format_period, format_value
from data.domain.overview_table import overview_rows, trend_words
from data.domain.status import OVERDUE, indicator_status


def test_ovt001_one_row_per_indicator_in_set_order(bundled):
    rows = overview_rows(bundled, "2023/24")
    assert [r.id for r in rows] == [i for s in bundled.sets for i in bundled.indicators.index[bundled.indicators["set"] == s]]
    assert [r.name for r in rows] == [display_name(bundled.indicator(r.id)) for r in rows]
    assert overview_rows(bundled, "2023/24") == rows  # built once per version and year


def test_ovt002_values_periods_and_status_are_status_pys(bundled):
    status = indicator_status(bundled, "2023/24")
    for r in overview_rows(bundled, "2023/24"):
        st = status.loc[r.id]
        unit = bundled.indicator(r.id)["unit"]
        assert r.status == st["status"] and r.status_text == st["status_label"]
        if r.value:
            assert r.value == format_value(st["latest_value"], unit)
            assert r.period == format_period(st["latest_period"]) and r.published_period == st["latest_period"]
        assert bool(r.reason) == bool(st["pending"])


def test_ovt003_an_overdue_row_carries_its_own_reason_not_the_whole_footnote(bundled):
    row = {r.id: r for r in overview_rows(bundled, "2023/24")}["reception-overweight"]
    assert row.status == OVERDUE and row.status_text == "Overdue: expected November 2024"
    assert "National Child Measurement Programme" in row.reason
    assert "hospital admissions" not in row.reason.lower()


def test_ovt004_change_only_between_comparable_values_with_its_judgement(bundled):
    rows = {r.id: r for r in overview_rows(bundled, "2023/24")}
    status = indicator_status(bundled, "2023/24")
    changed = status[status["change"].notna()]
    assert len(changed) >= 3
    for ind_id, st in changed.iterrows():
        row = rows[str(ind_id)]
        assert row.movement == ("up" if st["change"] > 0 else "down" if st["change"] < 0 else "same")
        assert row.change_word == st["change_judgement"] and row.change in st["change_text"]
        assert f"({row.change_word})" not in row.change  # said once, as its own word
    # Across a break in source no change is claimed (issue 13): the row says why instead.
    assert rows["year6-overweight"].change.startswith("no change stated: the source changed after 2017/18")
    assert rows["year6-overweight"].change_word == ""


def test_ovt005_england_comparison_is_status_pys(bundled):
    rows = {r.id: r for r in overview_rows(bundled, "2023/24")}
    status = indicator_status(bundled, "2023/24")
    assert rows["fingertips-dental-decay-free-5"].comparison == "Better than England (as the source states)"
    for ind_id, st in status.iterrows():
        assert (rows[str(ind_id)].comparison == "") == (st["comparison"] == "not compared" or not st["comparison_basis"])


def test_ovt006_the_sparkline_is_on_a_time_axis_and_said_in_words(bundled):
    rows = {r.id: r for r in overview_rows(bundled, "2023/24")}
    row = rows["reception-overweight"]
    xs = [x for x, _ in row.trend]
    assert xs == sorted(xs) and xs[0] == 0
    assert row.trend_text.startswith(f"Trend: {len(row.trend)} values from ")
    assert "/" in row.trend_text and "%" in row.trend_text
    assert rows["smoking-at-delivery"].trend == () and trend_words(None, "%") == ""


def test_ovt007_a_year_change_patches_only_the_tables_status_cells_and_titles(bundled):
    import copy
    import json

    from data.domain.status import reporting_years
    from layouts.overview import TABLE, cached_sections, sections_update, shown

    def apply(tree, patch):  # Assign operations, as the renderer applies them
        out = copy.deepcopy(tree)
        for op in patch["operations"]:
            assert op["operation"] == "Assign"
            *parents, last = op["location"]
            node = out
            for key in parents:
                node = node[key]
            node[last] = op["params"]["value"]
        return out

    years = reporting_years(bundled)
    for new in years[:3]:
        update = sections_update(bundled, shown(bundled, years[0], TABLE), new, TABLE)
        assert update["__dash_patch_update"] == "__dash_patch_update"
        assert len(json.dumps(update)) < len(json.dumps(cached_sections(bundled, new, TABLE))) / 2
        for old in years[:3]:
            assert apply(cached_sections(bundled, old, TABLE), update) == cached_sections(bundled, new, TABLE), (old, new)
    # From the tiles, or without a record of the page: the whole table.
    assert sections_update(bundled, shown(bundled, years[0]), years[1], TABLE) is cached_sections(bundled, years[1], TABLE)
    assert sections_update(bundled, None, years[1], TABLE) is cached_sections(bundled, years[1], TABLE)


def test_ovt008_each_years_table_is_the_fresh_build_byte_for_byte(bundled):
    """The table is built once per version and each year only puts in its titles and status cells:
    every year's table must be what building it from scratch sends, and no node appears twice."""
    import json

    from data.domain.status import reporting_years
    from layouts.overview import TABLE, cached_sections, table_sections
    from layouts.serialised import as_sent

    def nodes(tree):
        yield tree
        children = tree if isinstance(tree, list) else tree.values() if isinstance(tree, dict) else ()
        for child in children:
            if isinstance(child, (list, dict)):
                yield from nodes(child)

    statuses = set()
    for year in reporting_years(bundled):
        sent = cached_sections(bundled, year, TABLE)
        assert json.dumps(sent) == json.dumps(as_sent(table_sections(bundled, year))), year
        containers = list(nodes(sent))
        assert len({id(n) for n in containers}) == len(containers), year
        statuses.add(tuple(r.status for r in overview_rows(bundled, year)))
    assert len(statuses) > 2  # the years really differ in their status cells


def test_ovt009_status_year_columns_alone_change_with_the_year_and_ages_are_series_pys(bundled):
    from data.domain.dataset import HOME_AREA
    from data.domain.series import age_in_years
    from data.domain.status import _latest_two, _totals_with_values, reporting_years

    latest, _ = _latest_two(_totals_with_values(bundled.observations, HOME_AREA))
    years = reporting_years(bundled)
    first = indicator_status(bundled, years[0])
    year_columns = ["status", "pending", "overdue", "pending_reason", "status_label", "age_years", "age_text", "stale", "status_reason"]
    for year in years:
        status = indicator_status(bundled, year)
        assert list(status.columns) == list(first.columns) and (status.dtypes == first.dtypes).all()
        fixed = [c for c in status.columns if c not in year_columns]
        assert status[fixed].equals(first[fixed]), year
        for ind_id, row in latest.iterrows():
            expected = age_in_years(row["period_start"], row["period_end"], year)
            got = status.at[ind_id, "age_years"]
            assert (expected is None and got != got) or got == expected, (year, ind_id)


def test_ovt010_each_years_tiles_are_the_fresh_build_byte_for_byte(bundled):
    """The tiles view too: its sets' sections are built once per version and a year puts in its slots."""
    import json

    from data.domain.status import reporting_years
    from layouts.overview import TILES, cached_sections, overview_sections
    from layouts.serialised import as_sent

    pending = set()
    for year in reporting_years(bundled):
        sent = cached_sections(bundled, year, TILES)
        assert json.dumps(sent) == json.dumps(as_sent(overview_sections(bundled, year))), year
        pending.add(json.dumps(sent[1]))
    assert len(pending) > 2  # the pending box really differs between years
