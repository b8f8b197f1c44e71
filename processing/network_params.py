"""Network parameters shared by every algorithm that routes on streets (JoinedUp's network,
accessibility and map-matching algorithms): one definition, one reader.

Parameter ids follow QGIS's own network tools where the meaning is the same (``INPUT``,
``STRATEGY``, ``DIRECTION_FIELD``, ``VALUE_FORWARD``, ``VALUE_BACKWARD``, ``VALUE_BOTH``,
``DEFAULT_DIRECTION``, ``SPEED_FIELD``, ``DEFAULT_SPEED``, ``TOLERANCE``), so a model can swap
``native:shortestpath*`` for JoinedUp's.

Usage in an algorithm::

    from ..network_params import add_network_parameters, network_from_parameters
    def initAlgorithm(self, config=None):
        add_network_parameters(self)
        ...
    def execute(self, parameters, context, feedback):
        net, settings = network_from_parameters(self, parameters, context, feedback)
        snap = settings.snap(net, points)          # honours MAX_SNAP
        cost = settings.to_user(net.cost_matrix(...))   # metres or minutes

Point layers (origins, facilities ...) are declared and read by ``point_params``. Dialog indices
become engine names here (``MODE_KEYS``, ``DIRECTION_KEYS``, ``STRATEGY_WEIGHTS``,
``PAIRING_KEYS``, ``FACILITY_DIRECTION_KEYS``).

Engine imports stay inside functions (the plugin must load without geopandas).
"""
from __future__ import annotations

from dataclasses import dataclass

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
        QgsProcessingParameterEnum,
    QgsProcessingParameterExpression,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

# Point-layer helpers live in point_params; re-exported for algorithms that import them from here.
from .point_params import describe_unsnapped, read_points, take_ids  # noqa: F401

STRATEGIES = ["Shortest (network distance, metres)", "Fastest (travel time, minutes)"]
PRESETS = ["None: use the fields below", "OpenStreetMap: oneway, maxspeed and highway tags"]
MODES = ["Any: every line of the layer", "Walk", "Cycle", "Drive"]
MODE_KEYS = [None, "walk", "cycle", "drive"]
DIRECTIONS = ["Forward direction", "Backward direction", "Both directions"]  # QGIS's order
DIRECTION_KEYS = ["forward", "backward", "both"]



STRATEGY_WEIGHTS = ["length", "time"]  # the engine's cost name for each STRATEGIES entry
PAIRINGS = ["Match by id: each origin to the destination with the same id",
            "Nearest: each origin to its nearest destination by network cost"]
PAIRING_KEYS = ["by_id", "nearest"]  # engine.network.outputs.PAIRINGS, in the dialog's order
FACILITY_DIRECTIONS = ["From the incident to the facility", "From the facility to the incident"]
FACILITY_DIRECTION_KEYS = ["to_facility", "from_facility"]


def add_network_parameters(alg, *, input_name: str = "INPUT", strategy: bool = True, snapping: bool = True,
                           input_description: str = "Network layer (roads and paths)"):
    """Declare the network parameters on ``alg`` (call from ``initAlgorithm``)."""
    tr = alg.tr
    add = alg.add_parameter
    add(QgsProcessingParameterFeatureSource(input_name, tr(input_description),
                                            [QgsProcessing.SourceType.TypeVectorLine]),
        "Line layer of streets and paths. Every vertex is a node; lines connect only "
        "where they share a vertex (within the topology tolerance), as in QGIS's own "
        "network analysis: a bridge drawn across a road without a shared vertex does not "
        "connect. A network saved by 'Check network' (its edges layer) is reused as it is, "
        "without rebuilding. Lengths are ground metres in every CRS: a layer whose CRS is not "
        "true to 0.1 % over the data (degrees, feet, Web Mercator) is measured in a local "
        "projected CRS that the log names; outputs keep the input's CRS (docs/crs.md).")
    if strategy:
        add(QgsProcessingParameterEnum("STRATEGY", tr("Path type to calculate"), STRATEGIES, defaultValue=0),
            "Shortest: cost is network distance in metres. Fastest: cost is travel time in "
            "minutes from the speed settings. Every cost field, band and limit of this "
            "algorithm is in that unit.")
    add(QgsProcessingParameterEnum("PRESET", tr("Attribute preset"), PRESETS, defaultValue=0),
        "OpenStreetMap: one-way streets from the 'oneway' tag (yes/true/1 forward, -1/reverse "
        "backward, no both; roundabouts and motorways one-way unless tagged otherwise), speed "
        "from 'maxspeed' (\"50\", \"30 mph\", \"walk\", \"FI:urban\"), class from 'highway'. "
        "Tags are read from fields of those names or from the 'other_tags' field of GDAL's OSM "
        "reader. The direction and speed fields below are then ignored.")
    add(QgsProcessingParameterEnum("MODE", tr("Travel mode"), MODES, defaultValue=0),
        "Walk, Cycle or Drive keep only the road classes (class field, default 'highway') "
        "that mode may use: no driving on footways, no walking on motorways; lines with no "
        "class (rivers, railways) are left out; OSM access=no/private, foot=no, bicycle=no, "
        "motor_vehicle=no are honoured. Walk ignores one-way streets and uses 5 km/h; Cycle "
        "15 km/h (honours oneway:bicycle=no); Drive uses the speed settings, then OSM class "
        "speeds. Any: every line, no filter. The log counts the lines left out.")
    add(QgsProcessingParameterExpression("LINE_FILTER", tr("Use only lines where (expression)"),
                                         parentLayerParameterName=input_name, optional=True),
        "A QGIS expression: only lines for which it is true make the network, e.g. "
        "\"highway\" NOT IN ('motorway', 'trunk') or \"surface\" = 'paved' AND \"width\" > 3. "
        "Applied before the travel mode. Lines where it is false or NULL are left out, and "
        "the log counts them. Empty: every line.", advanced=True)
    add(QgsProcessingParameterField("DIRECTION_FIELD", tr("Direction field"),
                                    parentLayerParameterName=input_name, optional=True),
        "Field giving each line's direction of travel, compared as text with the three "
        "value lists below. Empty: every line uses the default direction.", advanced=True)
    for pid, label, default, what in (
            ("VALUE_FORWARD", "Value for forward direction", "yes,1,true,forward",
             "travel only in the digitising direction"),
            ("VALUE_BACKWARD", "Value for backward direction", "-1,reverse,backward",
             "travel only against the digitising direction"),
            ("VALUE_BOTH", "Value for both directions", "no,0,false,both", "travel both ways")):
        add(QgsProcessingParameterString(pid, tr(label), defaultValue=default, optional=True),
            f"Comma-separated values of the direction field that mean {what} (case-insensitive).",
            advanced=True)
    add(QgsProcessingParameterEnum("DEFAULT_DIRECTION", tr("Default direction"), DIRECTIONS, defaultValue=2),
        "Direction of lines with no direction field, or a null or unlisted value "
        "(the log counts them).", advanced=True)
    add(QgsProcessingParameterField("SPEED_FIELD", tr("Speed field (km/h)"),
                                    parentLayerParameterName=input_name, optional=True),
        "Field with each line's speed in km/h (numbers, or OSM maxspeed text such as "
        "\"30 mph\" or \"walk\"). Null, zero, negative or unparsable values use the class "
        "speed, then the default speed. Used by the Fastest path type.", advanced=True)
    add(QgsProcessingParameterNumber("DEFAULT_SPEED", tr("Default speed (km/h)"),
                                     QgsProcessingParameterNumber.Type.Double, defaultValue=50.0, minValue=0.001),
        "Speed for lines with no usable speed (km/h). For Walk and Cycle modes the mode's "
        "own speed is used unless a speed field is given.", advanced=True)
    add(QgsProcessingParameterField("CLASS_FIELD", tr("Road class field"),
                                    parentLayerParameterName=input_name, optional=True),
        "Field with each line's road class (e.g. OSM 'highway'), for class speeds and "
        "travel-mode filters.", advanced=True)
    add(QgsProcessingParameterString("CLASS_SPEEDS", tr("Speeds by class (km/h)"), optional=True, defaultValue=""),
        "Speeds per road class, e.g. 'residential=30, primary=50, footway=5', used where "
        "the speed field gives none. Drive mode has OSM defaults.", advanced=True)
    add(QgsProcessingParameterNumber("TOLERANCE", tr("Topology tolerance (metres)"),
                                     QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0),
        "Line vertices closer than this are joined into one node. 0 (QGIS's default): only "
        "identical vertices join.", advanced=True)
    if snapping:
        add(QgsProcessingParameterNumber("MAX_SNAP", tr("Maximum snap distance (metres)"),
                                         QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0),
            "Points farther than this from the nearest usable line are not routed and are "
            "reported as 'not on network' with their distance. 0: no limit. Points snap to "
            "the nearest point on the nearest line (not the nearest vertex); every output "
            "carries the snap distance.", advanced=True)
        add(QgsProcessingParameterNumber("ACCESS_SPEED", tr("Add the walk to the network at (km/h)"),
                                         QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0),
            "0 (as QGIS): costs run from snapped point to snapped point. Above 0: the straight "
            "walk from each point to the network is added to its costs (its distance for "
            "Shortest, its time at this speed for Fastest).", advanced=True)


@dataclass
class NetworkSettings:
    """What an algorithm needs besides the network: the cost, its unit, snapping options."""
    weight: str            # 'length' or 'time'
    unit: str              # 'm' or 'min'
    max_snap_m: float | None
    access_speed_kmh: float | None

    @property
    def scale(self) -> float:
        """Engine cost (metres or seconds) → user unit (metres or minutes)."""
        return 1.0 if self.weight == "length" else 1.0 / 60.0

    def to_user(self, cost):
        return cost * self.scale

    def to_engine(self, cost):
        return None if cost is None else cost / self.scale

    def snap(self, net, points):
        return net.snap(points, max_snap_m=self.max_snap_m)

    def access(self, snap):
        from ..engine.network import access_cost

        return access_cost(snap, weight=self.weight, access_speed_kmh=self.access_speed_kmh)


def _values(text) -> list:
    return [v.strip() for v in str(text or "").split(",")] if text not in (None, "") else []


def parse_class_speeds(text) -> dict:
    """'residential=30, primary=50' → {'residential': 30.0, 'primary': 50.0}."""
    out = {}
    for item in _values(text):
        if not item:
            continue
        if "=" not in item:
            raise QgsProcessingException(f"Speeds by class: {item!r} is not of the form class=km/h "
                                         "(e.g. 'residential=30, footway=5').")
        key, value = item.split("=", 1)
        try:
            speed = float(value)
        except ValueError as exc:
            raise QgsProcessingException(
                f"Speeds by class: {value.strip()!r} for {key.strip()!r} is not a number.") from exc
        if not speed > 0:
            raise QgsProcessingException(f"Speeds by class: the speed for {key.strip()!r} must be positive.")
        out[key.strip()] = speed
    return out


def network_from_parameters(alg, parameters, context, feedback, *, input_name: str = "INPUT",
                            progress=(0.0, 0.2)):
    """Read the network layer and build (or reuse a saved) network. Returns ``(net, settings)``.
    Every note of the build goes to the log."""
    from ..engine.network import Network
    from .base import engine_feedback
    from .bridge import read_source

    lines, report = read_source(alg, parameters, input_name, context, feedback)
    feedback.pushInfo(report.describe())
    names = {d.name() for d in alg.parameterDefinitions()}
    if "LINE_FILTER" in names:
        expression = (alg.parameterAsString(parameters, "LINE_FILTER", context) or "").strip()
        if expression:
            lines = _filter_lines(alg, parameters, input_name, context, feedback, lines, report, expression)

    def enum(name, default):
        return alg.parameterAsEnum(parameters, name, context) if name in names else default

    def number(name, default=0.0):
        return alg.parameterAsDouble(parameters, name, context) if name in names else default

    def text(name):
        return alg.parameterAsString(parameters, name, context) if name in names else ""

    strategy = enum("STRATEGY", 0)
    preset = enum("PRESET", 0)
    mode = MODE_KEYS[enum("MODE", 0)]
    fb = engine_feedback(feedback, *progress)
    if Network.is_saved_network(lines):
        feedback.pushInfo(f"{report.name} is a saved JoinedUp network: reused as built (direction, "
                          "speed and mode settings were applied when it was saved).")
        net = Network.from_edges(lines)
    else:
        speed_field = text("SPEED_FIELD") or None
        class_field = text("CLASS_FIELD") or None
        kwargs = dict(tolerance_m=number("TOLERANCE"), mode=mode, feedback=fb,
                      default_speed_kmh=number("DEFAULT_SPEED", 50.0) or None,
                      class_speeds_kmh=parse_class_speeds(text("CLASS_SPEEDS")) or None)
        if preset == 1:
            kwargs.update(osm_oneway=True, class_field=class_field or (
                "highway" if "highway" in lines.columns else None),
                speed_field=speed_field or ("maxspeed" if "maxspeed" in lines.columns
                                            or "other_tags" in lines.columns else None))
            if mode in ("walk", "cycle") and not text("SPEED_FIELD"):
                kwargs["speed_field"] = None
                kwargs["default_speed_kmh"] = None
        else:
            kwargs.update(direction_field=text("DIRECTION_FIELD") or None,
                          forward_values=_values(text("VALUE_FORWARD")),
                          backward_values=_values(text("VALUE_BACKWARD")),
                          both_values=_values(text("VALUE_BOTH")),
                          default_direction=DIRECTION_KEYS[enum("DEFAULT_DIRECTION", 2)],
                          speed_field=speed_field, class_field=class_field)
            if mode in ("walk", "cycle") and not speed_field:
                kwargs["default_speed_kmh"] = None
        net = Network.from_lines(lines, **kwargs)
    for note in net.notes:
        feedback.pushInfo(note)
    r = net.report
    feedback.pushInfo(f"Network: {r.get('nodes', 0)} nodes, {r.get('edges', 0)} edges (segments) from "
                      f"{r.get('lines_used', r.get('input_features', 0))} lines, {r.get('components', 0)} "
                      f"connected parts (the largest has {r.get('largest_component_nodes', 0)} nodes).")
    weight = STRATEGY_WEIGHTS[strategy]
    if weight == "time" and "time" not in net.graphs:
        raise QgsProcessingException("Fastest needs speeds: no line has a usable speed. Set a speed field, "
                                     "speeds by class or a default speed.")
    max_snap = number("MAX_SNAP", 0.0)
    access = number("ACCESS_SPEED", 0.0)
    settings = NetworkSettings(weight=weight, unit="m" if weight == "length" else "min",
                               max_snap_m=max_snap if max_snap > 0 else None,
                               access_speed_kmh=access if access > 0 else None)
    return net, settings


def _filter_lines(alg, parameters, input_name, context, feedback, lines, report, expression):
    """The rows of ``lines`` whose feature the QGIS expression holds true for (QGIS's own
    expression engine decides, so every QGIS function works); the log counts the rest."""
    import numpy as np
    from qgis.core import QgsExpression, QgsFeatureRequest

    from ..engine.errors import EngineCancelled

    parsed = QgsExpression(expression)
    if parsed.hasParserError():
        raise QgsProcessingException(f"Line filter {expression!r} does not parse: {parsed.parserErrorString()}")
    source = alg.parameterAsSource(parameters, input_name, context)
    fields = source.fields()
    missing = sorted(c for c in parsed.referencedColumns()
                     if c != QgsFeatureRequest.ALL_ATTRIBUTES and fields.lookupField(c) < 0)
    if missing:
        raise QgsProcessingException(
            f"Line filter {expression!r} names {', '.join(repr(m) for m in missing)}, which the network "
            f"layer does not have. Its fields: {', '.join(fields.names()) or 'none'}.")
    request = QgsFeatureRequest().setFilterExpression(expression)
    request.setFlags(QgsFeatureRequest.Flag.NoGeometry)
    request.setSubsetOfAttributes(parsed.referencedColumns(), fields)
    request.setExpressionContext(alg.createExpressionContext(parameters, context, source))
    kept = []
    for feature in source.getFeatures(request):
        if feedback.isCanceled():
            raise EngineCancelled()
        kept.append(feature.id())
    keep = np.isin(report.fids, np.asarray(kept, dtype=np.int64))
    feedback.pushInfo(f"Line filter {expression}: {int(keep.sum())} of {len(lines)} lines kept, "
                      f"{int((~keep).sum())} left out (false or NULL).")
    if not keep.any():
        raise QgsProcessingException(f"Line filter {expression!r} leaves no line of the network layer.")
    out = lines[keep].reset_index(drop=True)
    out.attrs = dict(lines.attrs)
    return out
