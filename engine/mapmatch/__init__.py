"""Hidden-Markov-model map matching (Newson & Krumm 2009) of GPS tracks to a network.

For each GPS point the candidate states are the nearest points on the ``k`` nearest edges
within ``radius_m`` (found through an STRtree). Emission: Gaussian in the distance from the
GPS point to the candidate, ``log p = -0.5 (d / sigma_m)^2``. Transition: exponential in the
difference between the network distance from one candidate to the next and the straight-line
distance between the two GPS points, ``log p = -|route_m - straight_m| / beta_m``. The most
likely sequence comes from Viterbi, run for all track pieces at once (one numpy step per
position in the track, across all tracks).

Network distances between candidates are batched: every (exit node, entry node) pair a chunk
of tracks needs is collected, de-duplicated and answered by scipy's compiled Dijkstra from
the unique exit nodes, bounded by ``straight + max_detour_m`` (no Python search per pair).

What happens to each point (the ``status`` of the point output):
- ``matched``: on the matched route (edge id, matched position and offset given);
- ``off network``: no edge within ``radius_m``;
- the reasons from :mod:`engine.tracks` (no geometry, no time, duplicate time, ...).
Points closer than ``min_step_m`` (default 2 sigma) to the previous kept point are not used as
HMM states (Newson & Krumm's thinning) but are matched afterwards to the nearest edge of the
route that was found around them. A track piece is split where no candidate of one point can
reach any candidate of the next within the detour bound ("routing gap").

The package: ``names`` (point statuses), ``graph`` (the network for matching), ``hmm`` (the
model and Viterbi), ``routes`` (route lines, recovery), ``layer`` (a point layer in, the
outputs out). Every name is importable from ``engine.mapmatch`` as before the split.
"""
from __future__ import annotations

from .graph import MatchGraph, _edge_directions  # noqa: F401
from .hmm import (  # noqa: F401
    MatchOptions,
    MatchResult,
    _match_chunk,
    _match_thinned,
    _positions,
    _route_distances,
    _thin,
    _traversals,
    match_tracks,
)
from .layer import _as_time, _quality, _time_lookup, match_layer  # noqa: F401
from .names import MATCHED, OFF_NETWORK  # noqa: F401
from .routes import recovery, route_geometries  # noqa: F401
