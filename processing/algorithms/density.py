"""joinedup:density: a kernel density raster from points (thin wrapper over engine.density)."""
from __future__ import annotations

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
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

    def initAlgorithm(self, config=None):  # noqa: N802
        p = QgsProcessingParameterFeatureSource("INPUT", self.tr("Points"),
                                                [QgsProcessing.SourceType.TypeVectorPoint])
        p.setHelp(self.tr("Point layer whose density is mapped."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber("RADIUS", self.tr("Bandwidth (metres; 0 = use the rule)"),
                                         QgsProcessingParameterNumber.Type.Double, 100.0, False, 0.0)
        p.setHelp(self.tr("Kernel radius in ground metres, whatever the layer's CRS (see the "
                          "log for the CRS it is measured in). The standard deviation for the Gaussian kernel. 0 = use "
                          "the bandwidth rule."))
        self.addParameter(p)
        p = QgsProcessingParameterEnum("BANDWIDTH_RULE", self.tr("Bandwidth rule (when bandwidth is 0)"),
                                       ["None", "Silverman (robust)", "Scott"], False, 1)
        p.setHelp(self.tr("Rule of thumb used when the bandwidth is 0: Silverman (0.9 min(SD, "
                          "1.2 Dm) n^-0.2, as ArcGIS Pro) or Scott (SD n^-1/6)."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber("PIXEL_SIZE", self.tr("Cell size (metres)"),
                                         QgsProcessingParameterNumber.Type.Double, 10.0, False, 1e-9)
        p.setHelp(self.tr("Side of the output cells in ground metres."))
        self.addParameter(p)
        p = QgsProcessingParameterField("WEIGHT_FIELD", self.tr("Weight field"), None, "INPUT",
                                        QgsProcessingParameterField.DataType.Numeric, optional=True)
        p.setHelp(self.tr("Optional numeric field: each point counts this many times. Null weights "
                          "are skipped and counted; negative weights are refused."))
        self.addParameter(p)
        p = QgsProcessingParameterEnum("KERNEL", self.tr("Kernel shape"), KERNEL_NAMES, False, 0)
        p.setHelp(self.tr("Kernel function; quartic is QGIS heatmap's default."))
        self.addParameter(p)
        p = QgsProcessingParameterEnum("OUTPUT_VALUE", self.tr("Output values"), VALUE_NAMES, False, 0)
        p.setHelp(self.tr("Density per km² (needs metres), expected count per cell, or QGIS "
                          "heatmap's Raw or Scaled values for comparison."))
        self.addParameter(p)
        p = QgsProcessingParameterEnum("METHOD", self.tr("Method"),
                                       ["Exact", "Binned FFT (fast, approximate)"], False, 0)
        p.setHelp(self.tr("Exact evaluates every point-to-cell distance; binned FFT moves each point "
                          "to its cell centre and convolves (fast on millions of points)."))
        self.addParameter(p)
        p = QgsProcessingParameterBoolean("QGIS_COMPATIBLE", self.tr("Match QGIS heatmap exactly"), False)
        p.setHelp(self.tr("Reproduce QGIS 3.40's heatmap cell for cell, quirks included (exact "
                          "method, QGIS kernels and default extent only)."))
        self.addParameter(p)
        p = QgsProcessingParameterExtent("EXTENT", self.tr("Output extent"), optional=True)
        p.setHelp(self.tr("Optional extent of the raster; default: the points' extent grown by the "
                          "kernel radius."))
        self.addParameter(p)
        p = QgsProcessingParameterRasterDestination("OUTPUT", self.tr("Density"))
        p.setHelp(self.tr("GeoTIFF to write (DEFLATE compressed, float32, nodata -9999)."))
        self.addParameter(p)

    def execute(self, parameters, context, feedback):
        import numpy as np

        from ...engine import density as eng
        from ...engine.crs import ensure_projected
        from ...engine.errors import InputError
        from ...engine.values import parse_numbers
        from .. import bridge

        gdf, read = bridge.read_source(self, parameters, "INPUT", context, feedback)
        feedback.pushInfo(read.describe())
        if len(gdf) == 0:
            raise QgsProcessingException(f"{read.name} has no features: there is nothing to map.")
        if gdf.crs is None:
            raise crs_required(read.name, "the bandwidth and pixel size (RADIUS, PIXEL_SIZE, metres)")
        gdf, crs, note = ensure_projected(gdf, what=read.name)
        if note:
            feedback.pushInfo(note)
        weight_field = self.parameterAsString(parameters, "WEIGHT_FIELD", context)
        weights = None
        if weight_field:
            if weight_field not in gdf.columns:
                raise InputError(f"{read.name} has no field {weight_field!r}.")
            weights = parse_numbers(gdf[weight_field], field=weight_field, layer=read.name)
        xy, owner = eng.points_xy(gdf)
        w = None if weights is None else weights[owner]
        radius = self.parameterAsDouble(parameters, "RADIUS", context)
        rule = RULE_KEYS[self.parameterAsEnum(parameters, "BANDWIDTH_RULE", context)]
        if radius <= 0 and rule is None:
            raise InputError("The bandwidth is 0 and no bandwidth rule is chosen: give one of them.")
        extent = None
        if parameters.get("EXTENT") not in (None, ""):
            rect = self.parameterAsExtent(parameters, "EXTENT", context, bridge.crs_to_qgis(crs))
            if not rect.isNull() and not rect.isEmpty():
                extent = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
        compatible = self.parameterAsBool(parameters, "QGIS_COMPATIBLE", context)
        from pyproj import CRS

        metres = float(CRS.from_user_input(crs).axis_info[0].unit_conversion_factor or 1.0)
        grid, report = eng.kernel_density(
            xy, cell_size=self.parameterAsDouble(parameters, "PIXEL_SIZE", context),
            bandwidth=radius if radius > 0 else None, bandwidth_rule=rule,
            kernel=KERNEL_KEYS[self.parameterAsEnum(parameters, "KERNEL", context)],
            weights=w, values=VALUE_KEYS[self.parameterAsEnum(parameters, "OUTPUT_VALUE", context)],
            method=["exact", "fft"][self.parameterAsEnum(parameters, "METHOD", context)],
            convention="qgis" if compatible else "exact", extent=extent, metres_per_unit=metres,
            feedback=engine_feedback(feedback, 0.05, 0.95))
        # features (not parts) with no geometry
        skipped_features = int(np.isnan(xy[:, 0]).sum())
        report.features_total = len(gdf)
        report.null_geometry = skipped_features
        feedback.pushInfo(report.describe())
        out = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        description = VALUE_NAMES[self.parameterAsEnum(parameters, "OUTPUT_VALUE", context)]
        bridge.write_atomically(out, lambda path: eng.write_geotiff(grid, path, crs=_rasterio_crs(crs),
                                                                     description=description))
        if context.willLoadLayerOnCompletion(out):
            context.layerToLoadOnCompletionDetails(out).setPostProcessor(DensityStyler.create())
        return {"OUTPUT": out, "POINTS_USED": report.points_used, "BANDWIDTH": report.bandwidth}


def _rasterio_crs(crs):
    from rasterio.crs import CRS

    if crs is None:
        return None
    if hasattr(crs, "to_wkt"):
        return CRS.from_wkt(crs.to_wkt())
    return CRS.from_user_input(crs)
