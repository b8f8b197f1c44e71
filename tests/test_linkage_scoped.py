"""Linkage leaves the process as it found it: the plugin shares its Python with QGIS and other
plugins, so the matcher's quietening (its loggers to warnings, its DeprecationWarning ignored) is
for the run only (issue 18)."""
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
    from joinedup.engine.linkage import link_addresses
    from joinedup.engine.linkage_matcher import MATCHER_LOGGERS

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
    logging.getLogger(MATCHER_LOGGERS[0]).setLevel(logging.NOTSET)
    assert linked["match_method"].iloc[0] in ("trigram", "probabilistic")
    assert int(linked["matched_uprn"].iloc[0]) == 3300
