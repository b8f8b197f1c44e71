"""The EXECUTION parameter and the joinedup/execution setting through QGIS's processing.run and
through qgis_process running a saved .model3 headless: the same outputs as in-process, on a
real LocalCluster of worker processes."""
# dask/distributed are optional for users (the plugin runs without them), but the lock installs
# them, so on a machine `make setup` made the cluster tests run, never skip.
import distributed  # noqa: F401  (in requirements.lock: missing it is a failure, not a skip)
import pandas as pd
import pytest
from test_movement_algorithms import NET, _read, city  # noqa: F401 (the shared Helsinki tracks fixture)
from test_scale_cluster import loopback  # noqa: F401 (brings 127.0.0.1 up inside `unshare -n`)

TWO_WORKERS = "local cluster:2"


def _mapmatch_params(folder, lines, gps, tag, **extra):
    return {"INPUT": gps, "TRACK_FIELD": "track_id", "TIME_FIELD": "time", "MODE_FIELD": "mode",
            "NETWORK": lines, **NET, "GPS_SIGMA": 8, "SEARCH_RADIUS": 50,
            "OUTPUT": str(folder / f"routes_{tag}.gpkg"), "POINTS": str(folder / f"points_{tag}.gpkg"), **extra}


def _same(a, b):
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")))
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()


@pytest.fixture(scope="module")
def matched(run_alg, city):  # noqa: F811
    folder, lines, gps, _ = city
    here = run_alg("joinedup:mapmatch", _mapmatch_params(folder, lines, gps, "here"))
    return here


def test_mapmatch_and_flows_on_local_cluster_equal_in_process(run_alg, city, matched):  # noqa: F811
    from qgis.core import QgsProcessingFeedback

    folder, lines, gps, _ = city
    log = []

    class Recording(QgsProcessingFeedback):
        def pushInfo(self, info):  # noqa: N802 (QGIS's name)
            log.append(info)
            super().pushInfo(info)

    there = run_alg("joinedup:mapmatch", _mapmatch_params(folder, lines, gps, "there", EXECUTION=TWO_WORKERS),
                    feedback=Recording())
    assert "Execution: a local Dask cluster of 2 worker processes." in log
    _same(_read(matched["OUTPUT"]), _read(there["OUTPUT"]))
    _same(_read(matched["POINTS"]), _read(there["POINTS"]))
    flows = {}
    for tag, execution in (("here", "local"), ("there", TWO_WORKERS)):
        flows[tag] = _read(run_alg("joinedup:networkflows", {
            "NETWORK": lines, **NET, "ROUTES": matched["OUTPUT"], "CATEGORY_FIELD": "mode", "EXECUTION": execution,
            "OUTPUT": str(folder / f"flows_{tag}.gpkg")})["OUTPUT"])
    _same(flows["here"], flows["there"])
    assert flows["there"]["passages"].sum() > 0


def test_odmatrix_on_local_cluster_equals_in_process(run_alg, city):  # noqa: F811
    """Chunks of origins on two workers: the same pairs, ids and reasons as one in-process
    search, costs to the last few bits (the chunked search adds the same lengths in another
    order; engine equality bit for bit is in test_scale_cluster)."""
    folder, lines, gps, _ = city
    tables = {}
    for tag, execution in (("here", ""), ("there", TWO_WORKERS)):
        tables[tag] = pd.DataFrame(_read(run_alg("joinedup:odmatrix", {
            "INPUT": lines, **NET, "ORIGINS": gps, "DESTINATIONS": gps, "K": 3, "EXECUTION": execution,
            "OUTPUT": str(folder / f"od_{tag}.gpkg")})["OUTPUT"]).drop(columns="geometry", errors="ignore"))
    assert len(tables["here"]) > 0 and tables["here"]["cost"].notna().any()
    pd.testing.assert_frame_equal(tables["here"], tables["there"], check_exact=False, rtol=1e-12)


def test_bad_execution_text_is_one_message(run_alg, city):  # noqa: F811
    from qgis.core import QgsProcessingException

    folder, lines, gps, _ = city
    with pytest.raises(QgsProcessingException, match="local cluster:N"):
        run_alg("joinedup:mapmatch", _mapmatch_params(folder, lines, gps, "bad", EXECUTION="somewhere else"))


def test_setting_sends_a_saved_model_to_the_cluster_headless(city, matched, tmp_path):  # noqa: F811
    """A .model3 whose map matching step leaves EXECUTION unset, run by qgis_process with a
    private QGIS profile whose setting joinedup/execution is a local cluster."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
    )
    from qgis_process_helpers import qgis_process_run

    folder, lines, gps, _ = city
    model = QgsProcessingModelAlgorithm("match on the cluster", "tests")
    model.addModelParameter(QgsProcessingParameterFeatureSource("gps", "gps"), QgsProcessingModelParameter("gps"))
    child = QgsProcessingModelChildAlgorithm("joinedup:mapmatch")
    child.setChildId("match")
    fixed = {k: v for k, v in _mapmatch_params(folder, lines, gps, "model").items()
             if k not in ("INPUT", "OUTPUT", "POINTS")}
    for key, value in fixed.items():
        child.addParameterSources(key, [QgsProcessingModelChildParameterSource.fromStaticValue(value)])
    child.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("gps")])
    out = QgsProcessingModelOutput("routes", "routes")
    out.setChildOutputName("OUTPUT")
    child.setModelOutputs({"routes": out})
    model.addChildAlgorithm(child)
    model.updateDestinationParameters()
    model_file = tmp_path / "match.model3"
    assert model.toFile(str(model_file))
    profile = tmp_path / "qgis-config"
    ini = profile / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text(f"[joinedup]\nexecution={TWO_WORKERS}\n")
    answer = qgis_process_run(str(model_file), {"gps": gps, "routes": str(tmp_path / "routes.gpkg")},
                              env={"JOINEDUP_QGIS_CONFIG": str(profile)})
    assert "a local Dask cluster of 2 worker processes" in answer["stdout"]
    _same(_read(matched["OUTPUT"]), _read(answer["results"]["routes"]))
