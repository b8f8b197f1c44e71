"""joinedup:density: a kernel density raster from points (thin wrapper over engine.density)."""
from __future__ import annotations

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
)

from ..base import JoinedUpAlgorithm, crs_required, engine_feedback

STYLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                     "resources", "styles", "density.qml")

KERNEL_KEYS = ["quartic", "epanechnikov", "triangular", "uniform", "gaussian"]
KERNEL_NAMES = ["Quartic (biweight)", "Epanechnikov", "Triangular", "Uniform", "Gaussian"]
VALUE_KEYS = ["per_km2", "per_cell", "raw", "qgis_scaled"]
VALUE_NAMES = ["Density per km²", "Expected count per cell", "Raw kernel sum (QGIS 'Raw')",
               "QGIS heatmap 'Scaled'"]
RULE_KEYS = [None, "silverman", "scott"]
METHOD_KEYS = ["exact", "fft"]


class DensityStyler(QgsProcessingLayerPostProcessorInterface):
    """Loads resources/styles/density.qml and stretches its colour ramp over the data."""
    instance = None

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is None or not layer.isValid():
            return
        message, ok = layer.loadNamedStyle(STYLE)
        if not ok:
            feedback.pushWarning(f"The density style could not be applied: {message}")
            return
        stats = layer.dataProvider().bandStatistics(1)
        renderer = layer.renderer()
        if renderer is not None and hasattr(renderer, "setClassificationMax") and stats.maximumValue > 0:
            renderer.setClassificationMin(0.0)
            renderer.setClassificationMax(stats.maximumValue)
            shader = renderer.shader()
            function = shader.rasterShaderFunction() if shader is not None else None
            if function is not None:
                function.setMinimumValue(0.0)
                function.setMaximumValue(stats.maximumValue)
                if hasattr(function, "classifyColorRamp"):
                    function.classifyColorRamp(band=1, extent=layer.extent(), input=layer.dataProvider())
        layer.triggerRepaint()

    @staticmethod
    def create():
        DensityStyler.instance = DensityStyler()
        return DensityStyler.instance


class Density(JoinedUpAlgorithm):
    ALG_ID = "density"
    DISPLAY_NAME = "Kernel density (heatmap)"
    GROUP = "risk"
    ICON = "density"
    TAGS = "heatmap,kernel,density,kde,hotspot,quartic,gaussian,risk"
    HELP = (
        "Makes a kernel density surface (heatmap) from points, as a compressed GeoTIFF with "
        "its CRS and a nodata value, loaded with a colour ramp.<br><br>"
        "<b>Points</b>: point or multipoint layer (every part counts). Distances are ground "
        "metres in every CRS: a layer whose CRS is not true to 0.1 % over the points (degrees, "
        "feet, Web Mercator) is measured in a local projected CRS that the log names, and the "
        "raster is written in that CRS (docs/crs.md). Features with no geometry, "
        "or with a null weight, are skipped and counted in the log.<br>"
        "<b>Kernel</b>: quartic (as QGIS's heatmap), Epanechnikov, triangular, uniform or "
        "Gaussian (bandwidth = standard deviation, evaluated to 4 standard deviations).<br>"
        "<b>Bandwidth</b>: the kernel radius in metres; or 0 with a <b>bandwidth rule</b>: "
        "Silverman (robust, as ArcGIS Pro) or Scott, computed from the points' spread.<br>"
        "<b>Cell size</b>: in metres.<br>"
        "<b>Weight field</b>: optional numeric field; negative weights are refused.<br>"
        "<b>Output values</b>: density per km² (the surface integrates to the number of points "
        "or total weight), expected count per cell, or QGIS heatmap's 'Raw' / 'Scaled' values.<br>"
        "<b>Method</b>: exact (every point-to-cell distance) or binned FFT (points moved to their "
        "cell centre: much faster for millions of points, slightly smoother).<br>"
        "<b>Match QGIS heatmap exactly</b>: reproduce QGIS 3.40's heatmap cell for cell, "
        "including its quirks (kernels slightly misplaced vertically when the extent height is "
        "not a multiple of the cell size; points near the edge of a small raster dropped). Off, "
        "every kernel is placed exactly and no point is lost.<br>"
        "<b>Extent</b>: optional; by default the points' extent grown by the kernel radius (as "
        "QGIS). Points farther than the radius from a given extent add nothing and are counted.<br>"
        "Example: <code>scripts/qgis_process.sh run joinedup:density -- INPUT=points.gpkg "
        "RADIUS=150 PIXEL_SIZE=10 OUTPUT=density.tif</code>")

    INPUT = "INPUT"
    RADIUS = "RADIUS"
    BANDWIDTH_RULE = "BANDWIDTH_RULE"
    PIXEL_SIZE = "PIXEL_SIZE"
    WEIGHT_FIELD = "WEIGHT_FIELD"
    KERNEL = "KERNEL"
    OUTPUT_VALUE = "OUTPUT_VALUE"
    METHOD = "METHOD"
    QGIS_COMPATIBLE = "QGIS_COMPATIBLE"
    EXTENT = "EXTENT"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        add(QgsProcessingParameterFeatureSource(self.INPUT, "Points", [QgsProcessing.SourceType.TypeVectorPoint]),
            "Point layer whose density is mapped.")
        add(QgsProcessingParameterNumber(self.RADIUS, "Bandwidth (metres; 0 = use the rule)",
                                         QgsProcessingParameterNumber.Type.Double, 100.0, False, 0.0),
            "Kernel radius in ground metres, whatever the layer's CRS (see the log for the CRS it is "
            "measured in). The standard deviation for the Gaussian kernel. 0 = use the bandwidth rule.")
        add(QgsProcessingParameterEnum(self.BANDWIDTH_RULE, "Bandwidth rule (when bandwidth is 0)",
                                       ["None", "Silverman (robust)", "Scott"], False, 1),
            "Rule of thumb used when the bandwidth is 0: Silverman (0.9 min(SD, "
            "1.2 Dm) n^-0.2, as ArcGIS Pro) or Scott (SD n^-1/6).")
        add(QgsProcessingParameterNumber(self.PIXEL_SIZE, "Cell size (metres)",
                                         QgsProcessingParameterNumber.Type.Double, 10.0, False, 1e-9),
            "Side of the output cells in ground metres.")
        add(QgsProcessingParameterField(self.WEIGHT_FIELD, "Weight field", None, self.INPUT,
                                        QgsProcessingParameterField.DataType.Numeric, optional=True),
            "Optional numeric field: each point counts this many times. Null weights "
            "are skipped and counted; negative weights are refused.")
        add(QgsProcessingParameterEnum(self.KERNEL, "Kernel shape", KERNEL_NAMES, False, 0),
            "Kernel function; quartic is QGIS heatmap's default.")
        add(QgsProcessingParameterEnum(self.OUTPUT_VALUE, "Output values", VALUE_NAMES, False, 0),
            "Density per km² (needs metres), expected count per cell, or QGIS "
            "heatmap's Raw or Scaled values for comparison.")
        add(QgsProcessingParameterEnum(self.METHOD, "Method", ["Exact", "Binned FFT (fast, approximate)"], False, 0),
            "Exact evaluates every point-to-cell distance; binned FFT moves each point "
            "to its cell centre and convolves (fast on millions of points).")
        add(QgsProcessingParameterBoolean(self.QGIS_COMPATIBLE, "Match QGIS heatmap exactly", False),
            "Reproduce QGIS 3.40's heatmap cell for cell, quirks included (exact "
            "method, QGIS kernels and default extent only).")
        add(QgsProcessingParameterExtent(self.EXTENT, "Output extent", optional=True),
            "Optional extent of the raster; default: the points' extent grown by the kernel radius.")
        add(QgsProcessingParameterRasterDestination(self.OUTPUT, "Density"),
            "GeoTIFF to write (ZSTD compressed, or DEFLATE where GDAL lacks ZSTD; float32, nodata -9999).")

    def execute(self, parameters, context, feedback):
        from ...engine import density as eng
        from .. import bridge

        weight_field = self.parameterAsString(parameters, self.WEIGHT_FIELD, context)
        gdf, read = bridge.read_source(self, parameters, self.INPUT, context, feedback,
                                       columns=[weight_field] if weight_field else [], xy_points=True)
        feedback.pushInfo(read.describe())
        if len(gdf) and gdf.crs is None:
            raise crs_required(read.name, "the bandwidth and pixel size (RADIUS, PIXEL_SIZE, metres)")
        points = eng.density_points(gdf, name=read.name, weight_field=weight_field)
        if points.note:
            feedback.pushInfo(points.note)
        grid, report = eng.density_of_points(
            points, bandwidth=self.parameterAsDouble(parameters, self.RADIUS, context),
            bandwidth_rule=RULE_KEYS[self.parameterAsEnum(parameters, self.BANDWIDTH_RULE, context)],
            cell_size=self.parameterAsDouble(parameters, self.PIXEL_SIZE, context),
            kernel=KERNEL_KEYS[self.parameterAsEnum(parameters, self.KERNEL, context)],
            values=VALUE_KEYS[self.parameterAsEnum(parameters, self.OUTPUT_VALUE, context)],
            method=METHOD_KEYS[self.parameterAsEnum(parameters, self.METHOD, context)],
            convention="qgis" if self.parameterAsBool(parameters, self.QGIS_COMPATIBLE, context) else "exact",
            extent=self._extent(parameters, context, bridge.crs_to_qgis(points.crs)),
            feedback=engine_feedback(feedback, 0.05, 0.95))
        feedback.pushInfo(report.describe())
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        description = VALUE_NAMES[self.parameterAsEnum(parameters, self.OUTPUT_VALUE, context)]
        bridge.write_atomically(out, lambda path: eng.write_geotiff(grid, path, crs=_rasterio_crs(points.crs),
                                                                     description=description))
        if context.willLoadLayerOnCompletion(out):
            context.layerToLoadOnCompletionDetails(out).setPostProcessor(DensityStyler.create())
        return {self.OUTPUT: out, "POINTS_USED": report.points_used, "BANDWIDTH": report.bandwidth}

    def _extent(self, parameters, context, crs):
        """EXTENT as (xmin, ymin, xmax, ymax) in ``crs`` (the CRS the density is computed in), or None."""
        if parameters.get(self.EXTENT) in (None, ""):
            return None
        rect = self.parameterAsExtent(parameters, self.EXTENT, context, crs)
        if rect.isNull() or rect.isEmpty():
            return None
        return (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())


def _rasterio_crs(crs):
    from rasterio.crs import CRS

    if crs is None:
        return None
    if hasattr(crs, "to_wkt"):
        return CRS.from_wkt(crs.to_wkt())
    return CRS.from_user_input(crs)
