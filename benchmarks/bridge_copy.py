"""A test- and benchmark-only Processing provider with one algorithm, ``<id>:copy``: read INPUT
through the bridge and write it to OUTPUT through the bridge. Shared by tests/test_bridge.py
and benchmarks/bench_bridge.py so both measure the same path."""
from __future__ import annotations


def bridge_copy_provider(provider_id: str, name: str, on_read=None):
    """The provider; ``on_read(gdf, report)``, if given, sees what the bridge read."""
    from qgis.core import (
        QgsProcessing,
        QgsProcessingParameterFeatureSink,
        QgsProcessingParameterFeatureSource,
        QgsProcessingProvider,
    )

    from joinedup.processing.base import JoinedUpAlgorithm

    class BridgeCopy(JoinedUpAlgorithm):
        """Read INPUT through the bridge, write it to OUTPUT through the bridge."""
        ALG_ID = "copy"
        DISPLAY_NAME = f"Bridge copy ({name})"
        HELP = "Not for users: copies INPUT to OUTPUT through the bridge."

        def initAlgorithm(self, config=None):  # noqa: N802
            self.add_parameter(QgsProcessingParameterFeatureSource(
                "INPUT", "Input", [QgsProcessing.SourceType.TypeVector]), "Any vector layer")
            self.addParameter(QgsProcessingParameterFeatureSink("OUTPUT", "Copy"))

        def execute(self, parameters, context, feedback):
            from joinedup.processing import bridge

            gdf, report = bridge.read_source(self, parameters, "INPUT", context, feedback)
            if on_read is not None:
                on_read(gdf, report)
            return {"OUTPUT": bridge.write_output(self, parameters, "OUTPUT", context, gdf,
                                                  feedback=feedback)}

    class Provider(QgsProcessingProvider):
        def id(self):
            return provider_id

        def name(self):
            return name

        def loadAlgorithms(self):  # noqa: N802
            self.addAlgorithm(BridgeCopy())

    return Provider()
