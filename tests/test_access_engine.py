"""The accessibility and location-allocation engine on cost matrices: hand-computed cases,
brute-force enumeration and PySAL spopt (a test-only oracle) for the objectives, and the bad
inputs a GIS officer meets."""
import itertools
import math
import warnings

import numpy as np
import pytest

from joinedup.engine import accessibility, location
from joinedup.engine.errors import EngineCancelled, Feedback, InputError

# --- accessibility ---------------------------------------------------------------------------
# Three zones A, B, C (population 100, 200, 300); two clinics X (2 GPs), Y (1 GP).
COST = np.array([[5.0, 20.0],
                 [8.0, 9.0],
                 [30.0, 7.0]])
POP = np.array([100.0, 200.0, 300.0])
GPS = np.array([2.0, 1.0])


def test_2sfca_hand_computed():
    # catchment 10: X reaches A, B (300 people) -> 2/300; Y reaches B, C (500) -> 1/500
    r = accessibility.two_step_fca(COST, demand=POP, supply=GPS, catchment=10)
    np.testing.assert_allclose(r.ratio, [2 / 300 * 1000, 1 / 500 * 1000])
    np.testing.assert_allclose(r.score, [1000 * 2 / 300, 1000 * (2 / 300 + 1 / 500), 1000 / 500])
    np.testing.assert_allclose(r.catchment_demand, [300, 500])
    # 2SFCA hands out exactly the supply: Σ P_i A_i = Σ S_j
    assert POP @ r.score / 1000 == pytest.approx(GPS.sum())


def test_e2sfca_hand_computed_bands_inclusive():
    # bands (0,5] weight 1, (5,10] weight 0.5: A-X 1; B-X 0.5, B-Y 0.5; C-Y 0.5
    # X: 100·1 + 200·0.5 = 200 -> 0.01; Y: 200·0.5 + 300·0.5 = 250 -> 0.004
    r = accessibility.two_step_fca(COST, demand=POP, supply=GPS, bands=[5, 10], band_weights_=[1.0, 0.5])
    np.testing.assert_allclose(r.score, [10.0, 7.0, 2.0])
    assert POP @ r.score / 1000 == pytest.approx(GPS.sum())


def test_2sfca_facility_with_no_demand_in_reach_is_reported():
    cost = np.array([[1.0, np.inf], [2.0, 50.0]])
    r = accessibility.two_step_fca(cost, demand=[10, 10], supply=[1, 1], catchment=10)
    assert list(r.empty_catchments) == [1]
    np.testing.assert_allclose(r.score, [50.0, 50.0])


def test_nearest_and_cumulative_agree_with_counting():
    rng = np.random.default_rng(4)
    cost = rng.uniform(0, 100, (40, 7))
    cost[rng.random(cost.shape) < 0.2] = np.inf
    cost[3] = np.inf
    near, idx = accessibility.nearest(cost)
    assert idx[3] == -1 and np.isinf(near[3])
    for i in range(40):
        if i != 3:
            assert near[i] == min(cost[i]) and cost[i, idx[i]] == near[i]
    counts = accessibility.cumulative_opportunities(cost, [10, 50, 100])
    for i, j in itertools.product(range(40), range(3)):
        assert counts[i, j] == sum(c <= [10, 50, 100][j] for c in cost[i])
    supply = rng.integers(1, 5, 7)
    sums = accessibility.cumulative_opportunities(cost, [50], supply=supply)
    np.testing.assert_allclose(sums[:, 0], [(supply * (row <= 50)).sum() for row in cost])


@pytest.mark.parametrize("function,parameter,cost,expected", [
    ("exponential", 0.1, 10.0, math.exp(-1.0)),
    ("power", 2.0, 10.0, 0.01),
    ("gaussian", 10.0, 10.0, math.exp(-0.5)),
    ("linear", 20.0, 5.0, 0.75),
    ("linear", 20.0, 25.0, 0.0),
    ("step", 10.0, 10.0, 1.0),
    ("step", 10.0, 10.5, 0.0),
])
def test_decay_functions(function, parameter, cost, expected):
    w = accessibility.decay(np.array([[cost, np.inf]]), function=function, parameter=parameter)
    assert w[0, 0] == pytest.approx(expected)
    assert w[0, 1] == 0.0


def test_gravity_is_supply_weighted_sum():
    g = accessibility.gravity(COST, supply=GPS, function="exponential", parameter=0.1)
    np.testing.assert_allclose(g, (np.exp(-0.1 * COST) * GPS).sum(axis=1))


def test_coverage_and_zone_aggregation():
    cov = accessibility.coverage(COST, demand=POP, threshold=7)
    assert list(cov.covered) == [True, False, True]
    assert cov.uncovered_demand == 200 and cov.uncovered_share == pytest.approx(200 / 600)
    # three address points in zone 0 (weights 1, 3), one in zone 2, one outside every zone
    values = np.array([10.0, 20.0, 5.0, 99.0, np.inf])
    zones = np.array([0, 0, 2, -1, 2])
    mean, counts = accessibility.aggregate_to_zones(values, zones, 3, weights=[1, 3, 1, 1, 1])
    assert mean[0] == pytest.approx(17.5) and np.isnan(mean[1]) and mean[2] == 5.0
    assert list(counts) == [2, 0, 2]


def test_accessibility_bad_input():
    with pytest.raises(InputError, match="negative"):
        accessibility.two_step_fca(-COST, demand=POP, supply=GPS, catchment=10)
    with pytest.raises(InputError, match="Demand has 1 negative"):
        accessibility.two_step_fca(COST, demand=[1, -1, 1], supply=GPS, catchment=10)
    with pytest.raises(InputError, match="null"):
        accessibility.gravity(COST, supply=[1, np.nan], function="power", parameter=1)
    with pytest.raises(InputError, match="Unknown decay"):
        accessibility.decay(COST, function="cubic", parameter=1)
    with pytest.raises(InputError, match="one weight per band"):
        accessibility.two_step_fca(COST, demand=POP, supply=GPS, bands=[5, 10], band_weights_=[1])


# --- location-allocation ----------------------------------------------------------------------
def _instance(seed, n, m):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n, 2))
    cxy = rng.uniform(0, 100, (m, 2))
    cost = np.hypot(xy[:, None, 0] - cxy[None, :, 0], xy[:, None, 1] - cxy[None, :, 1])
    return cost, rng.integers(1, 20, n).astype(float)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("problem", ["pmedian", "mclp"])
def test_objective_equals_brute_force(seed, problem):
    cost, w = _instance(seed, 25, 8)
    e = seed % 2  # half the cases keep the first column open as an existing facility
    p = 2 + seed % 3
    r = location.solve(problem, cost[:, e:], demand=w, p=p, threshold=30.0,
                existing_cost=cost[:, :e] if e else None)
    best, best_set = location.brute_force(problem, cost, w, p, forced=list(range(e)), threshold=30.0)
    assert r.objective == pytest.approx(best, rel=1e-9)
    assert r.optimal, r.method
    assert len(r.chosen) == p and len(set(r.chosen)) == p
    # the allocation is to the nearest chosen/existing site
    cols = np.concatenate([np.arange(e), e + r.chosen])
    np.testing.assert_allclose(r.site_cost, cost[:, cols].min(axis=1))


@pytest.mark.parametrize("seed", range(8))
def test_heuristic_never_worse_than_greedy(seed):
    cost, w = _instance(100 + seed, 120, 30)
    D = cost
    greedy_open, _ = location.greedy(D, w, np.arange(0), 5)
    r = location.solve("pmedian", cost, demand=w, p=5, exact="never")
    assert r.objective <= location.objective(D, w, greedy_open) + 1e-9
    assert r.lower_bound <= r.objective + 1e-6
    assert 0 <= r.gap < 0.05


def _spopt_solver():
    import pulp  # test-only, in requirements-dev.txt (with spopt)

    return pulp.PULP_CBC_CMD(msg=False)


def test_pmedian_mclp_lscp_equal_spopt():
    import spopt  # noqa: F401  (test-only oracle, in requirements-dev.txt)
    warnings.filterwarnings("ignore")
    from spopt.locate import LSCP, MCLP, PMedian

    solver = _spopt_solver()
    cost, w = _instance(7, 60, 12)
    s = PMedian.from_cost_matrix(cost, w, p_facilities=3).solve(solver)
    assert s.problem.status == 1
    assert location.solve("pmedian", cost, demand=w, p=3).objective == pytest.approx(s.problem.objective.value())
    s = MCLP.from_cost_matrix(cost, w, service_radius=25, p_facilities=3).solve(solver)
    ours = location.solve("mclp", cost, demand=w, p=3, threshold=25)
    assert ours.objective == pytest.approx(s.problem.objective.value())
    s = LSCP.from_cost_matrix(cost, service_radius=45).solve(solver)
    r = location.solve("lscp", cost, demand=w, threshold=45)
    assert r.objective == pytest.approx(s.problem.objective.value()) and r.optimal
    assert (r.site_cost <= 45).all()
    # existing facilities kept open: spopt counts them in p
    pre = np.zeros(12, dtype=int)
    pre[[0, 5]] = 1
    s = PMedian.from_cost_matrix(cost, w, p_facilities=5, predefined_facilities_arr=pre).solve(solver)
    keep = [j for j in range(12) if j not in (0, 5)]
    r = location.solve("pmedian", cost[:, keep], demand=w, p=3, existing_cost=cost[:, [0, 5]])
    assert r.objective == pytest.approx(s.problem.objective.value())


def test_capacitated_single_source_equals_spopt_and_split_is_no_worse():
    import spopt  # noqa: F401  (test-only oracle, in requirements-dev.txt)
    warnings.filterwarnings("ignore")
    from spopt.locate import PMedian

    cost, w = _instance(11, 40, 10)
    cap = np.random.default_rng(11).integers(60, 160, 10).astype(float)
    s = PMedian.from_cost_matrix(cost, w, p_facilities=4, facility_capacities=cap).solve(_spopt_solver())
    single = location.solve("cpmedian", cost, demand=w, p=4, capacity=cap, single_source=True)
    split = location.solve("cpmedian", cost, demand=w, p=4, capacity=cap)
    assert single.objective == pytest.approx(s.problem.objective.value())
    assert split.objective <= single.objective + 1e-6
    # no site over capacity, all demand allocated
    load = np.zeros(10)
    for _demand, site, amount in split.flows:
        load[site] += amount
    assert (load <= cap + 1e-6).all()
    assert load.sum() == pytest.approx(w.sum())
    heur = location.solve("cpmedian", cost, demand=w, p=4, capacity=cap, exact="never")
    assert heur.objective >= split.objective - 1e-6 and heur.lower_bound <= split.objective + 1e-6


def test_location_bad_input():
    cost, w = _instance(3, 10, 4)
    with pytest.raises(InputError, match="P = 5 new sites.*only 4 candidate"):
        location.solve("pmedian", cost, demand=w, p=5)
    with pytest.raises(InputError, match="negative"):
        location.solve("pmedian", cost, demand=-w, p=2)
    with pytest.raises(InputError, match="zero everywhere"):
        location.solve("pmedian", cost, demand=0 * w, p=2)
    with pytest.raises(InputError, match="not unique: b"):
        location.solve("pmedian", cost, demand=w, p=2, candidate_ids=["a", "b", "b", "c"])
    with pytest.raises(InputError, match="Infeasible.*hold 40.0"):
        location.solve("cpmedian", cost, demand=w, p=2, capacity=[10, 20, 5, 20])
    with pytest.raises(InputError, match="threshold"):
        location.solve("mclp", cost, demand=w, p=2)


def test_unreachable_demand_is_reported_not_dropped():
    cost, w = _instance(5, 12, 4)
    cost[0] = np.inf          # reaches nothing
    cost[1, 1:] = np.inf      # reaches only candidate 0
    r = location.solve("pmedian", cost, demand=w, p=1)
    assert list(r.unreachable) == [0]
    assert r.site[0] == location.NO_SITE and np.isinf(r.site_cost[0])
    assert len(r.site) == 12
    # with two sites, candidate 0 is opened so demand 1 is served
    r2 = location.solve("pmedian", cost, demand=w, p=2)
    assert 0 in r2.chosen and np.isfinite(r2.site_cost[1])


def test_order_and_gains_and_before_after():
    cost, w = _instance(9, 50, 10)
    r = location.solve("pmedian", cost[:, 1:], demand=w, p=3, existing_cost=cost[:, :1], threshold=30)
    assert (np.diff(r.gains) <= 1e-9).all() and (r.gains > 0).all()
    assert r.before.objective - r.after.objective == pytest.approx(r.gains.sum())
    assert r.after.mean_cost < r.before.mean_cost
    assert r.after.covered_share >= r.before.covered_share
    m = location.solve("mclp", cost, demand=w, p=3, threshold=30)
    assert m.gains.sum() == pytest.approx(m.objective)  # covered demand, from nothing


def test_cancel_stops_the_search():
    cost, w = _instance(1, 200, 40)
    calls = {"n": 0}

    def cancelled():
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(EngineCancelled):
        location.solve("pmedian", cost, demand=w, p=5, feedback=Feedback(is_cancelled=cancelled))


@pytest.mark.parametrize("seed", range(4))
def test_lscp_with_existing_equals_brute_force(seed):
    cost, w = _instance(200 + seed, 30, 9)
    threshold = 35.0
    existing, cand = cost[:, :2], cost[:, 2:]
    r = location.solve("lscp", cand, demand=w, threshold=threshold, existing_cost=existing)
    cover = cost <= threshold
    coverable = cover.any(axis=1)
    best = None
    for size in range(0, 8):
        for combo in itertools.combinations(range(2, 9), size):
            if (cover[:, [0, 1, *combo]].any(axis=1) | ~coverable).all():
                best = size
                break
        if best is not None:
            break
    assert r.objective == best and r.optimal
    cols = np.concatenate([[0, 1], 2 + r.chosen])
    assert (cover[:, cols].any(axis=1) | ~coverable).all()


@pytest.mark.parametrize("seed", range(4))
def test_mclp_heuristic_bound_is_valid(seed):
    cost, w = _instance(300 + seed, 40, 10)
    r = location.solve("mclp", cost, demand=w, p=3, threshold=25, exact="never")
    best, _ = location.brute_force("mclp", cost, w, 3, threshold=25)
    assert r.objective <= best + 1e-9 <= r.lower_bound + 1e-6  # covered ≤ optimum ≤ upper bound
