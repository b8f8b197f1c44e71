"""Map matching whose GPS points are read by the workers (engine/scale_tracks.py): the QGIS
process reads only the track ids, each task is a file path and the rows of whole tracks. The
routes, the quality table and the counts per reason are those of the in-process run
(match_layer on the whole layer; through processing.run, the in-process algorithm reading the
layer with the bridge), on a real LocalCluster of worker processes, for a GeoPackage and a
GeoParquet file, on the sample's size and on a seeded larger input with everything
prepare_tracks handles (shuffled rows, missing track ids, unreadable and duplicate times, time
gaps)."""
# dask/distributed are optional for users (the plugin runs without them), but the lock installs
# them, so on a machine `make setup` made the cluster tests run, never skip.
import distributed  # noqa: F401  (in requirements.lock: missing it is a failure, not a skip)
import numpy as np
import pandas as pd
import pytest
from test_movement_algorithms import NET, _read, city  # noqa: F401 (the shared Helsinki tracks fixture)
from test_scale_cluster import helsinki, loopback  # noqa: F401 (127.0.0.1 up inside `unshare -n`)

TWO_WORKERS = "local cluster:2"
COLUMNS = ["track_id", "time", "mode"]


def _two_workers():
    from joinedup.engine.scale import Execution

    return Execution("local cluster", workers=2)


def _same_routes(a, b):
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")),
                                  check_exact=True)
    # the same lines, to the last bit; a route that did not move has none on both sides
    assert (a.geometry.geom_equals_exact(b.geometry, tolerance=0) | (a.geometry.isna() & b.geometry.isna())).all()


def _messy_tracks(graph, n_tracks, n_points, seed):
    """Seeded lorry tracks, rows shuffled (tracks interleaved through the file, as a file sorted
    by time has them), with missing and blank track ids, unreadable, missing and duplicate times
    and time gaps that split tracks, in EPSG:4326 (reprojected by the matcher)."""
    from gen_tracks import generate_tracks

    pts, _ = generate_tracks(graph, n_tracks=n_tracks, n_points=n_points, sigma_m=10, interval_s=5, seed=seed,
                             mode="hgv")
    rng = np.random.default_rng(seed)
    t = pd.to_datetime(pts["time"])
    late = pts.groupby("track_id").cumcount() > n_points // 2
    pts["time"] = (t + pd.to_timedelta(np.where(late & (pts.index % 3 == 0), 900, 0), unit="s")).dt.strftime(
        "%Y-%m-%dT%H:%M:%S")  # a third of the tracks pause 15 minutes: pieces
    pts.loc[rng.choice(len(pts), len(pts) // 60, replace=False), "track_id"] = None
    pts.loc[rng.choice(len(pts), len(pts) // 80, replace=False), "track_id"] = "  "
    pts.loc[rng.choice(len(pts), len(pts) // 70, replace=False), "time"] = "not a time"
    pts.loc[rng.choice(len(pts), len(pts) // 90, replace=False), "time"] = None
    dup = rng.choice(np.arange(1, len(pts)), len(pts) // 50, replace=False)
    pts.loc[dup, "time"] = pts["time"].to_numpy()[dup - 1]
    pts.loc[dup, "track_id"] = pts["track_id"].to_numpy()[dup - 1]
    pts.loc[pts.index % 7 == 0, "mode"] = "van"
    return pts.iloc[rng.permutation(len(pts))].reset_index(drop=True).to_crs("EPSG:4326")


def _write(pts, folder, kind):
    if kind == "gpkg":
        path = folder / "gps.gpkg"
        pts.to_file(path, layer="gps", driver="GPKG")
        return str(path), "gps"
    path = folder / "gps.parquet"
    pts.to_parquet(path, row_group_size=max(len(pts) // 7, 1))
    return str(path), None


@pytest.mark.parametrize("kind", ["gpkg", "parquet"])
@pytest.mark.parametrize("n_tracks, n_points, task_points", [(10, 60, None), (150, 120, 1500)])
def test_workers_reading_the_file_equal_in_process(helsinki, tmp_path, kind, n_tracks, n_points,  # noqa: F811
                                                   task_points):
    """The sample's size (one task), and a seeded larger input cut into 12 or more tasks."""
    from joinedup.engine.mapmatch import match_layer
    from joinedup.engine.scale_tracks import match_file, partition_tracks, read_rows

    _, graph = helsinki
    pts = _messy_tracks(graph, n_tracks, n_points, seed=n_tracks)
    path, layer = _write(pts, tmp_path, kind)
    # in-process: the whole layer (read by the same reader the workers use: attributes checked below)
    keys = np.arange(len(pts)) + (1 if kind == "gpkg" else 0)
    whole = read_rows(path, keys, layer=layer, fid_column="fid" if kind == "gpkg" else None, columns=COLUMNS,
                      name="gps")
    assert whole["track_id"].tolist() == pts["track_id"].tolist()
    assert whole["time"].tolist() == pts["time"].tolist()
    assert whole.geometry.geom_equals_exact(pts.geometry, tolerance=0).all()
    routes, _, quality, notes = match_layer(whole, graph, track_field="track_id", time_field="time",
                                            mode_field="mode")
    # one quality row per track, and one for the blank id (in-process does so: 'no track id' points)
    assert len(quality) == n_tracks + 1 and quality["track_id"].iloc[0] == "  "
    assert (routes["length_m"] > 0).all()
    there = match_file(path, graph, layer=layer, track_field="track_id", time_field="time", mode_field="mode",
                       name="gps", execution=_two_workers(), task_points=task_points)
    _same_routes(routes, there[0])
    pd.testing.assert_frame_equal(quality, there[1], check_exact=True)
    assert notes == there[2]
    tasks, _, n = partition_tracks(path, "track_id", layer=layer, task_points=task_points)
    assert n == len(pts)
    if kind == "gpkg":  # ids 1, 2, 3 ... as written: only the first is kept, not one per point
        from joinedup.engine.errors import as_feedback
        from joinedup.engine.scale_points import _fid_range
        from joinedup.engine.scale_tracks import _track_codes

        assert _track_codes(path, layer, "track_id", _fid_range(path, layer), as_feedback(None))[1] == 1
    if task_points:
        assert len(tasks) >= 12
        assert "time gaps" in notes[1] and "duplicate time" in notes[1] and "unparsable time" in notes[1]
        assert routes["piece"].nunique() > n_tracks  # tracks were split into pieces
    # every row in exactly one task, and every track in one task only
    from joinedup.engine.scale_tracks import _expand

    rows = [_expand(pos) for pos, _ in tasks]
    assert sorted(np.concatenate(rows).tolist()) == list(range(len(pts)))
    track = pts["track_id"]
    owner = {}
    for k, r in enumerate(rows):
        for value in track.iloc[r].dropna().unique():
            assert owner.setdefault(value, k) == k


def test_spans_by_hand():
    from joinedup.engine.scale_tracks import _compact, _expand, _spans, _windows

    assert _spans([3, 4, 5, 9, 11, 12]).tolist() == [[3, 3], [9, 1], [11, 2]]
    assert _expand([[3, 3], [9, 1], [11, 2]]).tolist() == [3, 4, 5, 9, 11, 12]
    assert _expand(np.zeros((0, 2))).tolist() == [] and _spans([]).shape == (0, 2)
    # scattered rows (a file sorted by time) stay a plain array: smaller than runs of one
    assert _compact([1, 5, 9]).tolist() == [1, 5, 9] and _compact([1, 5, 9]).dtype == np.int32
    assert _compact([1, 2, 3, 4, 9]).tolist() == [[1, 4], [9, 1]]
    assert _expand(_compact([1, 5, 9])).tolist() == [1, 5, 9]
    # runs closer than MERGE_GAP read together; a block never longer than asked
    assert _windows(np.array([0, 1, 2, 10, 100_000]), 5) == [(0, 5), (5, 10), (10, 11), (100_000, 100_001)]


def test_a_file_the_worker_cannot_see_is_one_message(tmp_path):
    from joinedup.engine.errors import InputError
    from joinedup.engine.scale_tracks import read_rows

    with pytest.raises(InputError, match="cannot read the GPS file"):
        read_rows(str(tmp_path / "elsewhere.gpkg"), np.arange(3), columns=COLUMNS)


def test_cancel_stops_the_workers_reading_the_file(helsinki, tmp_path):  # noqa: F811
    import multiprocessing

    from joinedup.engine.errors import EngineCancelled, Feedback
    from joinedup.engine.scale_tracks import match_file

    _, graph = helsinki
    pts = _messy_tracks(graph, 60, 200, seed=5)
    path, layer = _write(pts, tmp_path, "gpkg")
    polls = []
    before = set(multiprocessing.active_children())

    def is_cancelled():
        polls.append(len(set(multiprocessing.active_children()) - before))
        return max(polls) >= 2 and len(polls) > 8  # after the workers have started and taken tasks

    with pytest.raises(EngineCancelled):
        match_file(path, graph, layer=layer, track_field="track_id", time_field="time", execution=_two_workers(),
                   task_points=500, feedback=Feedback(is_cancelled=is_cancelled))
    assert max(polls) >= 2                       # the two worker processes were running
    assert set(multiprocessing.active_children()) - before == set()  # and are gone


def test_gather_each_keeps_order_and_releases_every_result(loopback):  # noqa: F811
    """run_tasks(gather_each=True) on a real LocalCluster: the results of tasks that finish in
    another order than they were given come back in task order, equal to gather-all's and to
    the in-process run; while it runs this process holds only the tasks not yet fetched (each
    future released when its result is here, so the worker frees it), where gather-all holds
    every one to the end; a failed task is one EngineError; it refuses combine."""
    from joinedup.engine.errors import EngineError, Feedback
    from joinedup.engine.scale import Execution, dask_client, run_tasks

    def _slow_identity(shared, k, pause):  # local: sent to the workers by value (cloudpickle)
        import time

        time.sleep(pause)  # later tasks finish first: the results must still come back in task order
        if k < 0:
            raise RuntimeError("task failed on purpose")
        return {"k": k, "shared": shared, "payload": np.full(1000, k)}

    async def _after_pending_callbacks():  # releases run on the client's loop, in order
        return None

    tasks = [(k, 0.3 * (k % 3 == 0)) for k in range(9)]  # 0, 3, 6 finish last
    here = run_tasks(_slow_identity, "net", tasks)
    with dask_client(Execution("local cluster", workers=2)) as client:
        seen: dict = {True: [], False: []}
        got = {}
        for each in (True, False):
            def progress(fraction, each=each):
                client.sync(_after_pending_callbacks)
                held = sum(str(key).startswith("_slow_identity") for key in client.refcount)
                seen[each].append((round(fraction * len(tasks)), held))

            got[each] = run_tasks(_slow_identity, "net", tasks, client=client, gather_each=each,
                                  feedback=Feedback(progress=progress))
        with pytest.raises(EngineError, match="task failed on purpose"):
            run_tasks(_slow_identity, "net", [(1, 0.0), (-1, 0.0), (2, 0.5)], client=client, gather_each=True)
    for result in got.values():
        assert [r["k"] for r in result] == list(range(9)) and all(r["shared"] == "net" for r in result)
        assert all(np.array_equal(a["payload"], b["payload"]) for a, b in zip(here, result, strict=True))
    # fetched tasks are no longer held: only those still to come
    assert seen[True][-1] == (9, 0) and all(held == 9 - done for done, held in seen[True])
    assert any(0 < done < 9 for done, _ in seen[True])  # progress seen while tasks ran
    assert all(held == 9 for done, held in seen[False] if done < 9)  # gather-all: every one until the end
    with pytest.raises(ValueError, match="without combine"):
        run_tasks(_slow_identity, "net", tasks, combine=lambda a, b: a, gather_each=True)

# --- through processing.run -----------------------------------------------------------------------

def _params(folder, lines, gps, tag, **extra):
    return {"INPUT": gps, "TRACK_FIELD": "track_id", "TIME_FIELD": "time", "MODE_FIELD": "mode",
            "NETWORK": lines, **NET, "GPS_SIGMA": 8, "SEARCH_RADIUS": 50,
            "OUTPUT": str(folder / f"routes_{tag}.gpkg"), "QUALITY": str(folder / f"quality_{tag}.gpkg"), **extra}


def _recording():
    from qgis.core import QgsProcessingFeedback

    log = []

    class Recording(QgsProcessingFeedback):
        def pushInfo(self, info):  # noqa: N802 (QGIS's name)
            log.append(info)
            super().pushInfo(info)

    return Recording(), log


def test_algorithm_workers_read_the_file_and_equal_in_process(run_alg, city, helsinki, tmp_path):  # noqa: F811
    """processing.run: in-process (the bridge reads the layer) against a LocalCluster whose workers
    read the file; the routes and quality layers written are the same, the log says who read.
    A GeoPackage only: this machine's GDAL (QGIS's) has no Parquet driver, so QGIS cannot open a
    GeoParquet layer here; the workers' GeoParquet reading is checked above against the engine."""
    kind = "gpkg"
    folder, lines, _, _ = city
    _, graph = helsinki
    pts = _messy_tracks(graph, 40, 80, seed=21)
    path, layer = _write(pts, tmp_path, kind)
    gps = f"{path}|layername={layer}" if layer else path
    here = run_alg("joinedup:mapmatch", _params(tmp_path, lines, gps, "here"))
    feedback, log = _recording()
    there = run_alg("joinedup:mapmatch", _params(tmp_path, lines, gps, "there", EXECUTION=TWO_WORKERS),
                    feedback=feedback)
    assert any(line.startswith("The workers read the GPS points from") for line in log), log
    assert not any("read in this process" in line for line in log)
    _same_routes(_read(here["OUTPUT"]), _read(there["OUTPUT"]))
    pd.testing.assert_frame_equal(_read(here["QUALITY"]), _read(there["QUALITY"]), check_exact=True)
    assert len(_read(here["QUALITY"])) == 41  # and the blank id's row


def test_algorithm_with_matched_points_reads_here_and_says_why(run_alg, city):  # noqa: F811
    folder, lines, gps, _ = city
    feedback, log = _recording()
    there = run_alg("joinedup:mapmatch", _params(folder, lines, gps, "why", EXECUTION=TWO_WORKERS,
                                                 POINTS=str(folder / "points_why.gpkg")), feedback=feedback)
    assert any("read in this process" in line and "POINTS" in line for line in log), log
    assert len(_read(there["POINTS"])) == 600  # every input point


def test_algorithm_memory_layer_reads_here_and_says_why(run_alg, city):  # noqa: F811
    from qgis.core import QgsFeatureRequest, QgsVectorLayer

    folder, lines, gps, _ = city
    memory = QgsVectorLayer(gps, "gps", "ogr").materialize(QgsFeatureRequest())
    feedback, log = _recording()
    here = run_alg("joinedup:mapmatch", _params(folder, lines, memory, "mem"))
    there = run_alg("joinedup:mapmatch", _params(folder, lines, memory, "mem2", EXECUTION=TWO_WORKERS),
                    feedback=feedback)
    assert any("read in this process" in line and "memory or database layer" in line for line in log), log
    _same_routes(_read(here["OUTPUT"]), _read(there["OUTPUT"]))


def test_feature_ids_with_gaps(helsinki, tmp_path):  # noqa: F811
    """A GeoPackage whose feature ids are not 1, 2, 3 ... (features deleted, ids kept): the tasks
    carry the ids and the result is still match_layer's on the whole layer (tasks run here)."""
    from joinedup.engine.errors import as_feedback
    from joinedup.engine.mapmatch import match_layer
    from joinedup.engine.scale_points import _fid_range
    from joinedup.engine.scale_tracks import _track_codes, match_file, partition_tracks, read_rows

    _, graph = helsinki
    pts = _messy_tracks(graph, 30, 60, seed=8)
    rng = np.random.default_rng(8)
    pts.insert(0, "fid", np.cumsum(rng.integers(1, 4, len(pts))) + 10)  # ids as stored, gaps between
    path, layer = _write(pts, tmp_path, "gpkg")
    fid_info = _fid_range(path, layer)
    _, keys = _track_codes(path, layer, "track_id", fid_info, as_feedback(None))
    assert keys.tolist() == pts["fid"].tolist()  # the ids themselves, not a first id
    whole = read_rows(path, pts["fid"].to_numpy(), layer=layer, fid_column="fid", columns=COLUMNS, name="gps")
    routes, _, quality, notes = match_layer(whole, graph, track_field="track_id", time_field="time",
                                            mode_field="mode")
    got = match_file(path, graph, layer=layer, track_field="track_id", time_field="time", mode_field="mode",
                     name="gps", task_points=300)
    assert len(partition_tracks(path, "track_id", layer=layer, task_points=300)[0]) >= 6
    _same_routes(routes, got[0])
    pd.testing.assert_frame_equal(quality, got[1], check_exact=True)
    assert notes == got[2]


def test_unreadable_times_decided_on_the_whole_file(helsinki, tmp_path):  # noqa: F811
    """A task whose times are all unreadable does not stop the run (in-process reads the whole
    column, and other tracks' times are fine); a file with no readable time stops both runs with
    the same message."""
    from gen_tracks import generate_tracks

    from joinedup.engine.errors import InputError
    from joinedup.engine.mapmatch import match_layer
    from joinedup.engine.scale_tracks import match_file, read_rows

    _, graph = helsinki
    pts, _ = generate_tracks(graph, n_tracks=6, n_points=40, sigma_m=10, interval_s=5, seed=2, mode="hgv")
    pts.loc[pts["track_id"] == pts["track_id"].iloc[-1], "time"] = "half past nine"  # the last track, a task
    for tag, frame in (("some", pts), ("none", pts.assign(time="half past nine"))):
        folder = tmp_path / tag
        folder.mkdir()
        path, layer = _write(frame, folder, "gpkg")
        whole = read_rows(path, np.arange(len(frame)) + 1, layer=layer, fid_column="fid", columns=COLUMNS,
                          name="gps")
        kwargs = dict(track_field="track_id", time_field="time", mode_field="mode")
        if tag == "some":
            routes, _, quality, notes = match_layer(whole, graph, **kwargs)
            got = match_file(path, graph, layer=layer, name="gps", task_points=40, **kwargs)
            _same_routes(routes, got[0])
            pd.testing.assert_frame_equal(quality, got[1], check_exact=True)
            assert notes == got[2] and "40 not used: unparsable time (e.g. 'half past nine')" in notes[0]
        else:
            with pytest.raises(InputError) as here:
                match_layer(whole, graph, **kwargs)
            with pytest.raises(InputError) as there:
                match_file(path, graph, layer=layer, name="gps", task_points=40, **kwargs)
            assert str(here.value) == str(there.value) and "'half past nine'" in str(there.value)
