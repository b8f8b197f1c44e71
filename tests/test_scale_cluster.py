"""Map matching and network flows on a real Dask LocalCluster (worker processes, processes=True,
no mocks) give exactly the in-process result; Cancel stops the workers; the execution text is
read one way; without dask/distributed only the cluster choices stop, saying how to install.

`make test` runs inside `unshare -n`, whose loopback interface is down: the fixture below brings
it up in that private namespace only (a LocalCluster's workers talk to it over 127.0.0.1)."""
import os
import shutil
import subprocess
import sys

# dask/distributed are optional for users (the plugin runs without them), but the lock installs
# them, so on a machine `make setup` made the cluster tests run, never skip.
import distributed  # noqa: F401  (in requirements.lock: missing it is a failure, not a skip)
import numpy as np
import pandas as pd
import pytest


def _only_loopback() -> bool:
    """A network namespace with no interface but 'lo' (as `unshare -n` makes): bringing its
    loopback up reaches nothing beyond this machine."""
    import socket

    return [name for _, name in socket.if_nameindex()] == ["lo"]


@pytest.fixture(scope="module", autouse=True)
def loopback():
    from joinedup.engine.scale import loopback_works

    if not loopback_works() and _only_loopback():
        # /usr/sbin and /sbin are not on every PATH (a user's, `env -i`): look there too
        ip = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin") or "ip"
        subprocess.run([ip, "link", "set", "lo", "up"], check=False, capture_output=True)
    assert loopback_works(), ("The loopback interface is down (e.g. `unshare -n` run as a user who may not "
                                  "bring it up): a LocalCluster needs 127.0.0.1.")


@pytest.fixture(scope="module")
def helsinki(real_data):
    from gen_tracks import drive_graph

    return drive_graph(real_data / "helsinki.osm.pbf")


def _two_workers():
    from joinedup.engine.scale import Execution

    return Execution("local cluster", workers=2)


# --- the execution text --------------------------------------------------------------------

@pytest.mark.parametrize("text, mode, workers, address", [
    ("", "local", 2, None), ("local", "local", 2, None), ("Local cluster", "local cluster", 2, None),
    ("local cluster:4", "local cluster", 4, None), ("cluster:tcp://10.0.0.5:8786", "cluster", 2, "tcp://10.0.0.5:8786"),
    ("tcp://10.0.0.5:8786", "cluster", 2, "tcp://10.0.0.5:8786"),
])
def test_execution_text(text, mode, workers, address):
    from joinedup.engine.scale import Execution

    e = Execution.parse(text)
    assert (e.mode, e.workers, e.address) == (mode, workers, address)


@pytest.mark.parametrize("text", ["local cluster:many", "cluster", "somewhere", "local cluster:0"])
def test_execution_text_refused_with_one_message(text):
    from joinedup.engine.errors import InputError
    from joinedup.engine.scale import Execution

    with pytest.raises(InputError):
        Execution.parse(text)


def test_tree_sum_order_is_pairwise():
    from joinedup.engine.scale import tree_sum

    # ((a+b)+(c+d))+e, written out by hand as text concatenation
    assert tree_sum(list("abcde"), lambda x, y: f"({x}{y})") == "(((ab)(cd))e)"
    assert tree_sum([7]) == 7 and tree_sum([]) is None


# --- map matching ------------------------------------------------------------------------------

@pytest.mark.parametrize("n_tracks, n_points, chunk", [(6, 60, 5000), (120, 150, 1500)])
def test_mapmatch_on_local_cluster_equals_in_process(helsinki, n_tracks, n_points, chunk):
    """The sample's size, and a seeded larger input cut into 12 tasks (18,000 points)."""
    from gen_tracks import generate_tracks

    from joinedup.engine.mapmatch import MatchOptions, match_tracks
    from joinedup.engine.tracks import prepare_tracks

    _, graph = helsinki
    pts, _ = generate_tracks(graph, n_tracks=n_tracks, n_points=n_points, sigma_m=10, interval_s=5, seed=11,
                             mode="hgv")
    table, _, _ = prepare_tracks(pts, track_field="track_id", time_field="time")
    options = MatchOptions(chunk_points=chunk)
    here = match_tracks(graph, table, options=options)
    there = match_tracks(graph, table, options=options, execution=_two_workers())
    assert (here.points["status"] == "matched").mean() > 0.95  # a real matching, not an empty one
    pd.testing.assert_frame_equal(here.points, there.points)
    pd.testing.assert_frame_equal(here.traversals, there.traversals)
    pd.testing.assert_frame_equal(here.runs, there.runs)
    assert here.breaks == there.breaks


def test_cancel_stops_the_workers(helsinki):
    import multiprocessing

    from gen_tracks import generate_tracks

    from joinedup.engine.errors import EngineCancelled, Feedback
    from joinedup.engine.mapmatch import MatchOptions, match_tracks
    from joinedup.engine.tracks import prepare_tracks

    _, graph = helsinki
    pts, _ = generate_tracks(graph, n_tracks=60, n_points=200, sigma_m=10, interval_s=5, seed=5, mode="hgv")
    table, _, _ = prepare_tracks(pts, track_field="track_id", time_field="time")
    polls = []
    # Other tests in the same run may leave process pools of their own alive (joblib's loky
    # workers, started by a library an earlier test used): only children started here count.
    before = set(multiprocessing.active_children())

    def is_cancelled():
        polls.append(len(set(multiprocessing.active_children()) - before))
        return len(polls) > 3  # after the workers have started and taken tasks

    with pytest.raises(EngineCancelled):
        match_tracks(graph, table, options=MatchOptions(chunk_points=500), execution=_two_workers(),
                     feedback=Feedback(is_cancelled=is_cancelled))
    assert max(polls) >= 2                       # the two worker processes were running
    assert set(multiprocessing.active_children()) - before == set()  # and are gone


# --- flows -------------------------------------------------------------------------------------

def test_flows_from_routes_partitioned_by_track_equal_in_process(helsinki, monkeypatch):
    """Routes of one track in several rows (pieces), categories, a time filter; cut into many
    partitions so the tree reduction has several levels. Counts checked by hand on edge 0 too."""
    from joinedup.engine import flows
    from joinedup.engine.scale import Execution

    net, _ = helsinki
    ids = net.edges["edge_id"].to_numpy()
    rng = np.random.default_rng(2)
    n = 400
    routes = pd.DataFrame({
        "track_id": rng.integers(0, 90, n).astype(str),
        "mode": rng.choice(["hgv", "cycle", None], n),
        "start_time": pd.Timestamp("2024-05-06T06:00") + pd.to_timedelta(rng.integers(0, 7 * 86400, n), unit="s"),
        "edge_ids": [",".join(map(str, rng.choice(ids[:40], rng.integers(0, 6)))) for _ in range(n)]})
    routes.loc[::37, "track_id"] = None
    kwargs = dict(track_field="track_id", category_field="mode", time_field="start_time", hours=(7, 19),
                  weekdays=[0, 1, 2, 3, 4])
    here = flows.flows_from_routes(routes, ids, **kwargs)
    monkeypatch.setattr(flows, "ROUTES_PER_TASK", 60)  # 7 partitions: a deeper reduction tree
    there = flows.flows_from_routes(routes, ids, execution=Execution("local cluster", workers=2), **kwargs)
    pd.testing.assert_frame_equal(here[0], there[0])
    assert here[1] == there[1] and here[2] == there[2]
    # by hand: passages and tracks on the first edge id
    t = pd.to_datetime(routes["start_time"])
    keep = routes["track_id"].notna() & (t.dt.hour >= 7) & (t.dt.hour < 19) & (t.dt.weekday < 5)
    e0 = str(ids[0])
    lists = routes["edge_ids"].str.split(",")
    passes = lists.apply(lambda xs: xs.count(e0))
    assert there[0]["passages"].iloc[0] == passes[keep].sum()
    assert there[0]["tracks"].iloc[0] == routes.loc[keep & (passes > 0), "track_id"].nunique()


def test_od_assignment_on_local_cluster_equals_in_process(helsinki, monkeypatch):
    import shapely

    from joinedup.engine import flows
    from joinedup.engine.scale import Execution

    net, _ = helsinki
    rng = np.random.default_rng(8)
    xy = net.node_xy
    n = 900
    o = shapely.points(xy[rng.integers(0, len(xy), n)] + rng.normal(0, 20, (n, 2)))
    d = shapely.points(xy[rng.integers(0, len(xy), n)] + rng.normal(0, 20, (n, 2)))
    vol = rng.gamma(2.0, 3.3, n)
    vol[::50] = np.nan
    cats = rng.choice(["am", "pm"], n)
    monkeypatch.setattr(flows, "OD_ROWS_PER_TASK", 100)  # 9 tasks
    here = flows.assign_od(net, o, d, vol, categories=cats)
    there = flows.assign_od(net, o, d, vol, categories=cats, execution=Execution("local cluster", workers=2))
    pd.testing.assert_frame_equal(here[0], there[0], check_exact=True)
    assert here[1] == there[1] and (here[2] == there[2]).all()
    assert (here[2] == "assigned").sum() > 700 and (here[2] == "no volume").sum() == 18


# --- without the optional packages ---------------------------------------------------------------

def test_without_distributed_local_works_and_cluster_says_how_to_install(tmp_path):
    """A fresh interpreter in which dask and distributed cannot be imported."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys\n"
        "sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
        "from joinedup.engine.errors import EngineError\n"
        "from joinedup.engine.scale import Execution, run_tasks\n"
        "print(run_tasks(lambda s, x: s + x, 10, [(1,), (2,)]))\n"
        "try:\n"
        "    run_tasks(lambda s, x: s + x, 10, [(1,)], execution=Execution.parse('local cluster:2'))\n"
        "except EngineError as exc:\n"
        "    print('ERROR', exc)\n")
    from conftest import plugin_parent

    env = dict(os.environ, PYTHONPATH=str(plugin_parent()))
    out = subprocess.run([sys.executable, "-P", str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "[11, 12]"
    assert lines[1].startswith("ERROR") and "pip install" in lines[1] and "Traceback" not in out.stderr


# --- OD matrices in origin chunks -----------------------------------------------------------------

@pytest.mark.parametrize("k", [None, 3])
def test_od_table_in_origin_chunks_equals_one_table(helsinki, k):
    import shapely

    from joinedup.engine.network_tools import od_table
    from joinedup.engine.scale_network import od_table_in_chunks

    net, _ = helsinki
    rng = np.random.default_rng(12)
    xy = net.node_xy
    o = net.snap(shapely.points(xy[rng.integers(0, len(xy), 150)] + rng.normal(0, 15, (150, 2))))
    d = net.snap(shapely.points(xy[rng.integers(0, len(xy), 40)] + rng.normal(0, 15, (40, 2))))
    whole = od_table(net, o, d, max_cost=3000.0, k=k)
    here = od_table_in_chunks(net, o, d, max_cost=3000.0, k=k, origins_per_task=32)
    there = od_table_in_chunks(net, o, d, max_cost=3000.0, k=k, origins_per_task=32, execution=_two_workers())
    pd.testing.assert_frame_equal(here, there, check_exact=True)  # the same chunks: the same bits
    # against one table for all origins: the same rows and reasons; costs to the last few bits
    # (the routing graph with fewer snapped origins adds the same lengths in another order)
    pd.testing.assert_frame_equal(whole, here, check_exact=False, rtol=1e-12)
    assert (whole["reason"].fillna("") == here["reason"].fillna("")).all()
    assert whole["cost"].notna().sum() > 100 and whole["cost"].isna().any()  # reachable and not


def test_local_cluster_workers_run_without_the_diagnostics_that_slow_numpy():
    """A local cluster's workers have glibc's dynamic mmap threshold (no MALLOC_TRIM_THRESHOLD_)
    and no stack-sampling profiler, and keep one OpenMP thread: with distributed's defaults a
    map-matching task took a fifth more CPU on a worker than in this process."""
    from joinedup.engine.scale import Execution, run_tasks

    def worker_settings(_shared):  # defined here so that cloudpickle sends it by value
        import os

        import dask

        return (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS"),
                dask.config.get("distributed.worker.profile.enabled"))

    (settings,) = run_tasks(worker_settings, None, [()], execution=Execution("local cluster", 1))
    assert settings == (None, "1", False)
