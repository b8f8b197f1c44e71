"""Location-allocation on a dense cost matrix: where to put P new services.

Problems (all keep EXISTING facilities open when given; P counts new sites only):

- ``pmedian``: minimise total demand-weighted cost to the nearest open site.
- ``mclp``: maximal covering: maximise the demand within ``threshold`` of an open site.
- ``lscp``: location set covering: the fewest new sites that put every coverable demand unit
  within ``threshold`` (P is not used).
- ``cpmedian``: capacitated p-median: as ``pmedian`` but no site serves more demand than its
  capacity. A demand unit's demand may be split between sites (``single_source=False``, the
  default) or must go to one site (``single_source=True``, exact solver only).

Solving: a greedy start, then Teitz–Bart vertex substitution (fast interchange, vectorised),
then a Lagrangian relaxation of the assignment constraints whose bound proves optimality or
measures the gap, and whose reduction tests fix candidates open or closed. When the problem
left over is small enough it is solved exactly with ``scipy.optimize.milp`` (HiGHS, present
since scipy 1.9); the result says which method gave the answer and the proven gap.

Costs: ``cost`` is ``(n_demand, n_candidates)`` (and ``existing_cost`` ``(n_demand,
n_existing)``) with ``numpy.inf`` for unreachable pairs. A demand unit that reaches no site
at all is left out of the optimisation and reported in ``unreachable``; one that reaches only
some sites counts at a penalty cost (10 × the largest finite cost + 1) while unserved, so
serving it always beats leaving it unserved.

What lives where:

- :mod:`.solve`: :func:`solve`, the one entry point on a cost matrix (and :func:`brute_force`,
  the tests' exhaustive check);
- :mod:`.frames`: :func:`solve_geodataframes`, the same from GeoDataFrames (straight-line metres),
  in the shape of spopt's ``PMedian.from_geodataframe``;
- :mod:`.pmedian` (p-median and MCLP), :mod:`.coverage` (LSCP and the covering MILP),
  :mod:`.capacitated` (capacitated p-median): one module per problem;
- :mod:`.heuristics`: greedy, vertex substitution, Lagrangian bound, the order of gains;
- :mod:`.matrix` and :mod:`.results`: the shared cost-matrix helpers and the result types;
- :mod:`.options`: options compared (best P = 1 … P_max, and the user's candidate sets);
- :mod:`.plan`: :func:`plan_services`, the locationallocation algorithm's run on routed demand and its
  output tables.
"""
from .capacitated import capacitated_bound, transport
from .frames import Allocation, distance_matrix, solve_geodataframes
from .heuristics import greedy, lagrangian_bound, order_by_gain, vertex_substitution
from .matrix import MILP_MAX_VARIABLES, NO_SITE, objective
from .options import compare_options, parse_candidate_sets
from .plan import ServicePlan, plan_services
from .results import LocationResult, Summary, summarise
from .solve import PROBLEMS, brute_force, solve

__all__ = [
    "MILP_MAX_VARIABLES", "NO_SITE", "PROBLEMS", "Allocation", "LocationResult", "ServicePlan", "Summary",
    "brute_force", "capacitated_bound", "compare_options", "distance_matrix", "greedy", "lagrangian_bound",
    "objective", "order_by_gain", "parse_candidate_sets", "plan_services", "solve", "solve_geodataframes",
    "summarise", "transport", "vertex_substitution",
]
