"""joinedup:checknetwork — build a network from lines and report what would spoil routing."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm
from ..network_params import add_network_parameters, network_from_parameters


class CheckNetwork(JoinedUpAlgorithm):
    ALG_ID = "checknetwork"
    DISPLAY_NAME = "Check network"
    GROUP = "network"
    ICON = "network"
    TAGS = "network,topology,connectivity,components,islands,dangles,one-way,oneway,graph,check,roads"
    HELP = (
        "Builds a routable network from a line layer exactly as the other JoinedUp network tools "
        "do, and reports what would spoil routing, so it can be fixed before analysis.\n\n"
        "<b>Topology</b>: every vertex is a node; lines connect only where they share a vertex "
        "(within the topology tolerance), as in QGIS's own network analysis.\n"
        "<b>Network edges</b> (OUTPUT): one row per segment with <i>component</i> (0 = the largest "
        "connected part), <i>component_nodes</i>, <i>island</i> (in a part smaller than the island "
        "size), <i>duplicate</i> (another segment joins the same two vertices), <i>forward</i>/"
        "<i>backward</i>, <i>length_m</i>, <i>time_s</i> and <i>source_row</i> (the input feature).\n"
        "<b>Problems</b> (points): <i>dangle</i> (a line end touching no other line: often a missed "
        "junction), <i>one-way dead end</i> (one-way streets lead in, none lead out), "
        "<i>unreachable one-way start</i>, <i>duplicate edge</i>.\n"
        "<b>Islands</b>: the small disconnected parts, one multi-line per part.\n"
        "<b>Summary</b>: a table of counts (components, dangles, one-way dead ends, zero-length "
        "segments, closed lines, duplicates, length), also written to the log.\n"
        "<b>Save network</b> (optional GeoPackage): the built network (layers edges and nodes, with "
        "ids, costs, directions and component). Give its <i>edges</i> layer as the network layer "
        "of any JoinedUp network tool to reuse it without rebuilding.\n"
        "Features with no geometry, and lines left out by the travel mode, are counted in the log; "
        "zero-length segments are ignored and counted.")

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self, snapping=False)
        p = QgsProcessingParameterNumber("ISLAND_SIZE", self.tr("Island size (nodes)"),
                                         QgsProcessingParameterNumber.Type.Integer, 50, minValue=1)
        p.setHelp(self.tr("Connected parts with fewer nodes than this (other than the largest part) "
                          "are reported as islands."))
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Network edges"), QgsProcessing.SourceType.TypeVectorLine))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "PROBLEMS", self.tr("Problems"), QgsProcessing.SourceType.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "ISLANDS", self.tr("Islands"), QgsProcessing.SourceType.TypeVectorLine, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "SUMMARY", self.tr("Summary"), QgsProcessing.SourceType.TypeVector, optional=True))
        p = QgsProcessingParameterFileDestination("SAVE_NETWORK", self.tr("Save network (GeoPackage)"),
                                                  self.tr("GeoPackage (*.gpkg)"), optional=True,
                                                  createByDefault=False)
        p.setHelp(self.tr("Write the built network to a GeoPackage for reuse (layers edges and nodes)."))
        self.addParameter(p)
        for name, label in (("COMPONENTS", "Connected parts"), ("DANGLES", "Dangles"),
                            ("ONEWAY_DEAD_ENDS", "One-way dead ends"), ("ISLAND_EDGES", "Edges on islands")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(label)))

    def execute(self, parameters, context, feedback):
        import pandas as pd

        from .. import bridge
        from ...engine.network_tools import check_network

        net, _ = network_from_parameters(self, parameters, context, feedback, progress=(0.0, 0.6))
        feedback.setProgress(60)
        size = self.parameterAsInt(parameters, "ISLAND_SIZE", context)
        summary, problems, edges = check_network(net, small_component_nodes=size)
        for key, value in summary.items():
            feedback.pushInfo(f"{key}: {value:.6g}" if isinstance(value, float) else f"{key}: {value}")
        results = {"COMPONENTS": summary["components"], "DANGLES": summary["dangles"],
                   "ONEWAY_DEAD_ENDS": summary["oneway_dead_ends"], "ISLAND_EDGES": summary["island_edges"]}
        results["OUTPUT"] = bridge.write_output(self, parameters, "OUTPUT", context, edges)
        results["PROBLEMS"] = bridge.write_output(self, parameters, "PROBLEMS", context, problems)
        islands = edges[edges["island"]]
        if len(islands):
            islands = islands.dissolve(by="component", aggfunc={"component_nodes": "first", "length_m": "sum"},
                                       as_index=False)
        else:
            islands = islands[["component", "component_nodes", "length_m", "geometry"]]
        out = bridge.write_output(self, parameters, "ISLANDS", context, islands)
        if out is not None:
            results["ISLANDS"] = out
        table = pd.DataFrame({"metric": list(summary), "value": [float(v) for v in summary.values()]})
        out = bridge.write_output(self, parameters, "SUMMARY", context, table)
        if out is not None:
            results["SUMMARY"] = out
        path = self.parameterAsFileOutput(parameters, "SAVE_NETWORK", context)
        if path:
            bridge.write_atomically(path, net.save)
            feedback.pushInfo(f"Network saved to {path} (layers edges and nodes).")
            results["SAVE_NETWORK"] = path
        feedback.setProgress(100)
        return results
