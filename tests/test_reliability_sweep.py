"""The reliability sweep (issue #17): every JoinedUp algorithm, fed one realistic bad input
at a time, gives either a result with every input feature accounted for or one clear
message; never a traceback, never a changed input.

Each cell (algorithm x bad input) asserts:
- no traceback: success, or a QgsProcessingException whose message is not a Python
  exception (no 'Traceback', no 'SomethingError:');
- where the algorithm writes one row per input feature: every input feature is in it;
- no input changed: each input file's SHA-256 is the same before and after the run;
- outputs open in QGIS, with the input's fields keeping their kind (integer, real, text,
  date).
Most cells run through processing.run; a few representative ones through qgis_process.

The bad inputs are derived from the committed sample city (resources/sample): null and empty
geometries, an empty layer, curved geometries (CompoundCurve / CurvePolygon), invalid
polygons (a bow-tie, a ring of 3 points), no CRS, a geographic CRS, numbers stored as text,
non-ASCII file, layer and field names, and an output folder that cannot be written.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from conftest import SAMPLE

# --- the algorithms: base parameters, the input that gets the bad variants ---------------
# (id, parameters with {layer} placeholders, target parameter, target layer, numeric field of
#  the target or None, output holding one row per target feature or None)
NET = "roads"
ALGORITHMS = [
    ("accessibility", {"NETWORK": NET, "DEMAND": "@", "DEMAND_FIELD": "population", "FACILITIES": "clinics",
                       "FACILITY_ID": "facility_id"}, "zones", "population", "OUTPUT"),
    ("coveragegaps", {"NETWORK": NET, "DEMAND": "@", "DEMAND_FIELD": "population", "FACILITIES": "clinics",
                      "THRESHOLD": 800, "UNCOVERED": "TMP", "SUMMARY": "TMP"}, "zones", "population", "OUTPUT"),
    ("locationallocation", {"NETWORK": NET, "DEMAND": "@", "DEMAND_FIELD": "population", "CANDIDATES": "clinics",
                            "CANDIDATE_ID": "facility_id", "P": 2, "SITES": "TMP", "ALLOCATION": "TMP",
                            "SUMMARY": "TMP"}, "zones", "population", None),
    ("areaprofile", {"AREAS": "@", "LAYERS": ["incidents"], "POPULATION_FIELD": "population"},
     "zones", "population", "OUTPUT"),
    ("joinbylocation", {"INPUT": "@", "JOIN": "clinics", "PREDICATE": [0], "METHOD": 1}, "zones", None, "OUTPUT"),
    ("joinnearest", {"INPUT": "@", "INPUT_2": "clinics"}, "incidents", "severity", "OUTPUT"),
    ("hotspots", {"INPUT": "@", "FIELD": "population", "WEIGHTS": 0, "PERMUTATIONS": 99},
     "zones", "population", "OUTPUT"),
    ("priorityindex", {"INPUT": "@", "FIELDS": ["population"], "RUNS": 0}, "zones", "population", "OUTPUT"),
    ("disclosurecontrol", {"INPUT": "@", "FIELDS": ["population"], "THRESHOLD": 3}, "zones", "population", "OUTPUT"),
    ("density", {"INPUT": "@", "RADIUS": 200, "PIXEL_SIZE": 50, "WEIGHT_FIELD": "severity"},
     "incidents", "severity", None),
    ("checknetwork", {"INPUT": "@", "PROBLEMS": "TMP"}, "roads", None, None),
    ("odmatrix", {"INPUT": NET, "ORIGINS": "@", "DESTINATIONS": "schools"}, "clinics", "capacity", None),
    ("shortestpath", {"INPUT": NET, "ORIGINS": "@", "DESTINATIONS": "schools", "PAIRING": 1}, "clinics", None, None),
    ("closestfacility", {"INPUT": NET, "INCIDENTS": "@", "FACILITIES": "clinics"}, "schools", None, None),
    ("serviceareas", {"INPUT": NET, "FACILITIES": "@", "BANDS": "500"}, "clinics", None, None),
    ("evidencemap", {"INPUT": "@", "FIELD": "population", "DPI": 50}, "zones", "population", None),
    ("mapmatch", {"INPUT": "@", "TRACK_FIELD": "track_id", "TIME_FIELD": "time", "NETWORK": NET,
                  "POINTS": "TMP"}, "gps_points", None, "POINTS"),
]
VARIANTS = ["clean", "null", "empty", "curved", "invalid", "nocrs", "geographic", "textnum", "nonascii",
            "unwritable"]
# Outcomes that must be a clear refusal rather than a result.
MUST_REFUSE = {"unwritable"}
# A Python exception's name at the start of a message line is a traceback in disguise.
PYTHON_ERROR = re.compile(r"(^|\n)\s*\w*(Error|Exception)\b:|Traceback")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _kind(field) -> str:
    name = field.typeName().lower()
    if "int" in name:
        return "integer"
    if name in ("real", "double", "float", "decimal", "numeric"):
        return "real"
    if "datetime" in name:
        return "datetime"
    if "date" in name:
        return "date"
    if "bool" in name:
        return "boolean"
    return "text"


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    """A copy of the sample city (inputs) and a folder for outputs, apart."""
    root = tmp_path_factory.mktemp("sweep")
    inputs = root / "inputs"
    inputs.mkdir()
    shutil.copyfile(SAMPLE / "sample_city.gpkg", inputs / "city.gpkg")
    small = {"incidents": 400, "gps_points": 600}  # keeps the sweep to a few minutes
    for name, n in small.items():
        gdf = gpd.read_file(inputs / "city.gpkg", layer=name).iloc[:n]
        gdf.to_file(inputs / f"{name}.gpkg", layer=name)
    # a "folder" that is a file: unwritable even for root (file permissions are not, there)
    readonly = root / "not_a_folder"
    readonly.write_text("")
    return root, inputs, readonly


def _source(inputs: Path, name: str) -> str:
    if (inputs / f"{name}.gpkg").exists():
        return f"{inputs / f'{name}.gpkg'}|layername={name}"
    return f"{inputs / 'city.gpkg'}|layername={name}"


def _variant(inputs: Path, layer: str, numeric: str | None, variant: str):
    """(source string, GeoDataFrame as written, layer name) of ``layer`` made bad in one way;
    None when the variant does not apply (e.g. curves of points)."""
    from osgeo import ogr

    base = _source(inputs, layer)
    path, name = base.split("|layername=")
    gdf = gpd.read_file(path, layer=name)
    folder = inputs / "variants"
    folder.mkdir(exist_ok=True)
    kind = gdf.geom_type.dropna().iloc[0] if len(gdf) else "Point"
    out_name = f"{layer}_{variant}"
    if variant == "clean":
        pass
    elif variant == "null":
        gdf.loc[gdf.index[[1, 3]], "geometry"] = None
    elif variant == "empty":
        gdf = gdf.iloc[:0]
    elif variant == "nocrs":
        gdf = gdf.set_crs(None, allow_override=True)
    elif variant == "geographic":
        gdf = gdf.to_crs(4326)
    elif variant == "textnum":
        if numeric is None:
            return None
        values = gdf[numeric].to_numpy()
        gdf[numeric] = [f" {v} " if k % 3 == 0 else (f"\u2212{abs(v)}" if v < 0 else f"{v:.0f}e0" if k % 3 == 1 else str(v))
                        for k, v in enumerate(values)]
    elif variant == "nonascii":
        out_name = f"zöne_ä_{layer}"
        gdf["päivä_ö"] = "ääkköset ✓"
    elif variant in ("curved", "invalid"):
        if "Point" in kind:
            return None
    elif variant == "unwritable":
        pass
    file = folder / f"{out_name}.gpkg"
    if file.exists():
        file.unlink()
    gdf.to_file(file, layer=out_name)
    if variant in ("curved", "invalid"):
        ds = ogr.Open(str(file), 1)
        lyr = ds.GetLayerByName(out_name)
        changed = 0
        for feature in lyr:
            geometry = feature.GetGeometryRef()
            if geometry is None:
                continue
            if variant == "curved":
                target = ogr.wkbMultiCurve if "Line" in kind else ogr.wkbMultiSurface
                feature.SetGeometry(ogr.ForceTo(geometry.Clone(), target))
            elif changed < 2:
                if "Polygon" in kind:
                    x0, y0, x1, y1 = geometry.GetEnvelope()[0], geometry.GetEnvelope()[2], \
                        geometry.GetEnvelope()[1], geometry.GetEnvelope()[3]
                    wkt = (f"POLYGON(({x0} {y0},{x1} {y1},{x1} {y0},{x0} {y1},{x0} {y0}))" if changed == 0 else
                           f"MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})),"
                           f"(({x0} {y0},{x0 + 1} {y0 + 1},{x0} {y0})))")
                else:  # a line of zero length
                    x, y = geometry.GetPoint_2D(0)
                    wkt = f"LINESTRING({x} {y},{x} {y})"
                feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
                changed += 1
            else:
                continue
            lyr.SetFeature(feature)
        ds = None
    return f"{file}|layername={out_name}", gdf, out_name


def _parameters(alg, spec, inputs, target_source, out_folder, readonly, variant):
    from qgis.core import QgsProcessingParameterFeatureSink, QgsProcessingParameterRasterDestination

    params = {}
    for key, value in spec.items():
        if value == "@":
            params[key] = target_source
        elif value == "TMP":
            params[key] = "TEMPORARY_OUTPUT"
        elif isinstance(value, list) and value and isinstance(value[0], str) and not key.endswith("FIELDS") \
                and key not in ("FIELDS",):
            params[key] = [_source(inputs, v) for v in value]
        elif isinstance(value, str) and key in ("NETWORK", "FACILITIES", "JOIN", "INPUT_2", "DESTINATIONS",
                                                "CANDIDATES", "INPUT") :
            params[key] = _source(inputs, value)
        else:
            params[key] = value
    folder = readonly if variant == "unwritable" else out_folder
    for definition in alg.destinationParameterDefinitions():
        if definition.name() in params and variant != "unwritable":
            continue
        if isinstance(definition, QgsProcessingParameterRasterDestination):
            params[definition.name()] = str(folder / f"{definition.name().lower()}.tif")
        elif isinstance(definition, QgsProcessingParameterFeatureSink):
            params[definition.name()] = str(folder / f"{definition.name().lower()}.gpkg")
        elif definition.name() == "OUTPUT_PDF":  # the one required file output of the evidence map
            params[definition.name()] = str(folder / "map.pdf")
    return params


def _hashes(folder: Path) -> dict:
    return {p: sha256(p) for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith("-journal")}


def _check_cell(alg_id, spec, layer, numeric, per_feature, variant, workshop, runner):
    from qgis.core import QgsApplication, QgsProcessingException, QgsVectorLayer

    root, inputs, readonly = workshop
    made = _variant(inputs, layer, numeric, variant)
    assert made is not None, f"{variant} does not apply to {layer}: applies() should have left it out"
    source, written, _ = made
    alg = QgsApplication.processingRegistry().algorithmById(f"joinedup:{alg_id}")
    out_folder = root / "out" / f"{alg_id}_{variant}"
    out_folder.mkdir(parents=True, exist_ok=True)
    params = _parameters(alg, spec, inputs, source, out_folder, readonly, variant)
    if variant == "textnum" and numeric and alg_id in ("priorityindex", "disclosurecontrol", "hotspots",
                                                      "areaprofile", "accessibility", "coveragegaps",
                                                      "locationallocation", "density"):
        pass  # the text field is the one the algorithm reads
    before = _hashes(inputs)
    try:
        results, error = runner(f"joinedup:{alg_id}", params), None
    except QgsProcessingException as exc:
        results, error = None, str(exc)
    assert _hashes(inputs) == before, "an input file changed"
    if error is not None:
        assert not PYTHON_ERROR.search(error), f"traceback-like message: {error[:500]}"
        assert error.strip(), "an empty message"
        if variant not in MUST_REFUSE and variant not in ("empty", "nocrs"):
            if variant == "textnum":
                pytest.fail(f"text numbers refused: {error[:300]}")
            pytest.fail(f"refused: {error[:300]}")
        return error
    assert variant not in MUST_REFUSE, "wrote into a read-only folder"
    for key, value in results.items():
        if isinstance(value, str) and value.split("|")[0].endswith((".gpkg", ".shp", ".csv", ".dbf")) \
                and os.path.exists(value.split("|")[0]):
            layer_out = QgsVectorLayer(value, key, "ogr")
            assert layer_out.isValid(), f"{key} does not open in QGIS"
    if per_feature and per_feature in results:
        out = QgsVectorLayer(results[per_feature], per_feature, "ogr")
        assert out.featureCount() == len(written), \
            f"{per_feature}: {out.featureCount()} rows for {len(written)} input features"
        source_layer = QgsVectorLayer(source, "in", "ogr")
        for field in source_layer.fields():
            if field.name().lower() == "fid" or (variant == "textnum" and field.name() == numeric):
                continue
            index = out.fields().indexOf(field.name())
            if index >= 0:
                assert _kind(out.fields().at(index)) == _kind(field), \
                    f"{field.name()}: {field.typeName()} became {out.fields().at(index).typeName()}"
    return results


def _processing_run(plugin):
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    def run(alg_id, params):
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        return processing.run(alg_id, params, context=context, feedback=QgsProcessingFeedback())
    return run


# The sample city's point layers: curves and broken rings are cases of lines and polygons only.
POINT_LAYERS = {"incidents", "inspections", "amenities", "clinics", "schools", "gps_points", "collisions"}


def applies(layer: str, numeric, variant: str) -> bool:
    """Whether a bad-input case exists for this target: only these cells are made (no skips)."""
    if variant == "textnum":
        return numeric is not None
    if variant in ("curved", "invalid"):
        return layer not in POINT_LAYERS
    return True


CELLS = [pytest.param(a, s, lay, num, per, v, id=f"{a}-{v}")
         for a, s, lay, num, per in ALGORITHMS for v in VARIANTS if applies(lay, num, v)]


@pytest.mark.parametrize("alg_id,spec,layer,numeric,per_feature,variant", CELLS)
def test_sweep(plugin, workshop, alg_id, spec, layer, numeric, per_feature, variant):
    _check_cell(alg_id, spec, layer, numeric, per_feature, variant, workshop, _processing_run(plugin))


# --- a representative subset through qgis_process (QGIS's own command line) --------------
QGIS_PROCESS_CELLS = [("coveragegaps", "invalid"), ("priorityindex", "textnum"), ("checknetwork", "curved"),
                      ("areaprofile", "nocrs")]


@pytest.mark.parametrize("alg_id,variant", QGIS_PROCESS_CELLS, ids=[f"{a}-{v}" for a, v in QGIS_PROCESS_CELLS])
def test_sweep_through_qgis_process(plugin, workshop, alg_id, variant):
    from qgis.core import QgsProcessingException

    from qgis_process_helpers import qgis_process_run

    spec = next(a for a in ALGORITHMS if a[0] == alg_id)

    def run(algorithm, params):
        answer = qgis_process_run(algorithm, params, check=False)
        if answer["returncode"] != 0:
            text = answer.get("stderr", "") + answer.get("stdout", "")
            # qgis_process prints the algorithm's message on its error stream; a traceback
            # there is what the sweep looks for
            raise QgsProcessingException(text[-3000:])
        return answer["results"]

    outcome = _check_cell(alg_id, spec[1], spec[2], spec[3], spec[4], variant, workshop, run)
    assert outcome is not None
