"""The workbench's three algorithms as steps of one QGIS model, as an office would chain them:
an extract imported (joinedup:importrecords), checked against a Table Schema
(joinedup:validatelayer) and published per area (joinedup:publishopendata). The counts are the
ones worked out by hand for the same extract in test_workbench_publish.py."""
from __future__ import annotations

import json

import pandas as pd
from test_workbench_publish import validate_with_frictionless, write_inputs

# "Ward Code" as typed: every third row of 1-40 is lower case (e05000999), 13 rows in all.
SCHEMA = {"fields": [{"name": "Ward Code", "type": "string", "constraints": {"pattern": "E0[0-9]{7}"}}]}


def build_model():
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFile,
        QgsProcessingParameterVectorLayer,
    )

    model = QgsProcessingModelAlgorithm("import, check and publish", "tests")
    for name in ("extract", "directory", "schema"):
        model.addModelParameter(QgsProcessingParameterFile(name, name), QgsProcessingModelParameter(name))
    model.addModelParameter(QgsProcessingParameterVectorLayer("areas", "areas"), QgsProcessingModelParameter("areas"))

    def step(child_id, algorithm, sources, outputs=()):
        child = QgsProcessingModelChildAlgorithm(algorithm)
        child.setChildId(child_id)
        for name, source in sources.items():
            child.addParameterSources(name, [source])
        declared = {}
        for output_name, child_output in outputs:
            output = QgsProcessingModelOutput(output_name)
            output.setChildOutputName(child_output)
            declared[output_name] = output
        child.setModelOutputs(declared)
        model.addChildAlgorithm(child)

    parameter = QgsProcessingModelChildParameterSource.fromModelParameter
    static = QgsProcessingModelChildParameterSource.fromStaticValue
    placed = QgsProcessingModelChildParameterSource.fromChildOutput("import", "OUTPUT")
    step("import", "joinedup:importrecords",
         {"INPUT": parameter("extract"), "POSTCODE_DIRECTORY": parameter("directory"), "IDENTIFIER_ACTION": static(2)})
    step("check", "joinedup:validatelayer", {"INPUT": placed, "SCHEMA": parameter("schema")},
         [("violations", "VIOLATIONS")])
    step("publish", "joinedup:publishopendata",
         {"INPUT": placed, "TITLE": static("Council tax arrears by LSOA"), "METHOD": static(0),
          "AREAS": parameter("areas"), "AREA_ID_FIELD": static("lsoa_code")}, [("package", "OUTPUT")])
    return model


def test_import_check_publish_as_one_model(plugin, tmp_path):
    import geopandas as gpd
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    extract, onspd = write_inputs(tmp_path)
    schema = tmp_path / "arrears.schema.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    model = build_model()
    ok, problems = model.validate()
    assert ok, problems
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    results = processing.run(model, {
        "extract": str(extract), "directory": str(onspd), "schema": str(schema),
        "areas": str(tmp_path / "lsoa.gpkg"), "check:violations": str(tmp_path / "violations.gpkg"),
        "publish:package": str(tmp_path / "package")}, context=context, feedback=QgsProcessingFeedback())
    path, _, layer = str(results["check:violations"]).partition("|layername=")
    violations = gpd.read_file(path, layer=layer or None)
    assert len(violations) == 13 and set(violations["rule"]) == {"pattern"}
    assert set(violations["value"]) == {"e05000999"}
    package = tmp_path / "package"
    validate_with_frictionless(package / "datapackage.json")
    table = pd.read_csv(package / "council-tax-arrears-by-lsoa.csv", dtype={"lsoa_code": str}).set_index("lsoa_code")
    assert table.loc["E01000001", "count"] == 25 and table.loc["E01000003", "count"] == 12
    assert pd.isna(table.loc["E01000002", "count"])  # 3 rows: below the threshold of 10
    assert table.loc["E01000004", "count"] == 0
