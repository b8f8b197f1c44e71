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
    ("routeoptimisation", {"INPUT": NET, "JOBS": "@", "JOB_ID": "facility_id", "DEMAND_FIELD": "capacity",
                           "VEHICLES": "schools", "VEHICLE_ID": "facility_id", "TIME_LIMIT": 2, "QUALITY": 0,
                           "STOPS": "TMP", "UNASSIGNED": "TMP", "SUMMARY": "TMP"}, "clinics", "capacity", None),
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


def _text_numbers(values) -> list:
    """Numbers as a spreadsheet export stores them: padded, in exponent form, with a unicode
    minus (all unambiguous), and nulls kept null."""
    return [None if v is None or v != v else
            f" {v} " if k % 3 == 0 else (f"\u2212{abs(v)}" if v < 0 else f"{v:.0f}e0" if k % 3 == 1 else str(v))
            for k, v in enumerate(values)]


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
        gdf[numeric] = _text_numbers(gdf[numeric].to_numpy())
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
                                                "CANDIDATES", "INPUT", "VEHICLES"):
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


# --- algorithms that need chained or special inputs ---------------------------------------
# linkaddresses (a records table and a gazetteer), propertyprofile (linked records),
# evidencepack (a PDF), sharedroutes (edge flows with two counts) and networkflows (OD lines on
# a network). Their inputs are made once from the committed data; each cell makes one of them
# bad in one way. "null" nulls geometries in the input where geometry matters (the gazetteer
# for the two linkage algorithms, whose records are tables).
SPECIAL_VARIANTS = ["clean", "empty", "null", "nonascii", "textnum", "unwritable"]


@pytest.fixture(scope="module")
def special(workshop, real_data):
    """The base frames, by name: gazetteer, records, linked, zones, flows, od, roads, collisions."""
    import gen_addresses as g
    import pandas as pd
    import shapely

    root, inputs, _ = workshop
    city = inputs / "city.gpkg"
    gaz = g.make_gazetteer(1, seed=31, osm_path=real_data / "helsinki.osm.pbf").iloc[:3000]
    extract = g.make_agency_extract(gaz, 150, seed=32, uprn_share=0.3)
    records = pd.DataFrame(extract.drop(columns=["true_uprn", "error_type"]))
    linked = pd.DataFrame({"matched_uprn": extract["true_uprn"].astype("Float64"),
                           "occupancy": np.where(np.arange(len(extract)) % 4 == 0, "empty", "occupied"),
                           "last_updated": "2026-01-01"})
    roads = gpd.read_file(city, layer="roads")
    rng = np.random.default_rng(33)
    flows = roads[["osm_id", "geometry"]].iloc[:400].copy()
    flows["passages_hgv"] = rng.integers(0, 20, len(flows))
    flows["passages_cycle"] = rng.integers(0, 20, len(flows))
    ends = shapely.get_coordinates(roads.geometry.iloc[::50].boundary)[:24].reshape(-1, 2, 2)
    od = gpd.GeoDataFrame({"trips": rng.integers(1, 30, len(ends)).astype(float)},
                          geometry=shapely.linestrings(ends), crs=roads.crs)
    return {"gazetteer": gaz, "records": records, "linked": linked, "zones": gpd.read_file(city, layer="zones"),
            "flows": flows, "od": od, "roads": roads, "collisions": gpd.read_file(city, layer="collisions")}


# (algorithm, parameters with "@name" for a base frame, the parameter made bad, the one whose
#  geometry is nulled, the numeric field of the bad one, the output holding one row per feature
#  of the bad one or None)
SPECIAL_ALGORITHMS = [
    ("linkaddresses", {"INPUT": "@records", "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
                       "UPRN_FIELD": "uprn", "REFERENCE": "@gazetteer", "REF_UPRN_FIELD": "uprn",
                       "REF_ADDRESS_FIELDS": ["address"], "REF_POSTCODE_FIELD": "postcode"},
     "INPUT", "REFERENCE", "uprn", "OUTPUT"),
    ("propertyprofile", {"SOURCES": ["@linked"], "RULES": 'anything | "uprn" IS NOT NULL',
                         "REFERENCE": "@gazetteer", "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"]},
     "SOURCES", "REFERENCE", "matched_uprn", None),
    ("evidencepack", {"INPUT": "@zones", "FIELD": "population", "NAME_FIELD": "name", "DPI": 50},
     "INPUT", "INPUT", "population", None),
    ("sharedroutes", {"INPUT": "@flows", "FIELD_A": "passages_hgv", "FIELD_B": "passages_cycle", "METHOD": 0,
                      "TOP_N": 5, "COLLISIONS": "@collisions", "MAX_DISTANCE": 5},
     "INPUT", "INPUT", "passages_hgv", "OUTPUT"),
    ("networkflows", {"NETWORK": "@roads", "MODE": 2, "PRESET": 1, "OD": "@od", "VOLUME_FIELD": "trips"},
     "OD", "OD", "trips", None),
]


def _write_frame(folder: Path, frame, name: str) -> str:
    import pyogrio

    file = folder / f"{name}.gpkg"
    if file.exists():
        file.unlink()
    pyogrio.write_dataframe(frame, file, layer=name)
    return f"{file}|layername={name}"


def _special_parameters(alg, spec, frames, bad, bad_frame, folder, out_folder, readonly, variant):
    """``spec`` with every "@name" written to a GeoPackage (``bad`` gets ``bad_frame``) and every
    destination in ``out_folder`` (in the unwritable one for that variant)."""
    from qgis.core import QgsProcessingParameterFeatureSink, QgsProcessingParameterFileDestination

    def source(key, value):
        name = value[1:]
        if key == bad:
            layer = f"zöne_ä_{name}" if variant == "nonascii" else f"{name}_{variant}"
            return _write_frame(folder, bad_frame, layer)
        return _write_frame(folder, frames[name], name) if not (folder / f"{name}.gpkg").exists() \
            else f"{folder / f'{name}.gpkg'}|layername={name}"

    params = {}
    for key, value in spec.items():
        if isinstance(value, str) and value.startswith("@"):
            params[key] = source(key, value)
        elif isinstance(value, list) and value and str(value[0]).startswith("@"):
            params[key] = [source(key, v) for v in value]
        else:
            params[key] = value
    target = readonly if variant == "unwritable" else out_folder
    for definition in alg.destinationParameterDefinitions():
        if isinstance(definition, QgsProcessingParameterFeatureSink):
            params[definition.name()] = str(target / f"{definition.name().lower()}.gpkg")
        elif isinstance(definition, QgsProcessingParameterFileDestination) and not (
                definition.flags() & definition.Flag.FlagOptional):
            params[definition.name()] = str(target / f"{definition.name().lower()}.{definition.defaultFileExtension()}")
    if alg.id() == "joinedup:linkaddresses":
        params["CACHE_FOLDER"] = str(out_folder / "cache")  # not the test profile's
    return params


def _bad_frame(frame, variant, numeric, geometry_bad: bool):
    """``frame`` made bad in the way ``variant`` says (a copy)."""
    frame = frame.copy()
    if variant == "empty":
        frame = frame.iloc[:0]
    elif variant == "null" and geometry_bad:
        frame.loc[frame.index[[1, 3]], "geometry"] = None
    elif variant == "nonascii":
        frame["päivä_ö"] = "ääkköset ✓"
    elif variant == "textnum":
        frame[numeric] = _text_numbers(frame[numeric].to_numpy())
    return frame


@pytest.mark.parametrize("alg_id,spec,bad,null_target,numeric,per_feature,variant", [
    pytest.param(*a, v, id=f"{a[0]}-{v}")
    for a in SPECIAL_ALGORITHMS for v in SPECIAL_VARIANTS])
def test_sweep_special(plugin, workshop, special, alg_id, spec, bad, null_target, numeric, per_feature, variant):
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback, QgsProject

    def run(algorithm, params):
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        feedback = QgsProcessingFeedback()
        try:
            return processing.run(algorithm, params, context=context, feedback=feedback), None, feedback.textLog()
        except QgsProcessingException as exc:
            return None, str(exc), feedback.textLog()

    _check_special_cell(alg_id, spec, bad, null_target, numeric, per_feature, variant, workshop, special, run)


SPECIAL_QGIS_PROCESS_CELLS = [("linkaddresses", "nonascii"), ("sharedroutes", "null"), ("networkflows", "textnum")]


@pytest.mark.slow
@pytest.mark.parametrize("alg_id,variant", SPECIAL_QGIS_PROCESS_CELLS,
                         ids=[f"{a}-{v}" for a, v in SPECIAL_QGIS_PROCESS_CELLS])
def test_sweep_special_through_qgis_process(plugin, workshop, special, alg_id, variant):
    from qgis_process_helpers import qgis_process_run

    def run(algorithm, params):
        answer = qgis_process_run(algorithm, params, check=False)
        if answer["returncode"] != 0:
            return None, answer.get("stderr", "") + answer.get("stdout", ""), ""
        log = "\n".join(line for lines in answer.get("log", {}).values() for line in lines)
        return answer["results"], None, log + "\n" + answer["stderr"]

    spec = next(a for a in SPECIAL_ALGORITHMS if a[0] == alg_id)
    _check_special_cell(*spec, variant, workshop, special, run)


def _check_special_cell(alg_id, spec, bad, null_target, numeric, per_feature, variant, workshop, special, runner):
    """One cell: ``runner(algorithm, parameters)`` gives (results or None, message or None, log)."""
    from qgis.core import QgsApplication, QgsVectorLayer

    root, inputs, readonly = workshop
    folder = inputs / "special"
    folder.mkdir(exist_ok=True)
    out_folder = root / "out" / f"{alg_id}_{variant}"
    out_folder.mkdir(parents=True, exist_ok=True)
    target = null_target if variant == "null" else bad
    value = spec[target]
    name = (value[0] if isinstance(value, list) else value)[1:]
    bad_frame = _bad_frame(special[name], variant, numeric, geometry_bad=variant == "null")
    alg = QgsApplication.processingRegistry().algorithmById(f"joinedup:{alg_id}")
    params = _special_parameters(alg, spec, special, target, bad_frame, folder, out_folder, readonly, variant)
    before = _hashes(inputs)
    results, error, log = runner(f"joinedup:{alg_id}", params)
    assert _hashes(inputs) == before, "an input file changed"
    assert not PYTHON_ERROR.search(log), f"traceback-like log: {log[-800:]}"
    if error is not None:
        assert not PYTHON_ERROR.search(error), f"traceback-like message: {error[:500]}"
        assert error.strip(), "an empty message"
        assert variant in MUST_REFUSE or variant == "empty", f"refused: {error[:300]}"
        return
    assert variant not in MUST_REFUSE, "wrote into a read-only folder"
    for key, path in results.items():
        if isinstance(path, str) and path.endswith(".gpkg") and os.path.exists(path):
            assert QgsVectorLayer(path, key, "ogr").isValid(), f"{key} does not open in QGIS"
    # every feature of the bad input accounted for
    n = len(bad_frame)
    if per_feature and target == bad:
        out = QgsVectorLayer(results[per_feature], per_feature, "ogr")
        assert out.featureCount() == n, f"{per_feature}: {out.featureCount()} rows for {n} input features"
    if alg_id == "networkflows":
        counted = sum(int(c) for c in re.findall(r"(\d+) \w+", log.split("OD rows:")[1].splitlines()[0])) \
            if "OD rows:" in log else 0
        assert counted == n, f"OD rows reported {counted} of {n}: {log[-600:]}"
    if variant == "null":
        assert re.search(r"\b2 (with )?no geometry", log), f"null geometries not reported: {log[:600]}"
    if alg_id == "propertyprofile" and variant == "null":
        # the gazetteer is the target: its features without a point are counted in the log
        assert re.search(rf"{n} features read, \d+ with no geometry", log), log[:600]
    elif alg_id == "propertyprofile":
        read, with_uprn, left_out = map(int, re.search(
            r": (\d+) records, (\d+) with a UPRN \((\d+) without one left out\)", log).groups())
        assert read == n and with_uprn + left_out == n, log[:600]
        # the same property however its UPRN is written: counted from the numbers before they
        # were made text
        properties = special["linked"]["matched_uprn"].dropna().nunique()
        assert results["PROPERTIES"] == properties, f"{results['PROPERTIES']} properties for {properties} UPRNs"
