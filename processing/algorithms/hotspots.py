"""joinedup:hotspots: Getis-Ord Gi* hot and cold spots (thin wrapper over engine.hotspots)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm, crs_required, engine_feedback

# Dialog index -> engine name (QGIS keeps the indices in models and qgis_process calls).
WEIGHT_KEYS = ["queen", "rook", "distance", "knn"]
TRANSFORM_KEYS = ["B", "R"]
INVALID_GEOMETRY_KEYS = ["repair", "skip"]
# What needs map units when the layer has no CRS (queen/rook contiguity of polygons needs none).
_UNITS_PARAMETER = {"distance": "the distance band (DISTANCE, metres)",
                    "knn": "the nearest neighbours (NEIGHBOURS, found by distance)",
                    "grid": "the grid of a point layer (CELL_SIZE, metres)"}


class Hotspots(JoinedUpAlgorithm):
    ALG_ID = "hotspots"
    DISPLAY_NAME = "Hot spots (Getis-Ord Gi*)"
    GROUP = "risk"
    ICON = "hotspots"
    TAGS = "getis,ord,gi*,hotspot,coldspot,cluster,local statistic,fdr,permutation,risk"
    HELP = (
        "Finds statistically significant hot and cold spots with the Getis-Ord Gi* statistic "
        "(the same z-scores as PySAL esda's G_Local with star=True).<br><br>"
        "<b>Input</b>: polygons with a value field, or points. Points are counted (or their "
        "value field summed) into a square or hexagonal grid covering their extent, empty cells "
        "included.<br><b>Value field</b>: numeric; required for polygons. Areas with a null "
        "value are left out of the analysis and written with class 'No value'.<br>"
        "<b>Grid cell size</b>: metres; 0 = automatic (a cell area of about 5 points per "
        "cell over the extent, rounded to 1, 2, 2.5 or 5 x 10^k, between 100 and 200,000 "
        "cells). Hexagons have the same area as squares of this side.<br>"
        "<b>Spatial weights</b>: queen contiguity (sharing any point), rook (sharing an edge), "
        "fixed distance band between centroids (metres; 0 = the largest nearest-neighbour "
        "distance, so no unit is an island) or k nearest centroids. Each unit "
        "is part of its own neighbourhood (Gi*).<br><b>Weights transform</b>: binary (classic "
        "Gi*, as ArcGIS) or row-standardised (esda's default).<br>"
        "<b>Inference</b>: analytical (normal) p-values, or a conditional permutation test "
        "(seeded, reproducible); optionally Benjamini-Hochberg false-discovery-rate "
        "correction.<br><b>Output</b>: gi_z, gi_p (the p used for the class), gi_p_norm, "
        "gi_p_sim (permutation), gi_bin (+3/+2/+1 hot at 99/95/90 %, 0, -1/-2/-3 cold), "
        "gi_class (text), gi_neighbours. Units with no neighbour (islands) get a null z and "
        "class 'No neighbours'. Features with invalid geometry are repaired or skipped "
        "(written with no geometry and class 'Invalid geometry'); every input feature is in "
        "the output.<br>"
        "<b>Distances</b> are ground metres in every CRS: a layer whose CRS is not true to 0.1 % "
        "over the data (degrees, feet, Web Mercator) is measured in a local projected CRS that "
        "the log names; the output is written in the input's CRS (docs/crs.md).<br>"
        "<b>Hide small counts below</b> (grid counts only; default 10): counts under this "
        "threshold are hidden with the shared disclosure-control rule (primary and secondary "
        "suppression, the grid's total treated as published; 0 = off). Gi* is then computed on "
        "the counts as published, each hidden cell standing in at half the threshold, and a "
        "hidden cell's sum of the value field is hidden too: z-scores, p-values and classes of "
        "the true counts would let a reader work hidden counts out. The log gives the published "
        "total only.<br>"
        "Example: <code>scripts/qgis_process.sh run joinedup:hotspots -- INPUT=incidents.gpkg "
        "GRID_SHAPE=1 WEIGHTS=0 OUTPUT=hotspots.gpkg</code>")

    INPUT = "INPUT"
    FIELD = "FIELD"
    GRID_SHAPE = "GRID_SHAPE"
    CELL_SIZE = "CELL_SIZE"
    WEIGHTS = "WEIGHTS"
    DISTANCE = "DISTANCE"
    NEIGHBOURS = "NEIGHBOURS"
    TRANSFORM = "TRANSFORM"
    INFERENCE = "INFERENCE"
    PERMUTATIONS = "PERMUTATIONS"
    SEED = "SEED"
    FDR = "FDR"
    INVALID_GEOMETRIES = "INVALID_GEOMETRIES"
    SUPPRESS_BELOW = "SUPPRESS_BELOW"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        add(QgsProcessingParameterFeatureSource(
            self.INPUT, "Areas or points",
            [QgsProcessing.SourceType.TypeVectorPolygon, QgsProcessing.SourceType.TypeVectorPoint]),
            "Polygon layer with a value, or point layer to count into a grid.")
        add(QgsProcessingParameterField(self.FIELD, "Value field", None, self.INPUT,
                                        QgsProcessingParameterField.DataType.Numeric, optional=True),
            "Numeric value to analyse (required for polygons; for points it is summed per cell "
            "instead of counting points).")
        add(QgsProcessingParameterEnum(self.GRID_SHAPE, "Grid shape (points)", ["Square", "Hexagon"], False, 1),
            "Shape of the grid cells points are counted into.")
        add(QgsProcessingParameterNumber(self.CELL_SIZE, "Grid cell size (points; 0 = automatic)",
                                         QgsProcessingParameterNumber.Type.Double, 0.0, False, 0.0),
            "Side of the square cells (or of the square of equal area for hexagons), in ground metres.")
        add(QgsProcessingParameterEnum(self.WEIGHTS, "Spatial weights",
                                       ["Queen contiguity", "Rook contiguity", "Fixed distance band",
                                        "K nearest neighbours"], False, 0),
            "Which units are neighbours.")
        add(QgsProcessingParameterNumber(self.DISTANCE, "Distance band (metres; 0 = automatic)",
                                         QgsProcessingParameterNumber.Type.Double, 0.0, False, 0.0),
            "For the fixed distance band: centroids up to this far apart are neighbours. 0 = the "
            "largest nearest-neighbour distance, so that no unit is left without a neighbour.")
        add(QgsProcessingParameterNumber(self.NEIGHBOURS, "Number of neighbours (k)",
                                         QgsProcessingParameterNumber.Type.Integer, 8, False, 1),
            "For k nearest neighbours.")
        add(QgsProcessingParameterEnum(self.TRANSFORM, "Weights transform",
                                       ["Binary (classic Gi*)", "Row-standardised (esda default)"], False, 0),
            "Binary gives the classic Ord & Getis Gi* z-score; row-standardised is esda's default.")
        add(QgsProcessingParameterEnum(self.INFERENCE, "Inference",
                                       ["Analytical (normal)", "Conditional permutation"], False, 0),
            "How p-values are computed.")
        add(QgsProcessingParameterNumber(self.PERMUTATIONS, "Permutations",
                                         QgsProcessingParameterNumber.Type.Integer, 999, False, 9),
            "Number of random permutations for the permutation test.")
        add(QgsProcessingParameterNumber(self.SEED, "Random seed",
                                         QgsProcessingParameterNumber.Type.Integer, 0, False, 0),
            "Seed of the permutation test: the same seed gives the same p-values.")
        add(QgsProcessingParameterBoolean(self.FDR, "False discovery rate correction", False),
            "Adjust p-values with Benjamini-Hochberg before classifying.")
        add(QgsProcessingParameterEnum(self.INVALID_GEOMETRIES, "Invalid geometries", ["Repair", "Skip"], False, 0),
            "Repair invalid polygons (GEOS make_valid) or skip them (written without geometry).")
        add(QgsProcessingParameterNumber(self.SUPPRESS_BELOW, "Hide small counts below (0 = off)",
                                         QgsProcessingParameterNumber.Type.Integer, 10, False, 0),
            "Grid counts below this (points per cell) are hidden in the output (disclosure "
            "control, primary and secondary). Gi* is then computed on the published counts, "
            "hidden cells standing in at half the threshold, so nothing published reveals a "
            "hidden count. 0 = off (the true counts are published and analysed).")
        add(QgsProcessingParameterFeatureSink(self.OUTPUT, "Hot spots"),
            "Areas or grid cells with the Gi* results.")

    def execute(self, parameters, context, feedback):
        from ...engine import hotspots as eng
        from .. import bridge

        gdf, read = bridge.read_source(self, parameters, self.INPUT, context, feedback)
        feedback.pushInfo(read.describe())
        weights = WEIGHT_KEYS[self.parameterAsEnum(parameters, self.WEIGHTS, context)]
        is_points = gdf.attrs.get("geometry_kind") == "point"
        if len(gdf) and gdf.crs is None and (is_points or weights not in ("queen", "rook")):
            raise crs_required(read.name, _UNITS_PARAMETER.get("grid" if is_points else weights,
                                                               "the weights (WEIGHTS)"))
        options = dict(
            field_name=self.parameterAsString(parameters, self.FIELD, context) or None, name=read.name,
            weights=weights, distance_m=self.parameterAsDouble(parameters, self.DISTANCE, context),
            k=self.parameterAsInt(parameters, self.NEIGHBOURS, context),
            invalid_geometries=INVALID_GEOMETRY_KEYS[self.parameterAsEnum(parameters, self.INVALID_GEOMETRIES,
                                                                          context)],
            transform=TRANSFORM_KEYS[self.parameterAsEnum(parameters, self.TRANSFORM, context)],
            inference=eng.INFERENCE[self.parameterAsEnum(parameters, self.INFERENCE, context)],
            permutations=self.parameterAsInt(parameters, self.PERMUTATIONS, context),
            seed=self.parameterAsInt(parameters, self.SEED, context),
            fdr=self.parameterAsBool(parameters, self.FDR, context),
            feedback=engine_feedback(feedback, 0.1, 0.95))
        if is_points:
            layer = eng.hotspots_of_points(
                gdf, grid_shape=eng.GRID_SHAPES[self.parameterAsEnum(parameters, self.GRID_SHAPE, context)],
                cell_size_m=self.parameterAsDouble(parameters, self.CELL_SIZE, context),
                suppress_below=self.parameterAsInt(parameters, self.SUPPRESS_BELOW, context), **options)
        else:
            layer = eng.hotspots_of_areas(gdf, **options)
        for level, text in layer.log:
            (feedback.pushWarning if level == "warning" else feedback.pushInfo)(text)
        for note in layer.result.notes:
            feedback.pushWarning(note)
        feedback.pushInfo(f"{layer.hot} hot-spot and {layer.cold} cold-spot units at 90 % confidence or more.")
        return {self.OUTPUT: bridge.write_output(self, parameters, self.OUTPUT, context, layer.frame)}
