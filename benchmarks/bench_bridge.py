"""What the bridge costs per 100k features, next to QGIS's own ways of moving features.

For points and polygons (100k each; ``--quick``: 10k), from a GeoPackage:
- read:  ``bridge.read_file`` (bulk, pyogrio) vs a plain PyQGIS loop over
  ``layer.getFeatures()`` touching geometry and attributes (what a Python algorithm does);
- write: ``bridge.write_output`` to a GeoPackage (bulk, pyogrio) and to ``memory:`` (QGIS's
  feature sink) vs QGIS's own C++ copy ``native:savefeatures`` (GeoPackage → GeoPackage);
- copy end to end through ``processing.run``: a bridge copy algorithm (read_source +
  write_output) vs ``native:savefeatures``.
Times are medians of 3 runs, scaled to seconds per 100k features.

    .venv/bin/python benchmarks/bench_bridge.py [--quick]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bridge_copy import bridge_copy_provider  # noqa: E402
from common import (  # noqa: E402
    median_stages,
    median_time,
    peak_rss_mb,
    qgis_session,
    report,
    stage_clock,
    stage_text,
)

COPY_STAGES = {"read": "joinedup.processing.bridge:read_source",
               "write": "joinedup.processing.bridge:write_output"}


def _inputs(n: int, folder: Path) -> dict:
    import numpy as np
    import pyogrio
    from generators import random_points, square_grid

    side = int(round(np.sqrt(n)))
    grid = square_grid(side, int(np.ceil(n / side)), size=50.0, seed=1).iloc[:n]
    grid["name"] = ["zone " + str(i) for i in range(len(grid))]
    data = {"points": random_points(n, seed=1), "polygons": grid}
    paths = {}
    for kind, gdf in data.items():
        path = folder / f"{kind}.gpkg"
        pyogrio.write_dataframe(gdf, path, layer=kind, dataset_options={"VERSION": "1.2"})
        paths[kind] = path
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10k features instead of 100k")
    args = parser.parse_args(argv)
    n = 10_000 if args.quick else 100_000
    scale = 100_000 / n

    processing = qgis_session()
    from qgis.core import (
        QgsApplication,
        QgsFeature,
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProject,
        QgsVectorLayer,
    )

    from joinedup.processing import bridge

    # keep a reference: QGIS does not own the Python object
    provider = bridge_copy_provider("benchbridge", "Bridge benchmark")
    QgsApplication.processingRegistry().addProvider(provider)
    folder = Path(tempfile.mkdtemp(prefix="bench_bridge_"))
    rows = []
    try:
        paths = _inputs(n, folder)
        for kind, path in paths.items():
            layer = QgsVectorLayer(f"{path}|layername={kind}", kind, "ogr")
            QgsProject.instance().addMapLayer(layer)

            def qgis_loop():
                count = 0
                for feature in layer.getFeatures():
                    feature.geometry()
                    feature.attributes()
                    count += 1
                return count

            def bridge_read():
                return bridge.read_file(str(path), kind)[0]

            t_loop, _, count = median_time(qgis_loop)
            t_read, _, gdf = median_time(bridge_read)
            assert count == len(gdf) == n

            def run(alg, output):
                context = QgsProcessingContext()
                context.setProject(QgsProject.instance())
                return processing.run(alg, {"INPUT": layer.id(), "OUTPUT": output},
                                      context=context, feedback=QgsProcessingFeedback())

            counter = iter(range(1000))

            def out(name):
                return str(folder / f"{kind}_{name}_{next(counter)}.gpkg")

            t_native, _, _ = median_time(lambda: run("native:savefeatures", out("native")))
            copy_stages = []

            def staged_copy():
                with stage_clock(COPY_STAGES) as stages:
                    result = run("benchbridge:copy", out("bridge"))
                copy_stages.append(stages)
                return result

            t_copy, _, _ = median_time(staged_copy)
            t_copy_mem, _, _ = median_time(lambda: run("benchbridge:copy", "memory:"), repeat=1)

            def bridge_write():
                target = out("write")
                bridge._write_file(gdf, target, "GPKG", None, None, None)
                return target

            t_write, _, written = median_time(bridge_write)

            def write_without_index():  # what GeoPackage's R-tree costs of the write above
                import pyogrio

                target = out("noindex")
                pyogrio.write_dataframe(gdf, target, layer=kind, dataset_options={"VERSION": "1.2"},
                                        layer_options={"SPATIAL_INDEX": "NO"},
                                        use_arrow=bridge.arrow_write_available("GPKG"))

            t_noindex, _, _ = median_time(write_without_index)
            check = QgsVectorLayer(written, "check", "ogr")
            assert check.featureCount() == n
            assert isinstance(next(check.getFeatures()), QgsFeature)
            rows.append({
                "kind": kind, "features": n,
                "bridge_read_s_per_100k": t_read * scale,
                "qgis_python_loop_s_per_100k": t_loop * scale,
                "read_ratio": t_loop / t_read,
                "bridge_write_gpkg_s_per_100k": t_write * scale,
                "gpkg_write_without_rtree_s_per_100k": t_noindex * scale,
                "bridge_copy_gpkg_s_per_100k": t_copy * scale,
                "copy_stages": stage_text({k: v * scale for k, v in median_stages(copy_stages).items()}),
                "bridge_copy_memory_s_per_100k": t_copy_mem * scale,
                "native_savefeatures_s_per_100k": t_native * scale,
                "copy_ratio_native_over_bridge": t_native / t_copy,
            })
            QgsProject.instance().removeMapLayer(layer.id())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report("bench_bridge", rows, notes=(
        f"seconds per 100k features (median of 3; measured on {n} features); peak RSS "
        f"{peak_rss_mb():.0f} MiB. read_ratio > 1: the bridge reads faster than a PyQGIS loop; "
        "copy_ratio > 1: a bridge copy through processing.run is faster than native:savefeatures. "
        "gpkg_write_without_rtree: the same write with SPATIAL_INDEX=NO (the R-tree's share; the "
        "bridge keeps the index QGIS users expect). copy_stages per 100k: read_source, write_output, "
        f"other. Columnar (Arrow) writes: {bridge.arrow_write_available('GPKG')} on this GDAL."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
