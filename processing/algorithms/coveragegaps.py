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

    def initAlgorithm(self, config=None):  # noqa: N802
        tr = self.tr
        add_network_parameters(self, input_name=NETWORK)
        add_demand_parameters(self)
        add_facility_parameters(self, "FACILITIES", "Facilities (points)",
                                "The services whose reach is tested.", id_param="FACILITY_ID")
        p = QgsProcessingParameterNumber("THRESHOLD", tr("Threshold (metres or minutes)"),
                                         QgsProcessingParameterNumber.Type.Double, 1000.0, minValue=0.0)
        p.setHelp(tr("Demand farther than this from every facility is uncovered: metres for Shortest, "
                     "minutes for Fastest."))
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink("OUTPUT", tr("Coverage per demand feature"),
                                                            QgsProcessing.SourceType.TypeVectorAnyGeometry))
        self.addParameter(QgsProcessingParameterFeatureSink("UNCOVERED", tr("Uncovered demand"),
                                                            QgsProcessing.SourceType.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFeatureSink("SUMMARY", tr("Coverage summary"),
                                                            QgsProcessing.SourceType.TypeVector))
        for name, label in (("TOTAL_DEMAND", "Total demand"), ("UNCOVERED_DEMAND", "Uncovered demand"),
                            ("UNCOVERED_PCT", "Uncovered demand (percent)")):
            self.addOutput(QgsProcessingOutputNumber(name, tr(label)))

    def execute(self, parameters, context, feedback):
        import geopandas as gpd
        import pandas as pd

        from ...engine.access_inputs import coverage_tables
        from .. import bridge
        from ..access_params import demand_costs, read_demand, read_facilities, read_network, unit_label

        net, st = read_network(self, parameters, context, feedback)
        demand, units = read_demand(self, parameters, context, feedback)
        fac, _, _ = read_facilities(self, parameters, "FACILITIES", context, feedback, id_param="FACILITY_ID")
        threshold = self.parameterAsDouble(parameters, "THRESHOLD", context)
        cost, costs = demand_costs(net, st, units, fac, feedback, (0.15, 0.9))
        unit = unit_label(st)
        per, points, summary = coverage_tables(units, cost, costs, threshold=threshold, unit=unit)
        out = demand.copy()
        for name, values in per.items():
            out[name] = values
        unc = gpd.GeoDataFrame(pd.DataFrame(points), geometry=gpd.GeoSeries(points.pop("geometry"),
                                                                            crs=units.crs), crs=units.crs)
        feedback.pushInfo(
            f"Uncovered: {summary['uncovered_demand']:,.1f} of {summary['total_demand']:,.1f} demand "
            f"({summary['uncovered_pct']:.1f} %) beyond {threshold:g} {unit} of every facility; "
            f"{summary['units_uncovered']} of {summary['units_total']} demand points uncovered, "
            f"{summary['units_unreachable']} reach no facility at all; "
            f"{summary['features_no_geometry']} demand features have no geometry.")
        table = pd.DataFrame({k: [v] for k, v in summary.items()})
        results = {"OUTPUT": bridge.write_output(self, parameters, "OUTPUT", context, out),
                   "UNCOVERED": bridge.write_output(self, parameters, "UNCOVERED", context, unc,
                                                    geometry_type="Point"),
                   "SUMMARY": bridge.write_output(self, parameters, "SUMMARY", context, table)}
        for k in ("total_demand", "uncovered_demand", "uncovered_pct"):
            results[k.upper()] = float(summary[k])
        feedback.setProgress(100)
        return results
