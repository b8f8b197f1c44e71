"""Network parameters shared by the movement algorithms (map matching, flows): the road lines
and how to build the network from them. The same settings give the same network and so the
same edge ids, which is how Network flows reads the routes Map-match wrote."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
)

NETWORK_MODES = ["All lines", "Walk", "Cycle", "Drive"]
_MODE_KEYS = [None, "walk", "cycle", "drive"]


def add_network_parameters(alg, *, optional: bool = False) -> None:
    p = QgsProcessingParameterFeatureSource(
        "NETWORK", alg.tr("Network lines"), [QgsProcessing.SourceType.TypeVectorLine], optional=optional)
    p.setHelp(alg.tr("Road or path lines. Every vertex is a node; lines sharing a vertex connect "
                     "(QGIS's own network topology). Projected to the GPS layer's metric CRS if "
                     "geographic."))
    alg.addParameter(p)
    p = QgsProcessingParameterEnum("NETWORK_MODE", alg.tr("Travel mode of the network"),
                                   NETWORK_MODES, defaultValue=0)
    p.setHelp(alg.tr("Which lines make the network: all lines, or the OpenStreetMap highway classes "
                     "a walker, cyclist or driver may use (field 'highway'). Use the mode the tracks "
                     "were made with; matching a car to footways finds the wrong street."))
    alg.addParameter(p)
    p = QgsProcessingParameterBoolean("OSM_ONEWAY", alg.tr("Follow OpenStreetMap one-way streets"),
                                      defaultValue=False)
    p.setHelp(alg.tr("Use OSM's 'oneway' tag (a field or inside 'other_tags'; roundabouts one-way) "
                     "so routes never run against a one-way street. Off: every line is two-way."))
    alg.addParameter(p)
    p = QgsProcessingParameterNumber("TOLERANCE", alg.tr("Topology tolerance (m)"),
                                     QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0)
    p.setHelp(alg.tr("Vertices closer than this many metres are one node. 0 = exact shared vertices."))
    p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
    alg.addParameter(p)


def build_network(alg, parameters, context, feedback, *, target_crs=None, fb=None):
    """``(Network, notes)`` from the NETWORK parameters, in ``target_crs`` when given (else
    the lines' own metric CRS or their local UTM zone)."""
    from ..engine.crs import ensure_projected
    from ..engine.network import Network
    from .bridge import read_source

    lines, report = read_source(alg, parameters, "NETWORK", context, feedback)
    notes = [report.describe()]
    mode = _MODE_KEYS[alg.parameterAsEnum(parameters, "NETWORK_MODE", context)]
    oneway = alg.parameterAsBoolean(parameters, "OSM_ONEWAY", context)
    tolerance = alg.parameterAsDouble(parameters, "TOLERANCE", context)
    if lines.crs is not None:
        lines, _, note = ensure_projected(lines, target=target_crs, what=lines.attrs.get("source_name"))
        if note:
            notes.append(note)
    kwargs = {"tolerance_m": tolerance, "osm_oneway": oneway, "feedback": fb}
    if mode is not None:
        kwargs["mode"] = mode
    net = Network.from_lines(lines, **kwargs)
    notes += list(net.notes)
    notes.append(f"Network: {len(net.edges)} edges, {net.n_nodes} nodes.")
    return net, notes
