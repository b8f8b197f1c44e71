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

    INPUT = "INPUT"
    ISLAND_SIZE = "ISLAND_SIZE"
    OUTPUT = "OUTPUT"
    PROBLEMS = "PROBLEMS"
    ISLANDS = "ISLANDS"
    SUMMARY = "SUMMARY"
    SAVE_NETWORK = "SAVE_NETWORK"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self, input_name=self.INPUT, snapping=False)
        self.add_parameter(QgsProcessingParameterNumber(self.ISLAND_SIZE, self.tr("Island size (nodes)"),
                                                        QgsProcessingParameterNumber.Type.Integer, 50, minValue=1),
                           "Connected parts with fewer nodes than this (other than the largest part) "
                           "are reported as islands.")
        self.add_parameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Network edges"), QgsProcessing.SourceType.TypeVectorLine),
            "Every edge (segment) of the network with its costs, directions, connected part, and "
            "island and duplicate flags.")
        self.add_parameter(QgsProcessingParameterFeatureSink(
            self.PROBLEMS, self.tr("Problems"), QgsProcessing.SourceType.TypeVectorPoint),
            "Points where routing may go wrong: dangles, one-way dead ends and starts, duplicate edges.")
        self.add_parameter(QgsProcessingParameterFeatureSink(
            self.ISLANDS, self.tr("Islands"), QgsProcessing.SourceType.TypeVectorLine, optional=True),
            "One line per island (a connected part smaller than the island size), with its length in metres.")
        self.add_parameter(QgsProcessingParameterFeatureSink(
            self.SUMMARY, self.tr("Summary"), QgsProcessing.SourceType.TypeVector, optional=True),
            "The counts of the log as a table (metric, value).")
        self.add_parameter(QgsProcessingParameterFileDestination(
            self.SAVE_NETWORK, self.tr("Save network (GeoPackage)"), self.tr("GeoPackage (*.gpkg)"),
            optional=True, createByDefault=False),
            "Write the built network to a GeoPackage for reuse (layers edges and nodes).")
        for name, label in (("COMPONENTS", "Connected parts"), ("DANGLES", "Dangles"),
                            ("ONEWAY_DEAD_ENDS", "One-way dead ends"), ("ISLAND_EDGES", "Edges on islands")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(label)))

    def execute(self, parameters, context, feedback):
        from ...engine.network import check_network, island_lines, summary_table
        from .. import bridge

        net, _ = network_from_parameters(self, parameters, context, feedback, input_name=self.INPUT,
                                         progress=(0.0, 0.6))
        feedback.setProgress(60)
        size = self.parameterAsInt(parameters, self.ISLAND_SIZE, context)
        summary, problems, edges = check_network(net, small_component_nodes=size)
        for key, value in summary.items():
            feedback.pushInfo(f"{key}: {value:.6g}" if isinstance(value, float) else f"{key}: {value}")
        results = {"COMPONENTS": summary["components"], "DANGLES": summary["dangles"],
                   "ONEWAY_DEAD_ENDS": summary["oneway_dead_ends"], "ISLAND_EDGES": summary["island_edges"]}
        results[self.OUTPUT] = bridge.write_output(self, parameters, self.OUTPUT, context, edges)
        results[self.PROBLEMS] = bridge.write_output(self, parameters, self.PROBLEMS, context, problems)
        for name, frame in ((self.ISLANDS, island_lines(edges)), (self.SUMMARY, summary_table(summary))):
            out = bridge.write_output(self, parameters, name, context, frame)
            if out is not None:
                results[name] = out
        path = self.parameterAsFileOutput(parameters, self.SAVE_NETWORK, context)
        if path:
            bridge.write_atomically(path, net.save)
            feedback.pushInfo(f"Network saved to {path} (layers edges and nodes).")
            results[self.SAVE_NETWORK] = path
        feedback.setProgress(100)
        return results
