"""joinedup:coveragegaps — demand not within a threshold of any facility ("underserved areas")."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
)

from ..access_params import NETWORK, add_demand_parameters, add_facility_parameters
from ..base import JoinedUpAlgorithm
from ..network_params import add_network_parameters


class CoverageGaps(JoinedUpAlgorithm):
    ALG_ID = "coveragegaps"
    DISPLAY_NAME = "Coverage gaps (underserved areas)"
    GROUP = "access"
    ICON = "coveragegaps"
    TAGS = "coverage,gap,underserved,uncovered,service area,demand,threshold,accessibility,network"
    HELP = (
        "Finds the demand that has no FACILITY within THRESHOLD over the street network.\n\n"
        "<b>Output (per demand feature)</b>: its own fields plus <i>demand</i> (units of the demand "
        "field; 1 per feature when none), <i>covered_demand</i> and <i>uncovered_demand</i> (same "
        "units: a zone with address points can be partly covered), <i>uncovered_share</i> (0–1 of "
        "the feature's demand), <i>nearest_cost</i> (metres for Shortest, minutes for Fastest; "
        "demand-weighted mean over a zone's points; null when no facility is reachable), "
        "<i>snap_m</i> (metres to the network) and <i>status</i> (ok, no geometry, not on network, "
        "no facility reachable, partly unreachable, null demand).\n"
        "<b>Uncovered demand</b>: one point per uncovered demand point (zone centroid, address point "
        "or demand point) with <i>feature_row</i> (row of its demand feature, from 0), <i>demand</i>, "
        "<i>nearest_cost</i> and <i>reason</i> (beyond the threshold, no facility reachable, not on "
        "network).\n"
        "<b>Summary</b>: one row with total, covered and uncovered demand, <i>uncovered_pct</i> "
        "(percent of all demand), the counts of demand units (uncovered, unreachable), the threshold "
        "and its unit; the same totals are written to the log.\n\n"
        "A cost equal to the threshold counts as covered. Features with no geometry are uncovered "
        "with status 'no geometry' and counted in the totals, never dropped. Network options: see "
        "'Check network'.")

    FACILITIES = "FACILITIES"
    FACILITY_ID = "FACILITY_ID"
    THRESHOLD = "THRESHOLD"
    OUTPUT = "OUTPUT"
    UNCOVERED = "UNCOVERED"
    SUMMARY = "SUMMARY"

    def initAlgorithm(self, config=None):  # noqa: N802
        tr = self.tr
        add_network_parameters(self, input_name=NETWORK)
        add_demand_parameters(self)
        add_facility_parameters(self, self.FACILITIES, "Facilities (points)",
                                "The services whose reach is tested.", id_param=self.FACILITY_ID)
        self.add_parameter(QgsProcessingParameterNumber(self.THRESHOLD, tr("Threshold (metres or minutes)"),
                                                        QgsProcessingParameterNumber.Type.Double, 1000.0, minValue=0.0),
                           "Demand farther than this from every facility is uncovered: metres for Shortest, "
                           "minutes for Fastest.")
        self.add_parameter(QgsProcessingParameterFeatureSink(self.OUTPUT, tr("Coverage per demand feature"),
                                                             QgsProcessing.SourceType.TypeVectorAnyGeometry),
                           "Every demand feature with its covered and uncovered demand and status.")
        self.add_parameter(QgsProcessingParameterFeatureSink(self.UNCOVERED, tr("Uncovered demand"),
                                                             QgsProcessing.SourceType.TypeVectorPoint),
                           "One point per uncovered demand point, with the reason.")
        self.add_parameter(QgsProcessingParameterFeatureSink(self.SUMMARY, tr("Coverage summary"),
                                                             QgsProcessing.SourceType.TypeVector),
                           "One row of totals: demand, covered, uncovered, percent, threshold and unit.")
        for name, label in (("TOTAL_DEMAND", "Total demand"), ("UNCOVERED_DEMAND", "Uncovered demand"),
                            ("UNCOVERED_PCT", "Uncovered demand (percent)")):
            self.addOutput(QgsProcessingOutputNumber(name, tr(label)))

    def execute(self, parameters, context, feedback):
        from ...engine.access_tables import coverage_outputs
        from .. import bridge
        from ..access_params import demand_costs, read_demand, read_facilities, read_network, unit_label

        net, st = read_network(self, parameters, context, feedback)
        demand, units = read_demand(self, parameters, context, feedback)
        fac, _, _ = read_facilities(self, parameters, self.FACILITIES, context, feedback, id_param=self.FACILITY_ID)
        threshold = self.parameterAsDouble(parameters, self.THRESHOLD, context)
        cost, costs = demand_costs(net, st, units, fac, feedback, (0.15, 0.9))
        unit = unit_label(st)
        out, unc, table, summary = coverage_outputs(demand, units, cost, costs, threshold=threshold, unit=unit)
        feedback.pushInfo(
            f"Uncovered: {summary['uncovered_demand']:,.1f} of {summary['total_demand']:,.1f} demand "
            f"({summary['uncovered_pct']:.1f} %) beyond {threshold:g} {unit} of every facility; "
            f"{summary['units_uncovered']} of {summary['units_total']} demand points uncovered, "
            f"{summary['units_unreachable']} reach no facility at all; "
            f"{summary['features_no_geometry']} demand features have no geometry.")
        results = {self.OUTPUT: bridge.write_output(self, parameters, self.OUTPUT, context, out),
                   self.UNCOVERED: bridge.write_output(self, parameters, self.UNCOVERED, context, unc,
                                                       geometry_type="Point"),
                   self.SUMMARY: bridge.write_output(self, parameters, self.SUMMARY, context, table)}
        for k in ("total_demand", "uncovered_demand", "uncovered_pct"):
            results[k.upper()] = float(summary[k])
        feedback.setProgress(100)
        return results
