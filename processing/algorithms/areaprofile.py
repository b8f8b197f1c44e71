"""joinedup:areaprofile — one row per area with what every agency layer holds there."""
from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..joins_params import add_invalid_geometries_parameter, invalid_policy
from ..scale_params import add_execution_parameter, execution_from_parameters


class AreaProfile(JoinedUpAlgorithm):
    AREAS = "AREAS"
    LAYERS = "LAYERS"
    VALUE_FIELDS = "VALUE_FIELDS"
    POPULATION_FIELD = "POPULATION_FIELD"
    SHORT_NAMES = "SHORT_NAMES"
    OUTPUT = "OUTPUT"

    ALG_ID = "areaprofile"
    DISPLAY_NAME = "Area profile (many agency layers per area)"
    GROUP = "joins"
    ICON = "areaprofile"
    TAGS = "area,profile,ward,zone,grid,count,length,share,coverage,rate,per capita,population,agency"
    HELP = (
        "Profiles each area (wards, zones, a grid) with any number of agency layers at once: "
        "one output row per area, the area's own fields, and per layer:\n"
        "- <b>points</b>: &lt;layer&gt;_count, the number of features in the area (on the "
        "boundary counts for both areas);\n"
        "- <b>lines</b>: &lt;layer&gt;_length_m, the length inside the area in metres;\n"
        "- <b>polygons</b>: &lt;layer&gt;_share, the share of the area covered (0-1; where the "
        "layer's polygons overlap, the ground is counted once).\n"
        "<b>Value fields</b> (optional): 'field' (every layer that has it) or 'layer:field' "
        "entries separated by ';'. For each, &lt;layer&gt;_&lt;field&gt;_sum and _mean over the "
        "layer's features that touch the area (whole values, not split by area).\n"
        "<b>Population field</b> (optional, of AREAS): adds &lt;layer&gt;_per_1000, per 1,000 "
        "people: features (points) or metres (lines); NULL where population is 0 or NULL.\n"
        "<b>Column names</b> come from the layer names: accents dropped, lower case, letters, "
        "digits and '_' only, starting with a letter, made unique (a number is added) and "
        "never equal to a field of AREAS. With <b>Short names</b> every new column has at most "
        "10 characters (a 7-character stem and _n count, _m length, _sh share, _pk per 1,000, "
        "_su sum, _mn mean) so a shapefile keeps them apart. The log lists every column and "
        "what it holds.\n"
        "Lengths and areas are in ground metres and square metres in every CRS: AREAS in a CRS "
        "not true to 0.1 % over the data (degrees, feet, Web Mercator) are measured in a local "
        "projected CRS (docs/crs.md); other layers are reprojected to AREAS' CRS (the log says so).\n"
        "<b>Invalid geometries</b>: repair (default) or skip, counted in the log. An area with "
        "no geometry is kept, with counts and lengths 0 and an empty share.\n\n"
        "EXECUTION (advanced): 'local' (this process), 'local cluster:N' (N worker processes on "
        "this computer) or 'cluster:tcp://host:port' (a Dask scheduler); empty = the QGIS setting "
        "joinedup/execution. On a cluster the <b>point layers</b> (their counts, sums and means) "
        "are counted on the workers: a GeoPackage or GeoParquet layer used as it is (no filter), "
        "in the CRS the profile measures in (that of AREAS when it is in metres) and with a "
        "numeric value field, is read by the workers themselves in chunks; any other point layer "
        "is read here and sent as partitions of coordinates and the value field. Line and polygon "
        "layers, and multipoint layers, are always measured in this process (the log says so). "
        "The output is the same wherever it runs: counts and rates exactly, sums and means of "
        "real values within rounding (docs/scale.md).")

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        add(QgsProcessingParameterFeatureSource(
            self.AREAS, self.tr("Areas (wards, zones, grid)"), [QgsProcessing.SourceType.TypeVectorPolygon]),
            "One output row per area, with its own fields kept.")
        add(QgsProcessingParameterMultipleLayers(
            self.LAYERS, self.tr("Agency layers"), QgsProcessing.SourceType.TypeVectorAnyGeometry),
            "Point, line and polygon layers; each adds columns named after the layer.")
        add(QgsProcessingParameterString(
            self.VALUE_FIELDS, self.tr("Value fields to sum and average ('field' or 'layer:field'; ...)"),
            optional=True),
            "Numeric fields of the agency layers, e.g. 'cost' or 'inspections:score; permits:fee'.")
        add(QgsProcessingParameterField(
            self.POPULATION_FIELD, self.tr("Population field (for rates per 1,000 people)"),
            parentLayerParameterName=self.AREAS, type=QgsProcessingParameterField.DataType.Numeric,
            optional=True),
            "The number of people living in each area.")
        add(QgsProcessingParameterBoolean(
            self.SHORT_NAMES, self.tr("Short column names (10 characters, for shapefile)"), False),
            "Keep every new column name within shapefile's 10-character limit.")
        add_invalid_geometries_parameter(
            self, "Repair invalid geometries before measuring, or skip them (counted in the log).")
        add_execution_parameter(self, sent_to_workers=(
            "the AREAS geometries are sent to them, once per point layer, and each point layer "
            "either as the path of its GeoPackage or GeoParquet file, which the workers read "
            "themselves (so it must be on storage they all see), or as coordinates and the value "
            "field's values; line and polygon layers stay in this process"))
        add(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Area profile"), QgsProcessing.SourceType.TypeVectorPolygon),
            "One row per area: its own fields and the new columns the log lists.")

    def execute(self, parameters, context, feedback):
        from ...engine.errors import EngineCancelled, InputError
        from ...engine.joins import profile_areas
        from ...engine.scale_points import PointFile, profile_areas_on_cluster
        from .. import bridge

        execution = execution_from_parameters(self, parameters, context, feedback)
        areas, report = bridge.read_source(self, parameters, self.AREAS, context, feedback)
        feedback.pushInfo(report.describe())

        def read(layer):
            gdf, rep = bridge.read_layer(layer, context, feedback)
            feedback.pushInfo(rep.describe())
            return gdf

        layers = []
        for layer in self.parameterAsLayerList(parameters, self.LAYERS, context):
            if feedback.isCanceled():
                raise EngineCancelled("Cancelled while reading the agency layers.")
            if not hasattr(layer, "wkbType"):
                raise InputError(f"{layer.name()} is not a vector layer.")
            # on a cluster, a point file used as it is goes to the workers by its path (docs/scale.md)
            found = None if execution.is_local or QgsWkbTypes.flatType(layer.wkbType()) != Qgis.WkbType.Point \
                else bridge.worker_readable_layer(layer)
            source = read(layer) if found is None else PointFile(
                found[0], found[1], crs=bridge.crs_to_engine(layer.crs()), read=lambda layer=layer: read(layer))
            layers.append((bridge.layer_display_name(layer), source))
        population = self.parameterAsStrings(parameters, self.POPULATION_FIELD, context)
        options = dict(value_fields=self.parameterAsString(parameters, self.VALUE_FIELDS, context),
                       population_field=population[0] if population else None,
                       short_names=self.parameterAsBoolean(parameters, self.SHORT_NAMES, context),
                       invalid=invalid_policy(self, parameters, context),
                       feedback=engine_feedback(feedback, 0.2, 0.85))
        out, columns = profile_areas(areas, layers, **options) if execution.is_local \
            else profile_areas_on_cluster(areas, layers, execution=execution, **options)
        for column, meaning in columns.items():
            feedback.pushInfo(f"{column}: {meaning}")
        result = bridge.write_output(self, parameters, self.OUTPUT, context, out)
        feedback.setProgress(100)
        return {self.OUTPUT: result}
