"""Write the shipped models in resources/models/. Run after changing one:

    .venv/bin/python -P scripts/make_models.py [OUT_FOLDER]

(tests/test_regenerate_resources.py writes them to a temporary folder and compares them with
the committed files, so a model edited by hand, or a builder changed without re-running this,
fails the tests.)

- area_profile_with_buffer.model3: QGIS's native:buffer around centre points (schools,
  stations ...), then joinedup:areaprofile of those catchments with any agency layers.
- devolution_evidence.model3: the devolution evidence recipe that `make demo` runs through
  qgis_process: area profile of the agency layers → accessibility to clinics and schools →
  clinic coverage gaps → location-allocation of new clinics → incident hotspots → streets
  shared by lorries and cyclists → priority index. (The evidence pack is the last step of
  scripts/demo.sh: it reads every output of this model.)
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "resources" / "models"


def build_area_profile_with_buffer():
    from qgis.core import (
        QgsProcessing,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterMultipleLayers,
        QgsProcessingParameterNumber,
    )
    from qgis.core import (
        QgsProcessingModelChildParameterSource as Source,
    )

    model = QgsProcessingModelAlgorithm("Area profile of buffered centres", "JoinedUp",
                                        "area_profile_with_buffer")
    model.setHelpContent({"ALG_DESC": (
        "Draws a buffer of BUFFER_M metres around each centre (QGIS's native:buffer) and "
        "profiles every buffer with the agency LAYERS (joinedup:areaprofile): counts, "
        "lengths and covered shares per catchment.")})
    centres = QgsProcessingParameterFeatureSource(
        "CENTRES", "Centres (points)", [QgsProcessing.SourceType.TypeVectorPoint])
    model.addModelParameter(centres, QgsProcessingModelParameter("CENTRES"))
    distance = QgsProcessingParameterNumber(
        "BUFFER_M", "Buffer distance (metres, in the centres' projected CRS)",
        QgsProcessingParameterNumber.Type.Double, 500.0, minValue=0.0)
    model.addModelParameter(distance, QgsProcessingModelParameter("BUFFER_M"))
    layers = QgsProcessingParameterMultipleLayers(
        "LAYERS", "Agency layers", QgsProcessing.SourceType.TypeVectorAnyGeometry)
    model.addModelParameter(layers, QgsProcessingModelParameter("LAYERS"))

    buffer = QgsProcessingModelChildAlgorithm("native:buffer")
    buffer.setChildId("buffer")
    buffer.setDescription("Buffer the centres")
    buffer.addParameterSources("INPUT", [Source.fromModelParameter("CENTRES")])
    buffer.addParameterSources("DISTANCE", [Source.fromModelParameter("BUFFER_M")])
    buffer.addParameterSources("SEGMENTS", [Source.fromStaticValue(16)])
    buffer.addParameterSources("DISSOLVE", [Source.fromStaticValue(False)])
    model.addChildAlgorithm(buffer)

    profile = QgsProcessingModelChildAlgorithm("joinedup:areaprofile")
    profile.setChildId("profile")
    profile.setDescription("Profile the buffers")
    profile.addParameterSources("AREAS", [Source.fromChildOutput("buffer", "OUTPUT")])
    profile.addParameterSources("LAYERS", [Source.fromModelParameter("LAYERS")])
    profile.addParameterSources("SHORT_NAMES", [Source.fromStaticValue(False)])
    profile.addParameterSources("INVALID_GEOMETRIES", [Source.fromStaticValue(0)])
    output = QgsProcessingModelOutput("Profile", "Area profile")
    output.setChildId("profile")
    output.setChildOutputName("OUTPUT")
    profile.setModelOutputs({"Profile": output})
    profile.setDependencies([])
    model.addChildAlgorithm(profile)
    return model


# Model inputs: (name, description, geometry type: 0 point, 1 line, 2 polygon, -1 any)
INPUTS = (
    ("ZONES", "Zones with a population field", 2),
    ("INCIDENTS", "Incidents (points)", 0),
    ("INSPECTIONS", "Inspections (points)", 0),
    ("AMENITIES", "Amenities, also the candidate sites for new clinics (points)", 0),
    ("ROADS", "Road network (lines)", 1),
    ("CLINICS", "Clinics (points, with a capacity field)", 0),
    ("SCHOOLS", "Schools (points, with a capacity field)", 0),
    ("GPS_POINTS", "GPS points of lorries and cyclists (track_id, time, mode)", 0),
    ("COLLISIONS", "Road collisions (points)", 0),
)

# Children: (child id, algorithm, description, {parameter: source}, {output: model output name}).
# A source is "@INPUT" (a model input), "child.OUTPUT" (another child's output), or a value.
STEPS = (
    ("profile", "joinedup:areaprofile", "Area profile of the agency layers",
     {"AREAS": "@ZONES", "LAYERS": ["@INCIDENTS", "@INSPECTIONS", "@AMENITIES"],
      "POPULATION_FIELD": "population"},
     {"OUTPUT": "area_profile"}),
    ("access_clinics", "joinedup:accessibility", "Accessibility to clinics",
     {"NETWORK": "@ROADS", "DEMAND": "profile.OUTPUT", "DEMAND_FIELD": "population",
      "FACILITIES": "@CLINICS", "FACILITY_ID": "facility_id", "SUPPLY_FIELD": "capacity"},
     {"OUTPUT": "access_clinics"}),
    ("access_schools", "joinedup:accessibility", "Accessibility to schools",
     {"NETWORK": "@ROADS", "DEMAND": "@ZONES", "DEMAND_FIELD": "population",
      "FACILITIES": "@SCHOOLS", "FACILITY_ID": "facility_id", "SUPPLY_FIELD": "capacity"},
     {"OUTPUT": "access_schools"}),
    ("gaps", "joinedup:coveragegaps", "Clinic coverage gaps (800 m)",
     {"NETWORK": "@ROADS", "DEMAND": "access_clinics.OUTPUT", "DEMAND_FIELD": "population",
      "FACILITIES": "@CLINICS", "FACILITY_ID": "facility_id", "THRESHOLD": 800.0},
     {"OUTPUT": "coverage_gaps", "UNCOVERED": "uncovered_demand", "SUMMARY": "coverage_summary"}),
    ("new_clinics", "joinedup:locationallocation",
     "Two new clinics (p-median, existing kept), and the options of 1 to 4",
     {"NETWORK": "@ROADS", "DEMAND": "@ZONES", "DEMAND_FIELD": "population",
      "CANDIDATES": "@AMENITIES", "EXISTING": "@CLINICS", "EXISTING_ID": "facility_id",
      "PROBLEM": 0, "P": 2, "THRESHOLD": 800.0, "P_MAX": 4},
     {"SITES": "new_clinic_sites", "ALLOCATION": "clinic_allocation",
      "SUMMARY": "location_summary", "OPTIONS": "clinic_options"}),
    # the same 800 m coverage with the proposed sites open (the sites layer lists every open
    # site, existing and new): the pack's before/after finding compares the two
    ("gaps_after", "joinedup:coveragegaps", "Clinic coverage gaps with the proposed sites (800 m)",
     {"NETWORK": "@ROADS", "DEMAND": "access_clinics.OUTPUT", "DEMAND_FIELD": "population",
      "FACILITIES": "new_clinics.SITES", "FACILITY_ID": "site_id", "THRESHOLD": 800.0},
     {"OUTPUT": "coverage_gaps_after"}),
    ("hotspots", "joinedup:hotspots", "Incident hotspots (Gi*)",
     {"INPUT": "@INCIDENTS", "PERMUTATIONS": 199, "SEED": 1, "FDR": True},
     {"OUTPUT": "incident_hotspots"}),
    ("mapmatch", "joinedup:mapmatch", "Match GPS tracks to the streets",
     {"INPUT": "@GPS_POINTS", "TRACK_FIELD": "track_id", "TIME_FIELD": "time",
      "MODE_FIELD": "mode", "NETWORK": "@ROADS"},
     {"OUTPUT": "matched_routes"}),
    ("flows", "joinedup:networkflows", "Flows per street by mode",
     {"NETWORK": "@ROADS", "ROUTES": "mapmatch.OUTPUT", "CATEGORY_FIELD": "mode"},
     {"OUTPUT": "flows"}),
    ("shared", "joinedup:sharedroutes", "Streets shared by lorries and cyclists",
     {"INPUT": "flows.OUTPUT", "FIELD_A": "passages_hgv", "FIELD_B": "passages_cycle",
      "COLLISIONS": "@COLLISIONS", "TOP_N": 20},
     {"OUTPUT": "shared_streets"}),
    ("priority", "joinedup:priorityindex", "Priority index of zones",
     {"INPUT": "gaps.OUTPUT",
      "FIELDS": ["incidents_per_1000", "nearest_cost", "uncovered_share"],
      "RUNS": 500, "SEED": 1},
     {"OUTPUT": "priority_index"}),
)


def _source(value):
    from qgis.core import QgsProcessingModelChildParameterSource as Source

    if isinstance(value, str) and value.startswith("@"):
        return Source.fromModelParameter(value[1:])
    if isinstance(value, str) and "." in value and value.split(".")[0] in {s[0] for s in STEPS}:
        child, output = value.split(".")
        return Source.fromChildOutput(child, output)
    return Source.fromStaticValue(value)


def build_devolution_evidence():
    from qgis.core import (
        QgsProcessing,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
    )

    kinds = {0: QgsProcessing.SourceType.TypeVectorPoint, 1: QgsProcessing.SourceType.TypeVectorLine,
             2: QgsProcessing.SourceType.TypeVectorPolygon, -1: QgsProcessing.SourceType.TypeVectorAnyGeometry}
    model = QgsProcessingModelAlgorithm("Devolution evidence recipe", "JoinedUp", "devolution_evidence")
    model.setHelpContent({"ALG_DESC": (
        "The data office's standard evidence run: profiles the agency layers per zone, measures "
        "walking access to clinics and schools, finds clinic coverage gaps, places two new "
        "clinics, finds incident hotspots, finds the streets lorries and cyclists share "
        "(from GPS tracks, with collisions), and ranks zones by a priority index. Every output "
        "is a layer; scripts/demo.sh then prints them as an evidence pack.")})
    for name, description, kind in INPUTS:
        parameter = QgsProcessingParameterFeatureSource(name, description, [kinds[kind]])
        model.addModelParameter(parameter, QgsProcessingModelParameter(name))
    for child_id, algorithm, description, sources, outputs in STEPS:
        child = QgsProcessingModelChildAlgorithm(algorithm)
        child.setChildId(child_id)
        child.setDescription(description)
        for parameter, value in sources.items():
            values = value if isinstance(value, list) and any(
                isinstance(v, str) and v.startswith("@") for v in value) else [value]
            child.addParameterSources(parameter, [_source(v) for v in values])
        model_outputs = {}
        for output_name, model_name in outputs.items():
            output = QgsProcessingModelOutput(model_name, model_name)
            output.setChildId(child_id)
            output.setChildOutputName(output_name)
            model_outputs[model_name] = output
        child.setModelOutputs(model_outputs)
        model.addChildAlgorithm(child)
    return model


def main():
    sys.path.insert(0, str(REPO / "benchmarks"))
    from common import qgis_session

    qgis_session()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else MODELS
    out.mkdir(parents=True, exist_ok=True)
    for name, build in (("area_profile_with_buffer", build_area_profile_with_buffer),
                        ("devolution_evidence", build_devolution_evidence)):
        target = out / f"{name}.model3"
        assert build().toFile(str(target)), f"could not write {target}"
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
