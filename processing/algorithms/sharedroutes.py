"""joinedup:sharedroutes — where two kinds of traffic share the street, and the collisions there."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm

METHOD_LABELS = ["Product a × b (potential meetings per km)", "Minimum of a and b",
                 "Geometric mean √(a × b)"]
METHOD_KEYS = ["product", "minimum", "geometric"]


class SharedRoutes(JoinedUpAlgorithm):
    ALG_ID = "sharedroutes"
    DISPLAY_NAME = "Shared routes and conflict segments"
    GROUP = "movement"
    ICON = "sharedroutes"
    TAGS = "exposure,conflict,hgv,lorry,cycle,bike,collision,risk,safety,shared,movement"
    HELP = (
        "Scores each segment of a flow layer (e.g. the output of Network flows) by the exposure "
        "of one kind of traffic to another, e.g. heavy goods vehicles (FIELD_A) and cycles "
        "(FIELD_B):\n"
        "- Product a × b (default): potential meetings of an A and a B passage per km of street "
        "(meetings on a stretch grow with a·b and its length). High only where both are high.\n"
        "- Minimum: the passages of the scarcer mode, all of which meet the other.\n"
        "- Geometric mean: the product on the scale of a flow.\n"
        "exposure_total = exposure × length_km ranks the segments (rank 1 = most); TOP_N of them "
        "get top = true; a segment with zero exposure is never ranked. Null flows count as 0 "
        "(the log says how many).\n"
        "With COLLISIONS points, each collision counts on its nearest segment within "
        "MAX_DISTANCE metres; 'collisions_per_million' = collisions per million passages of A "
        "and B together (null where no passages), so the map shows risk, not only volume. "
        "Collisions farther away or with no geometry are not counted; the log gives the "
        "numbers.\n"
        "Geographic layers are reprojected to a local metric CRS."
    )

    def initAlgorithm(self, config=None):  # noqa: N802

        self.add_parameter(QgsProcessingParameterFeatureSource("INPUT", self.tr("Flow segments"),
                                                [QgsProcessing.SourceType.TypeVectorLine]),
            "Line segments with flow counts of both kinds of traffic (e.g. Network flows output).")
        self.add_parameter(QgsProcessingParameterField("FIELD_A", self.tr("Flow A field (e.g. HGV passages)"),
                                        parentLayerParameterName="INPUT",
                                        type=QgsProcessingParameterField.DataType.Numeric),
            "Passages of the first kind of traffic per segment.")
        self.add_parameter(QgsProcessingParameterField("FIELD_B", self.tr("Flow B field (e.g. cycle passages)"),
                                        parentLayerParameterName="INPUT",
                                        type=QgsProcessingParameterField.DataType.Numeric),
            "Passages of the second kind of traffic per segment.")
        self.add_parameter(QgsProcessingParameterEnum("METHOD", self.tr("Exposure"), METHOD_LABELS, defaultValue=0),
            "How the two flows combine into an exposure score (see the help).")
        self.add_parameter(QgsProcessingParameterNumber("TOP_N", self.tr("Top N conflict segments"),
                                         QgsProcessingParameterNumber.Type.Integer, 20, minValue=1),
            "How many segments, by exposure_total, are flagged top = true.")
        self.add_parameter(QgsProcessingParameterFeatureSource("COLLISIONS", self.tr("Collisions"),
                                                [QgsProcessing.SourceType.TypeVectorPoint], optional=True),
            "Optional collision points, counted on their nearest segment.")
        self.add_parameter(QgsProcessingParameterNumber("MAX_DISTANCE", self.tr("Collision search distance (m)"),
                                         QgsProcessingParameterNumber.Type.Double, 25.0, minValue=0.0),
            "Collisions farther than this from every segment are not counted (and reported).")
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Exposure per segment"), QgsProcessing.SourceType.TypeVectorLine))

    def execute(self, parameters, context, feedback):
        import geopandas as gpd
        import numpy as np

        from ...engine.crs import ensure_projected
        from ...engine.errors import InputError
        from ...engine.geometry import clean_geometries
        from ...engine.sharedroutes import shared_routes
        from ..bridge import read_source, write_output

        segments, report = read_source(self, parameters, "INPUT", context, feedback)
        feedback.pushInfo(report.describe())
        if len(segments) == 0:
            raise InputError(f"{segments.attrs.get('source_name', 'The flow layer')} is empty.")
        segments, crs, note = ensure_projected(segments, what=segments.attrs.get("source_name"))
        if note:
            feedback.pushInfo(note)
        usable, mask, greport = clean_geometries(segments, "repair")
        feedback.pushInfo(greport.describe(segments.attrs.get("source_name", "segments")))
        collisions, _ = read_source(self, parameters, "COLLISIONS", context, feedback, required=False)
        if collisions is not None:
            collisions, _, cnote = ensure_projected(collisions, target=crs,
                                                    what=collisions.attrs.get("source_name"))
            if cnote:
                feedback.pushInfo(cnote)
        geoms = np.full(len(segments), None, dtype=object)
        geoms[mask] = np.asarray(usable.geometry.values, dtype=object)
        segments = segments.set_geometry(gpd.GeoSeries(geoms, crs=crs, index=segments.index))
        out, status, notes = shared_routes(
            segments,
            field_a=self.parameterAsStrings(parameters, "FIELD_A", context)[0],
            field_b=self.parameterAsStrings(parameters, "FIELD_B", context)[0],
            method=METHOD_KEYS[self.parameterAsEnum(parameters, "METHOD", context)],
            top_n=self.parameterAsInt(parameters, "TOP_N", context), collisions=collisions,
            max_collision_distance_m=self.parameterAsDouble(parameters, "MAX_DISTANCE", context))
        for n in notes:
            feedback.pushInfo(n)
        if status is not None:
            values, counts = np.unique(status.astype(str), return_counts=True)
            feedback.pushInfo("Collisions: " + ", ".join(f"{c} {v}" for v, c in zip(values, counts)))
        result = {"OUTPUT": write_output(self, parameters, "OUTPUT", context, out)}
        feedback.setProgress(100)
        return result
