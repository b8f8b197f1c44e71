"""A routable transport network built from line features, and the analyses on it.

Topology follows QGIS's own network analysis (``QgsVectorLayerDirector``) so that results
agree on the same data: every vertex of every line is a node, every straight segment an edge
(``net.edges``, ``source_row`` naming the input feature); lines that share a vertex (within
``tolerance_m``) are connected, lines that cross without one (bridges, tunnels) are not; a
point snaps to the nearest point on the nearest usable edge, whose cost is split there;
costs run from snapped point to snapped point (the access leg, ``snap_dist_m``, is added
only on request). Searches from many sources run in compiled code (``scipy.sparse.csgraph``)
in chunks, with a cancel check between chunks. Units: metres of the projected CRS,
seconds, km/h.

One concern per module, in dependency order:

- ``osm``: OpenStreetMap presets: travel modes, highway classes, speeds, ``maxspeed``,
  ``oneway`` and access tags.
- ``build``: :class:`BuildOptions` and the steps from a line layer to edges and nodes
  (usable lines, direction, speed, segments, merged vertices).
- ``csr``: sparse-graph helpers for the searches (cheapest parallel arc, stacking virtual
  nodes, sums along shortest-path trees).
- ``snapping``: :class:`Snap` and snapping points to edges.
- ``search``: shortest-path searches (cost matrices, routes, costs to every node), as a
  base class of ``Network`` that builds on snapping.
- ``storage``: saving a network to a GeoPackage and reading its edges back.
- ``model``: the :class:`Network` record: built from lines (``build``) or saved edges
  (``storage``), with the graphs per weight, components, and the search methods.
- ``tables``: OD tables, route tables, closest facilities, access legs, unreachable reasons.
- ``service_areas`` and ``area_polygons``: reached street pieces, and polygons around them.
- ``outputs``: the whole tables the algorithms write (every input point once, straight
  lines, paired routes, closest-facility rows, service-area limits).
- ``check``: network diagnostics.

Import from ``engine.network`` (this package re-exports every public name); the old
``engine.network_tools`` module still re-exports the analyses.
"""
from .build import DIRECTIONS, BuildOptions, merge_vertices
from .check import check_network, island_lines, summary_table
from .model import Network
from .osm import (
    DEFAULT_BACKWARD,
    DEFAULT_BOTH,
    DEFAULT_FORWARD,
    MAXSPEED_WORDS,
    MODE_CLASSES,
    MODE_SPEEDS_KMH,
    MODES,
    MPH_KMH,
    OSM_BACKWARD,
    OSM_BOTH,
    OSM_DRIVE_SPEEDS_KMH,
    OSM_FORWARD,
    osm_tag,
    parse_maxspeed,
)
from .outputs import (
    FACILITY_DIRECTIONS,
    PAIRINGS,
    closest_facility_table,
    facility_limits,
    no_polygons,
    od_lines,
    paired_routes,
    parse_bands,
    point_xy,
    straight_lines,
)
from .search import WEIGHTS, Route
from .service_areas import service_areas
from .snapping import Snap, empty_snap
from .tables import access_cost, closest_facilities, k_nearest, od_table, route_table, unreachable_reasons

__all__ = [
    "DEFAULT_BACKWARD", "DEFAULT_BOTH", "DEFAULT_FORWARD", "DIRECTIONS", "FACILITY_DIRECTIONS", "MAXSPEED_WORDS",
    "MODES", "MODE_CLASSES", "MODE_SPEEDS_KMH", "MPH_KMH", "OSM_BACKWARD", "OSM_BOTH", "OSM_DRIVE_SPEEDS_KMH",
    "OSM_FORWARD", "PAIRINGS", "WEIGHTS",
    "BuildOptions", "Network", "Route", "Snap",
    "access_cost", "check_network", "closest_facilities", "closest_facility_table", "empty_snap", "facility_limits",
    "island_lines", "k_nearest", "merge_vertices", "no_polygons", "od_lines", "od_table", "osm_tag", "paired_routes",
    "parse_bands", "parse_maxspeed", "point_xy", "route_table", "service_areas", "straight_lines", "summary_table",
    "unreachable_reasons",
]
