"""joinedup:mapmatch — GPS points to the routes they took on the network (HMM map matching)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm, crs_required, engine_feedback
from ..network_params import add_network_parameters, network_from_parameters
from ..scale_params import add_execution_parameter, execution_from_parameters


class MapMatch(JoinedUpAlgorithm):
    ALG_ID = "mapmatch"
    DISPLAY_NAME = "Map-match GPS tracks"
    GROUP = "movement"
    ICON = "mapmatch"
    TAGS = "gps,track,trace,map matching,hmm,route,lorry,hgv,cycle,movement"
    HELP = (
        "Finds the route each GPS track took on the network with hidden-Markov-model map "
        "matching (Newson & Krumm 2009): each point's candidates are the nearest points on the "
        "nearest edges within SEARCH_RADIUS; a candidate is likelier the closer it is (Gaussian "
        "with GPS_SIGMA) and a move between candidates is likelier the closer its network "
        "distance is to the straight distance between the two GPS points. The most likely "
        "sequence is found for all tracks at once.\n\n"
        "INPUT: GPS points with a TRACK_FIELD (one value per track) and a TIME_FIELD (a "
        "date-time field, ISO 8601 text such as 2024-05-02T08:15:30, or seconds). Optional "
        "MODE_FIELD (e.g. hgv, cycle) is carried to the routes. Any CRS: geographic points are "
        "reprojected to the network's metric CRS (the log says so).\n"
        "Points of a track are sorted by time; a point with the same time as an earlier one of "
        "its track is dropped ('duplicate time'). A track is split where the time gap exceeds "
        "MAX_TIME_GAP seconds, or where no candidate can reach the next within the straight "
        "distance + MAX_DETOUR metres on the network (a routing gap). Points within 2 × "
        "GPS_SIGMA of the previous used point are matched afterwards to the nearest edge of the "
        "route found around them.\n\n"
        "Outputs: OUTPUT, one line per continuous matched route (track_id, piece, mode, "
        "start_time, end_time, n_points, length_m, edge_ids — the network edge ids in travel "
        "order, read by Network flows); POINTS, every input point with status 'matched' (its "
        "geometry moved to the matched position, edge_id, offset_m = GPS error) or the reason it "
        "was not: 'off network' (no edge within SEARCH_RADIUS), 'duplicate time', 'single-point "
        "track', 'no time', 'unparsable time', 'no track id', 'no geometry' (kept at the input "
        "position); QUALITY, one row per track (points, matched share, mean and max offset, "
        "routes, length). No point is dropped without a reason. A time field where no value can "
        "be read stops the run with the field name and an example value.\n\n"
        "EXECUTION (advanced): 'local' (this process), 'local cluster:N' (N worker processes on "
        "this computer) or 'cluster:tcp://host:port' (a Dask scheduler); empty = the QGIS setting "
        "joinedup/execution. Tracks are matched in chunks of whole track pieces wherever they run, "
        "so the outputs are the same (docs/scale.md). On a cluster, when INPUT is a GeoPackage or "
        "GeoParquet file used as it is (no filter, selection or CRS override) and POINTS is not "
        "asked for, the workers read the points from the file themselves (it must be on storage "
        "they see at the same path) and this process reads only the track ids: a GPS file larger "
        "than this computer's memory can be matched. Otherwise the points are read here (the log "
        "says why); POINTS, one row per input point, is written from this process."
    )
    SENT_TO_WORKERS = (
        "the network and the GPS points (coordinates, times, track ids, modes) are sent to them; "
        "for a GeoPackage or GeoParquet file used as it is (and no POINTS output) only its path "
        "and row ranges: the workers read the file themselves, so it must be on storage they see "
        "at the same path")

    def initAlgorithm(self, config=None):  # noqa: N802

        self.add_parameter(QgsProcessingParameterFeatureSource("INPUT", self.tr("GPS points"),
                                                [QgsProcessing.SourceType.TypeVectorPoint]),
            "GPS points of one or more tracks.")
        self.add_parameter(QgsProcessingParameterField("TRACK_FIELD", self.tr("Track id field"),
                                                       parentLayerParameterName="INPUT"),
            "Field whose value identifies the track (vehicle trip, device day ...).")
        self.add_parameter(QgsProcessingParameterField("TIME_FIELD", self.tr("Time field"),
                                                       parentLayerParameterName="INPUT"),
            "Date-time field, ISO 8601 text (offsets are converted to UTC) or seconds.")
        self.add_parameter(QgsProcessingParameterField("MODE_FIELD", self.tr("Mode or category field"),
                                        parentLayerParameterName="INPUT", optional=True),
            "Optional field with the mode or category (e.g. hgv, cycle), copied to the routes.")
        add_network_parameters(self, input_name="NETWORK", strategy=False, snapping=False,
                               input_description="Network lines")
        self.add_parameter(QgsProcessingParameterNumber("GPS_SIGMA", self.tr("GPS error sigma (m)"),
                                         QgsProcessingParameterNumber.Type.Double, 10.0, minValue=0.1),
            "Standard deviation of the GPS position error in metres (about 5-10 for a phone or "
            "vehicle tracker in the open, 20-30 between tall buildings).")
        self.add_parameter(QgsProcessingParameterNumber("SEARCH_RADIUS", self.tr("Search radius (m)"),
                                         QgsProcessingParameterNumber.Type.Double, 50.0, minValue=1.0),
            "Edges farther than this from a point are not candidates; a point with none is "
            "'off network'. Use at least 4 × GPS_SIGMA.")
        self.add_parameter(QgsProcessingParameterNumber("MAX_TIME_GAP", self.tr("Split tracks at time gaps over (s)"),
                                         QgsProcessingParameterNumber.Type.Double, 300.0, minValue=0.0),
            "A track is split where two consecutive points are more than this many seconds apart. "
            "0 = never split on time.")
        self.add_parameter(QgsProcessingParameterNumber("MAX_DETOUR", self.tr("Maximum detour between points (m)"),
                                         QgsProcessingParameterNumber.Type.Double, 500.0, minValue=1.0),
            "A move between two consecutive points may be at most this many metres longer on the "
            "network than in a straight line; where no move is, the track is split (routing gap).",
            advanced=True)
        self.add_parameter(QgsProcessingParameterNumber("CANDIDATES", self.tr("Candidate edges per point"),
                                         QgsProcessingParameterNumber.Type.Integer, 16, minValue=1, maxValue=64),
            "The nearest edges considered per point (one per place: edges meeting at a node count "
            "once). More is safer at complex junctions and slower.", advanced=True)
        self.add_parameter(QgsProcessingParameterNumber("BETA", self.tr("Transition scale beta (m)"),
                                         QgsProcessingParameterNumber.Type.Double, 5.0, minValue=0.1),
            "Scale of the exponential transition probability on |network distance - straight "
            "distance| (Newson & Krumm's beta).", advanced=True)
        add_execution_parameter(self, self.SENT_TO_WORKERS)
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Matched routes"), QgsProcessing.SourceType.TypeVectorLine))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "POINTS", self.tr("Matched points"), QgsProcessing.SourceType.TypeVectorPoint, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "QUALITY", self.tr("Match quality per track"), QgsProcessing.SourceType.TypeVector, optional=True))

    def execute(self, parameters, context, feedback):
        from ...engine.errors import InputError
        from ...engine.mapmatch import MatchGraph, MatchOptions, match_layer
        from ...engine.scale_tracks import match_file
        from ..bridge import read_source, write_output

        fb = engine_feedback(feedback, 0.0, 1.0)
        execution = execution_from_parameters(self, parameters, context, feedback)
        on_file = None if execution.is_local else self._file_for_workers(parameters, context, feedback)
        track = self.parameterAsStrings(parameters, "TRACK_FIELD", context)[0]
        time_field = self.parameterAsStrings(parameters, "TIME_FIELD", context)[0]
        mode = (self.parameterAsStrings(parameters, "MODE_FIELD", context) or [None])[0]
        net, _ = network_from_parameters(self, parameters, context, feedback, input_name="NETWORK",
                                         progress=(0.0, 0.1))
        sigma = self.parameterAsDouble(parameters, "GPS_SIGMA", context)
        gap = self.parameterAsDouble(parameters, "MAX_TIME_GAP", context)
        options = MatchOptions(
            sigma_m=sigma, radius_m=self.parameterAsDouble(parameters, "SEARCH_RADIUS", context),
            k=self.parameterAsInt(parameters, "CANDIDATES", context),
            beta_m=self.parameterAsDouble(parameters, "BETA", context),
            max_detour_m=self.parameterAsDouble(parameters, "MAX_DETOUR", context))
        graph = MatchGraph.from_network(net)
        common = dict(track_field=track, time_field=time_field, mode_field=mode,
                      max_gap_s=gap if gap > 0 else None, options=options, execution=execution,
                      feedback=fb.sub(0.1, 0.95))
        matched = None
        if on_file is not None:  # the workers read the points; this process holds the track ids only
            path, layer_name, name = on_file
            routes, quality, notes = match_file(path, graph, layer=layer_name, name=name, **common)
        else:
            points, report = read_source(self, parameters, "INPUT", context, feedback)
            feedback.pushInfo(report.describe())
            if len(points) == 0:
                raise InputError(f"{points.attrs.get('source_name', 'The GPS layer')} is empty: no points to match.")
            if points.crs is None:
                raise crs_required(report.name, self.CRS_NEEDED_BY)
            routes, matched, quality, notes = match_layer(points, graph, **common)
        for note in notes:
            feedback.pushInfo(note)
        results = {"OUTPUT": write_output(self, parameters, "OUTPUT", context, routes)}
        if parameters.get("POINTS") is not None:
            results["POINTS"] = write_output(self, parameters, "POINTS", context, matched)
        if parameters.get("QUALITY") is not None:
            results["QUALITY"] = write_output(self, parameters, "QUALITY", context, quality)
        feedback.setProgress(100)
        return results

    CRS_NEEDED_BY = "the GPS accuracy and search radius (GPS_SIGMA, SEARCH_RADIUS, metres)"

    def _file_for_workers(self, parameters, context, feedback):
        """``(path, layer name, display name)`` when a cluster's workers can read INPUT's file
        themselves (docs/scale.md), else None with a log line saying why the points are read here."""
        from ...engine.errors import InputError
        from ...engine.scale_tracks import file_refusal
        from ..bridge import crs_to_engine, layer_display_name, worker_readable_file

        found = worker_readable_file(self, parameters, "INPUT", context)
        source = self.parameterAsSource(parameters, "INPUT", context)
        why = None
        if found is None:
            why = ("the GPS layer is not a GeoPackage or GeoParquet file used as it is (it is a memory or "
                   "database layer, another format, or has a filter, a selection or a feature limit)")
        elif parameters.get("POINTS") is not None:
            why = ("the Matched points output (POINTS) holds every input point and is written from this "
                   "process; leave it unset to keep the points out of this process")
        elif source is not None and not source.sourceCrs().isValid():
            name = layer_display_name(self.parameterAsVectorLayer(parameters, "INPUT", context))
            raise crs_required(name, self.CRS_NEEDED_BY)
        else:
            why = file_refusal(found[0], layer=found[1], declared_crs=crs_to_engine(source.sourceCrs()))
        if why:
            feedback.pushInfo(f"Execution: the GPS points are read in this process and sent to the workers, "
                              f"because {why}.")
            return None
        name = layer_display_name(self.parameterAsVectorLayer(parameters, "INPUT", context))
        if source.featureCount() == 0:
            raise InputError(f"{name} is empty: no points to match.")
        return found[0], found[1], name
