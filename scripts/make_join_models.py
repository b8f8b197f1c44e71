"""Write resources/models/area_profile_with_buffer.model3: QGIS's native:buffer around
centre points (schools, stations ...), then joinedup:areaprofile of those catchments with any
agency layers. Run once after changing it:

    .venv/bin/python scripts/make_join_models.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "resources" / "models" / "area_profile_with_buffer.model3"


def build():
    from qgis.core import (
        QgsProcessing,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource as Source,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterMultipleLayers,
        QgsProcessingParameterNumber,
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


def main():
    sys.path.insert(0, str(REPO / "benchmarks"))
    from common import qgis_session

    qgis_session()
    model = build()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    assert model.toFile(str(TARGET)), "could not write the model"
    print(f"wrote {os.path.relpath(TARGET, REPO)}")


if __name__ == "__main__":
    main()
