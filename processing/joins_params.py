"""Parameters the join algorithms share, and the one place where their dialog indices become the
engine's names (``engine/joins``), so dialogs and models keep QGIS's ids.

Kept free of the engine's imports: the provider lists the algorithms even when geopandas is
missing. The name lists equal the engine's (``tests/test_joins_cases.py`` checks).
"""
from __future__ import annotations

from qgis.core import QgsProcessingParameterEnum

# PREDICATE ids 0-6 as QGIS's joinattributesbylocation, 7 = within DISTANCE.
PREDICATE_NAMES = ("intersects", "contains", "equals", "touches", "overlaps", "within", "crosses", "dwithin")
PREDICATE_LABELS = ("intersect", "contain", "equal", "touch", "overlap", "are within", "cross",
                    "are within DISTANCE of")
# METHOD ids 0-2 as QGIS's joinattributesbylocation, 3 = its summary join.
METHOD_NAMES = ("one-to-many", "first", "largest-overlap", "summary")
METHOD_LABELS = (
    "Create separate feature for each matching feature (one-to-many)",
    "Take attributes of the first matching feature only (one-to-one)",
    "Take attributes of the feature with largest overlap only (one-to-one)",
    "Summarise the matching features (one row per input feature)",
)
# SUMMARIES ids 0-18 as QGIS's joinbylocationsummary, then 19 first, 20 last, 21 concatenate.
SUMMARY_NAMES = ("count", "unique", "min", "max", "range", "sum", "mean", "median", "stddev",
                 "minority", "majority", "q1", "q3", "iqr", "empty", "filled", "min_length",
                 "max_length", "mean_length", "first", "last", "concat")
SUMMARY_LABELS = ("count", "unique count", "min", "max", "range", "sum", "mean", "median",
                  "stddev (population)", "minority", "majority", "q1", "q3", "iqr",
                  "empty (null)", "filled (not null)", "min length", "max length",
                  "mean length", "first", "last", "concatenate")
INVALID_GEOMETRIES = "INVALID_GEOMETRIES"
INVALID_POLICIES = ("repair", "skip")
INVALID_LABELS = ("Repair them (GEOS make-valid)", "Skip them (treated as matching nothing)")


def predicate_names(indices) -> tuple:
    """The engine's predicate names for the dialog's PREDICATE ids (none chosen: intersects)."""
    return tuple(PREDICATE_NAMES[i] for i in (indices or [0]))


def method_name(index: int) -> str:
    return METHOD_NAMES[index]


def summary_names(indices) -> tuple:
    """The engine's statistic names for the dialog's SUMMARIES ids (none: all that apply)."""
    return tuple(SUMMARY_NAMES[i] for i in indices or ())


def add_invalid_geometries_parameter(alg, help_text: str) -> None:
    """The INVALID_GEOMETRIES choice (0 repair, 1 skip) the three join algorithms share."""
    alg.add_parameter(QgsProcessingParameterEnum(
        INVALID_GEOMETRIES, alg.tr("Invalid geometries"), options=[alg.tr(t) for t in INVALID_LABELS],
        defaultValue=0), help_text)


def invalid_policy(alg, parameters, context) -> str:
    """The engine's name ('repair' or 'skip') for the INVALID_GEOMETRIES choice."""
    return INVALID_POLICIES[alg.parameterAsEnum(parameters, INVALID_GEOMETRIES, context)]
