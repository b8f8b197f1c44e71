"""engine.location's GeoDataFrame entry point against PySAL spopt's own ``from_geodataframe``
(a test-only oracle) on the same layers, without QGIS: the same objective, the same sites, each
demand point served by the same site; and the distances against pyproj's ``Geod`` on a
geographic layer."""
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely

from joinedup.engine import location
from joinedup.engine.errors import InputError


def _layers(seed, n_demand=50, n_sites=12):
    """Demand points with weights and candidate sites with ids and capacities, in metres
    (ETRS-TM35FIN, Helsinki), at random positions (no ties in distance)."""
    rng = np.random.default_rng(seed)
    x0, y0 = 385_000.0, 6_672_000.0
    demand = gpd.GeoDataFrame(
        {"people": rng.integers(1, 40, n_demand).astype(float)},
        geometry=shapely.points(x0 + rng.uniform(0, 5000, n_demand), y0 + rng.uniform(0, 5000, n_demand)),
        crs="EPSG:3067")
    sites = gpd.GeoDataFrame(
        {"site_id": [f"S{k:02d}" for k in range(n_sites)],
         "capacity": rng.integers(150, 400, n_sites).astype(float)},
        geometry=shapely.points(x0 + rng.uniform(0, 5000, n_sites), y0 + rng.uniform(0, 5000, n_sites)),
        crs="EPSG:3067")
    return demand, sites


def _spopt(model_class, demand, sites, **kwargs):
    import pulp  # test-only, in requirements-dev.txt (with spopt)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = model_class.from_geodataframe(demand, sites, "geometry", "geometry", **kwargs)
        return model.solve(pulp.PULP_CBC_CMD(msg=False))


def _spopt_served_by(model, sites):
    """demand row -> the site id spopt assigns it to."""
    out = {}
    for j, clients in enumerate(model.fac2cli):
        for i in clients:
            out[i] = sites["site_id"].iloc[j]
    return out


def test_pmedian_from_geodataframes_equals_spopt():
    from spopt.locate import PMedian

    demand, sites = _layers(3)
    ours = location.solve_geodataframes("pmedian", demand, sites, weights_col="people", facility_col="site_id", p=3)
    theirs = _spopt(PMedian, demand, sites, weights_cols="people", p_facilities=3)
    assert ours.result.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-9)
    opened = {sites["site_id"].iloc[j] for j, clients in enumerate(theirs.fac2cli) if clients}
    assert set(ours.sites.loc[ours.sites["open"], "site_id"]) == opened
    served_by = _spopt_served_by(theirs, sites)
    assert list(ours.demand["site"]) == [served_by[i] for i in range(len(demand))]
    # by hand: each demand point's cost is its straight-line distance to its site
    site_xy = dict(zip(sites["site_id"], sites.geometry, strict=True))
    expected = [g.distance(site_xy[s]) for g, s in zip(demand.geometry, ours.demand["site"], strict=True)]
    np.testing.assert_allclose(ours.demand["cost"], expected, rtol=1e-12)
    # the input layers are left as they were; the served demand adds up to all demand
    assert "site" not in demand.columns and "open" not in sites.columns
    assert ours.sites["served_demand"].sum() == pytest.approx(demand["people"].sum())
    assert sorted(ours.sites["rank"].dropna()) == [1, 2, 3]


def test_mclp_and_lscp_from_geodataframes_equal_spopt():
    from spopt.locate import LSCP, MCLP

    demand, sites = _layers(5)
    ours = location.solve_geodataframes("mclp", demand, sites, weights_col="people", facility_col="site_id", p=2,
                                 service_radius_m=1200)
    theirs = _spopt(MCLP, demand, sites, weights_cols="people", service_radius=1200, p_facilities=2)
    assert ours.result.objective == pytest.approx(theirs.problem.objective.value())
    ours = location.solve_geodataframes("lscp", demand, sites, facility_col="site_id", service_radius_m=2500)
    theirs = _spopt(LSCP, demand, sites, service_radius=2500)
    assert ours.result.objective == pytest.approx(theirs.problem.objective.value()) and ours.result.optimal
    assert (ours.demand["cost"] <= 2500).all()


def test_existing_sites_stay_open_as_spopt_predefined_facilities():
    """spopt counts predefined facilities in P; JoinedUp's P counts new sites only."""
    from spopt.locate import PMedian

    demand, sites = _layers(8)
    kept = sites["site_id"].isin(["S01", "S07"])
    theirs = _spopt(PMedian, demand, sites.assign(pre=kept.astype(int)), weights_cols="people", p_facilities=4,
                    predefined_facility_col="pre")
    ours = location.solve_geodataframes("pmedian", demand, sites[~kept], weights_col="people", facility_col="site_id",
                                 p=2, existing=sites[kept])
    assert ours.result.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-9)
    assert list(ours.sites["kind"][:2]) == ["existing", "existing"] and ours.sites["open"][:2].all()


def test_capacitated_from_geodataframes_equals_spopt_single_source():
    from spopt.locate import PMedian

    demand, sites = _layers(11, n_demand=30, n_sites=8)
    theirs = _spopt(PMedian, demand, sites, weights_cols="people", p_facilities=3, facility_capacity_col="capacity")
    ours = location.solve_geodataframes("cpmedian", demand, sites, weights_col="people", facility_col="site_id", p=3,
                                 capacity_col="capacity", single_source=True)
    assert ours.result.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-9)
    open_sites = ours.sites[ours.sites["open"]]
    assert (open_sites["served_demand"] <= open_sites["capacity"] + 1e-6).all()


def test_distances_are_ground_metres_on_a_geographic_layer():
    from pyproj import Geod

    demand, sites = _layers(2, n_demand=6, n_sites=3)
    d = location.distance_matrix(demand.to_crs(4326), sites.to_crs(4326))
    lon_d, lat_d = demand.to_crs(4326).geometry.x.to_numpy(), demand.to_crs(4326).geometry.y.to_numpy()
    lon_s, lat_s = sites.to_crs(4326).geometry.x.to_numpy(), sites.to_crs(4326).geometry.y.to_numpy()
    geod = Geod(ellps="WGS84")
    for j in range(3):
        _, _, ground = geod.inv(lon_d, lat_d, np.full(6, lon_s[j]), np.full(6, lat_s[j]))
        np.testing.assert_allclose(d[:, j], ground, rtol=1e-3)


def test_bad_input_is_one_clear_error():
    demand, sites = _layers(1, n_demand=5, n_sites=3)
    with pytest.raises(InputError, match="has no field named 'pop'"):
        location.solve_geodataframes("pmedian", demand, sites, weights_col="pop", p=1)
    with pytest.raises(InputError, match="no coordinate reference system"):
        location.solve_geodataframes("pmedian", demand.set_crs(None, allow_override=True), sites, p=1)
    with pytest.raises(InputError, match="only 3 candidate sites"):
        location.solve_geodataframes("pmedian", demand, sites, p=4)
