"""Linkage leaves the process as it found it: the plugin shares its Python with QGIS and other
plugins, so the matcher's quietening (its loggers to warnings, its DeprecationWarning ignored) is
for the run only (issue 18), and so is its reuse of sqlglot's parses."""
import logging
import warnings

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point


def _tiny_gazetteer():
    rows = [(3100, "31 HIGH STREET, LINDWORTH"), (3300, "33 HIGH STREET, LINDWORTH"),
            (3500, "35 HIGH STREET, LINDWORTH"), (200, "2 MILL LANE, LINDWORTH")]
    return gpd.GeoDataFrame({"uprn": [r[0] for r in rows], "address": [r[1] for r in rows],
                             "postcode": ["LW1 2AB", "LW1 2AB", "LW1 2AB", "LW1 3CD"]},
                            geometry=[Point(400000 + 10 * i, 300000) for i in range(len(rows))],
                            crs="EPSG:27700")


def test_warning_filters_and_logger_levels_unchanged_by_a_run():
    """A run that reaches the matcher (a typo the exact keys cannot settle) changes neither
    ``warnings.filters`` nor the level of the matcher's loggers, whether the user had set them
    (DEBUG here) or not; and it still links the record (the matcher did run)."""
    import sqlglot

    from joinedup.engine.linkage import link_addresses
    from joinedup.engine.linkage_matcher import MATCHER_LOGGERS

    parse_one = sqlglot.parse_one
    records = pd.DataFrame({"address": ["33 Hihg Stret, Lindworth"], "postcode": ["LW1 2AB"]})
    logging.getLogger(MATCHER_LOGGERS[0]).setLevel(logging.DEBUG)  # a user's choice, to be kept
    levels_before = {name: logging.getLogger(name).level for name in MATCHER_LOGGERS}
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        filters_before = list(warnings.filters)
        linked, _ = link_addresses(records, _tiny_gazetteer(), address_fields=["address"],
                                   postcode_field="postcode", ref_uprn_field="uprn",
                                   ref_address_fields=["address"], ref_postcode_field="postcode")
        assert list(warnings.filters) == filters_before
    assert {name: logging.getLogger(name).level for name in MATCHER_LOGGERS} == levels_before
    assert sqlglot.parse_one is parse_one
    logging.getLogger(MATCHER_LOGGERS[0]).setLevel(logging.NOTSET)
    assert linked["match_method"].iloc[0] in ("trigram", "probabilistic")
    assert int(linked["matched_uprn"].iloc[0]) == 3300


def test_sql_parses_reused_during_runs_only():
    """While the matcher runs, sqlglot.parse_one gives a copy of its first parse of the same
    text: equal to a fresh parse, never the same object (a caller changing its tree leaves the
    next parse whole); two runs at once (two threads) restore sqlglot when the last ends."""
    import sqlglot

    from joinedup.engine.linkage_matcher import reused_sql_parses

    original = sqlglot.parse_one
    sql = "l.postcode = r.postcode AND jaro_winkler_similarity(l.street, r.street) > 0.9"
    with reused_sql_parses():
        with reused_sql_parses():
            first = sqlglot.parse_one(sql, read="duckdb")
        second = sqlglot.parse_one(sql, read="duckdb")
        assert sqlglot.parse_one is not original
    assert sqlglot.parse_one is original
    fresh = original(sql, read="duckdb")
    assert first is not second and first == second == fresh
    first.set("this", None)
    with reused_sql_parses():
        assert sqlglot.parse_one(sql, read="duckdb").sql("duckdb") == fresh.sql("duckdb")
