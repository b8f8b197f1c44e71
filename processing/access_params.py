"""Parameters and readers shared by the service-demand algorithms (accessibility, coverage
gaps, location-allocation): demand (zones or points, with a demand field, optionally address
points aggregated back to zones) and facility layers. Network options come from
``network_params`` (one definition for every routing algorithm).

Engine imports stay inside functions (the plugin must load without geopandas).
"""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
)

NETWORK = "NETWORK"


def _advanced(param):
    """Flag ``param`` advanced. Kept only because locationallocation.py (another branch's file)
    still imports it; new code uses ``alg.add_parameter(..., advanced=True)``."""
    param.setFlags(param.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
    return param


def add_demand_parameters(alg):
    tr = alg.tr
    alg.add_parameter(QgsProcessingParameterFeatureSource(
        "DEMAND", tr("Demand (zones or points)"),
        [QgsProcessing.SourceType.TypeVectorPolygon, QgsProcessing.SourceType.TypeVectorPoint]),
        "Where the demand is: zones (polygons, routed from their centroid or from the "
        "address points below) or points (each routed from where it is). Features with no "
        "geometry stay in the output with null results and status 'no geometry'.")
    alg.add_parameter(QgsProcessingParameterField("DEMAND_FIELD", tr("Demand field (e.g. population)"),
                                                  parentLayerParameterName="DEMAND",
                                                  type=QgsProcessingParameterField.DataType.Numeric, optional=True),
                      "Numeric demand per feature (people, pupils, patients). Empty: every feature counts "
                      "1. Null counts as 0 (logged); a negative value stops the run with the count.")
    alg.add_parameter(QgsProcessingParameterFeatureSource(
        "DEMAND_POINTS", tr("Address points inside the zones (optional)"),
        [QgsProcessing.SourceType.TypeVectorPoint], optional=True),
        "Zones only: route from these points (e.g. addresses or buildings) instead of the "
        "zone centroid, and aggregate the results back to the zone, weighted by each "
        "point's demand. A zone with no point uses its centroid; points in no zone are left "
        "out (both logged).", advanced=True)
    alg.add_parameter(QgsProcessingParameterField("POINT_WEIGHT_FIELD", tr("Address point demand field"),
                                                  parentLayerParameterName="DEMAND_POINTS",
                                                  type=QgsProcessingParameterField.DataType.Numeric, optional=True),
                      "Demand of each address point (e.g. residents). Empty: each zone's demand is shared "
                      "equally among its points. Given: a zone's demand is the sum of its points' values.",
                      advanced=True)


def add_facility_parameters(alg, name, label, help_text, *, id_param, value_param=None, value_label="",
                            value_help="", optional=False):
    tr = alg.tr
    alg.add_parameter(QgsProcessingParameterFeatureSource(name, tr(label), [QgsProcessing.SourceType.TypeVectorPoint],
                                                          optional=optional), help_text)
    alg.add_parameter(QgsProcessingParameterField(id_param, tr(f"{label}: id field"), parentLayerParameterName=name,
                                                  optional=True),
                      "Field identifying each facility in the outputs. Empty: the feature's row number (from 0).")
    if value_param:
        alg.add_parameter(QgsProcessingParameterField(value_param, tr(value_label), parentLayerParameterName=name,
                                                      type=QgsProcessingParameterField.DataType.Numeric,
                                                      optional=True), value_help)


def read_network(alg, parameters, context, feedback, progress=(0.0, 0.15)):
    from .network_params import network_from_parameters

    return network_from_parameters(alg, parameters, context, feedback, input_name=NETWORK,
                                   progress=progress)


def read_demand(alg, parameters, context, feedback):
    """``(demand_gdf, units)``: the demand layer and its routable points (DemandUnits)."""
    from ..engine.access_inputs import demand_units
    from .base import engine_feedback
    from .bridge import read_source

    demand, report = read_source(alg, parameters, "DEMAND", context, feedback)
    feedback.pushInfo(report.describe())
    points = None
    if parameters.get("DEMAND_POINTS") not in (None, ""):
        points, preport = read_source(alg, parameters, "DEMAND_POINTS", context, feedback, required=False)
        if points is not None:
            feedback.pushInfo(preport.describe())
            if demand.attrs.get("geometry_kind") != "polygon":
                feedback.pushWarning("Address points are used only with zone (polygon) demand: ignored.")
                points = None
    units = demand_units(demand, demand_field=_text(alg, parameters, "DEMAND_FIELD", context) or None,
                         points=points,
                         point_weight_field=_text(alg, parameters, "POINT_WEIGHT_FIELD", context) or None,
                         feedback=engine_feedback(feedback))
    return demand, units


def read_facilities(alg, parameters, name, context, feedback, *, id_param, value_param=None,
                    value_what="Supply", required=True):
    """``(gdf, ids, values)`` for a facility point layer; values from ``value_param`` (1 each
    when unset). Duplicate ids stop the run (facilities are reported by id)."""
    import numpy as np

    from ..engine.access_inputs import supply_values
    from .bridge import read_source

    gdf, report = read_source(alg, parameters, name, context, feedback, required=required)
    if gdf is None:
        return None, None, None
    feedback.pushInfo(report.describe())
    if len(gdf) == 0 and required:
        raise QgsProcessingException(f"{report.name} is empty: there are no facilities.")
    if gdf.attrs.get("geometry_kind") not in ("point", None):
        raise QgsProcessingException(f"{report.name} must be a point layer.")
    id_field = _text(alg, parameters, id_param, context)
    if id_field:
        ids = gdf[id_field].to_numpy(dtype=object)
        dup = gdf[id_field][gdf[id_field].duplicated(keep=False)]
        if len(dup):
            raise QgsProcessingException(
                f"{report.name}: {len(dup)} features share an {id_field!r} value with another (e.g. "
                f"{dup.iloc[0]!r}); facility ids must be unique. Fix the ids or leave the id field "
                "empty to use row numbers.")
    else:
        ids = np.arange(len(gdf), dtype=np.int64)
    field = _text(alg, parameters, value_param, context) if value_param else ""
    values, notes = supply_values(gdf, field or None, what=value_what)
    for note in notes:
        feedback.pushWarning(note)
    return gdf, ids, values


def demand_costs(net, settings, units, facilities, feedback, progress):
    """Demand points × facilities cost in the user's unit (metres or minutes), inf = unreachable,
    and the Costs record (snap distances)."""
    import geopandas as gpd

    from ..engine.access_inputs import network_costs
    from .base import engine_feedback

    pts = gpd.GeoSeries(units.points, crs=units.crs)
    costs = network_costs(net, pts, facilities, weight=settings.weight, max_snap_m=settings.max_snap_m,
                          access_speed_kmh=settings.access_speed_kmh,
                          feedback=engine_feedback(feedback, *progress))
    off = int((~costs.demand_on_network).sum())
    if off:
        feedback.pushWarning(f"{off} demand points are not on the network (no geometry, or farther than "
                             "the maximum snap distance): they reach no facility.")
    foff = int((~costs.facility_on_network).sum())
    if foff:
        feedback.pushWarning(f"{foff} facilities are not on the network: no demand reaches them.")
    return settings.to_user(costs.cost), costs


def unit_label(settings) -> str:
    return "m" if settings.weight == "length" else "min"


def _text(alg, parameters, name, context) -> str:
    if not name or name not in {d.name() for d in alg.parameterDefinitions()}:
        return ""
    return alg.parameterAsString(parameters, name, context) or ""


def parse_numbers(text, what) -> list:
    """'5, 10, 15' → [5.0, 10.0, 15.0] (a clear message for anything else)."""
    out = []
    for item in str(text or "").replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            out.append(float(item))
        except ValueError as exc:
            raise QgsProcessingException(f"{what}: {item!r} is not a number (give e.g. '5, 10, 15').") from exc
    return out


def id_values(values, ids):
    """Facility ids typed like the id field (see ``engine.access_tables.typed_ids``)."""
    from ..engine.access_tables import typed_ids

    return typed_ids(values, ids)
