"""Getis-Ord Gi* hot spots on areas or on points counted into a grid.

Spatial weights are binary ``scipy.sparse`` matrices (zero diagonal): contiguity (queen:
sharing any point; rook: sharing an edge), a fixed distance band between centroids, or the
k nearest centroids. Gi* adds each unit to its own neighbourhood (self weight 1).

The statistic and its analytical moments follow PySAL esda's ``G_Local(star=True)``:

    G*_i = sum_j w*_ij y_j / sum_j y_j,   E = W_i / n,
    V = W_i (n - W_i) / (n - 1) / n^2 * s^2 / ybar^2,   z = (G*_i - E) / sqrt(V)

with ``W_i`` the row sum of the (self-including) weights and ``s^2`` the population variance.
With binary weights (``transform='B'``, the default) this is the classic Ord & Getis (1995)
Gi* z-score that ArcGIS reports; ``transform='R'`` row-standardises first (esda's default).

Inference: the two-sided normal p-value of z, or a conditional permutation pseudo p-value
(each unit's own value fixed, its neighbours drawn at random from the other units; seeded),
computed as esda does: ``(min(larger, perms - larger) + 1) / (perms + 1)``, doubled for a
two-sided test. Optionally Benjamini-Hochberg false-discovery-rate adjusted. Classes
(``gi_bin``): +3/+2/+1 hot spot at 99/95/90 % confidence, 0 not significant, -1/-2/-3 cold.
Units with no neighbour (islands) get a null z and are reported, never an error.

The package: ``names`` (labels and choices), ``weights`` (spatial weights), ``gi`` (the
statistic, inference, classes), ``grid`` (point grids), ``publication`` (disclosure-safe grid
counts), ``layers`` (layers in, output frame out). Every name is importable from
``engine.hotspots`` as before the split.
"""
from __future__ import annotations

from .gi import GiResult, _conditional_permutation, benjamini_hochberg, classify, gi_star  # noqa: F401
from .grid import Grid, auto_cell_size, nice_number, point_grid  # noqa: F401
from .layers import HotspotLayer, _checked_field, _in_metres, gi_columns, hotspots_of_areas, hotspots_of_points  # noqa: F401
from .names import CLASS_LABELS, GRID_SHAPES, INFERENCE, ISLAND_LABEL, NO_VALUE_LABEL, WEIGHTS  # noqa: F401
from .publication import ProtectedGrid, protect_grid  # noqa: F401
from .weights import (  # noqa: F401
    _shared_segments,
    auto_distance_band,
    contiguity_weights,
    distance_band_weights,
    grid_weights,
    knn_weights,
    weights_for,
)
