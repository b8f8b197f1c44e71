"""Joining one layer's attributes to another by place, and profiling areas with many layers.

Plain functions on GeoDataFrames; no QGIS. What lives where:

- :mod:`.by_location`: :func:`join_by_location` (QGIS's ``native:joinattributesbylocation``
  and ``native:joinbylocationsummary`` in one call) and its :data:`METHODS`.
- :mod:`.nearest`: :func:`join_nearest` (``native:joinbynearest``, distances in metres).
- :mod:`.matching`: which INPUT features meet which JOIN features (:data:`PREDICATES`,
  :func:`match_pairs`, and :func:`match_pairs_xy` for JOIN points as bare coordinates).
- :mod:`.statistics`: the summary statistics, calculated as QGIS calculates them
  (:data:`SUMMARIES`).
- :mod:`.layers`: what every join does to its layers (field checks, usable geometries, one
  CRS, QGIS's rule for clashing field names) and :class:`JoinResult`.
- :mod:`.profile`: :func:`area_profile` (and :func:`profile_areas`, the same from named frames
  and a VALUE_FIELDS text) and the rules that name its columns.

Arguments are names, in QGIS's own vocabulary where it has one: ``predicates=("intersects",
"touches")``, ``method="summary"``, ``summaries=("count", "mean")``. The dialogs' list indices
are mapped to these names in ``processing/joins_params.py``, so models keep QGIS's ids.

Conventions shared with QGIS (so a model can swap ``native:`` for ``joinedup:``): a predicate
reads "INPUT feature <predicate> JOIN feature"; several predicates match when any holds; the
first match is the matching JOIN feature that comes first in the JOIN layer's order; summary
fields are named ``<prefix><field>_<stat>``; output field names that clash with INPUT's get
``_2``, ``_3`` ... (QGIS's rule).

Where JoinedUp differs on purpose: an INPUT feature with no match keeps count-like
statistics (count, unique, empty, filled) and sum at 0, not NULL; a JOIN layer in another
CRS is reprojected and the log says so; "dwithin" and nearest-neighbour distances are always
metres (a geographic layer is measured in its local UTM zone).
"""
from .by_location import METHODS, join_by_location
from .layers import JoinResult, unique_field_names
from .matching import PREDICATES, _axis_aligned_rectangles, match_pairs, match_pairs_xy, points_from_xy
from .nearest import join_nearest
from .profile import ProfileLayer, area_profile, parse_value_fields, profile_areas, profile_column_names, sanitise_name
from .statistics import SUMMARIES, SUMMARY_LABELS

__all__ = [
    "METHODS", "PREDICATES", "SUMMARIES", "SUMMARY_LABELS", "JoinResult", "ProfileLayer", "area_profile",
    "join_by_location", "join_nearest", "match_pairs", "match_pairs_xy", "parse_value_fields", "points_from_xy",
    "profile_areas", "profile_column_names", "sanitise_name", "unique_field_names",
    "_axis_aligned_rectangles",  # tested on its own: the point matcher's shortcut for grid cells
]
