"""joinedup:evidencemap — a print-ready graduated map from a layer and a numeric field."""
from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterVectorLayer,
)

from ..base import JoinedUpAlgorithm


class EvidenceMap(JoinedUpAlgorithm):
    BREAKS = "BREAKS"
    CLASSES_MADE = "CLASSES_MADE"
    COVERAGE = "COVERAGE"
    COVERAGE_NAME_FIELD = "COVERAGE_NAME_FIELD"
    DPI = "DPI"
    FIELD = "FIELD"
    INPUT = "INPUT"
    OUTPUT_PDF = "OUTPUT_PDF"
    OUTPUT_PNG = "OUTPUT_PNG"
    OUTPUT_PROJECT = "OUTPUT_PROJECT"
    PAGES = "PAGES"
    PAPER = "PAPER"
    PROVENANCE = "PROVENANCE"

    ALG_ID = "evidencemap"
    DISPLAY_NAME = "Evidence map (print layout, PDF, PNG, project)"
    GROUP = "evidence"
    ICON = "evidencemap"
    TAGS = "map,layout,print,pdf,png,choropleth,graduated,jenks,natural breaks,quantile,legend,atlas"
    HELP = (
        "Makes a print-ready map of one numeric FIELD of a layer (INPUT): the values are split "
        "into classes (natural breaks by default — the exact Fisher–Jenks optimum), coloured with "
        "a colour-blind-safe ramp and printed on an A4 or A3 layout with title, subtitle, legend "
        "(one entry per class, labels with UNITS), scale bar, north arrow, sources and licences, "
        "method and disclosure-control notes, organisation and date.\n\n"
        "Outputs: a PDF and a PNG at the chosen DPI, and a QGIS project (.qgz) holding the styled "
        "layers and the layout, which a planner can open and edit (Project > Layouts). The "
        "project is new: the open project is never changed. Layers that are not files (memory "
        "layers, databases) are copied into '<project>_data/layers.gpkg' beside it.\n\n"
        "Atlas: give a COVERAGE layer (e.g. districts) to get one page per coverage feature in "
        "the PDF, the map zoomed to each; COVERAGE_NAME_FIELD names the pages.\n\n"
        "Nulls: features whose FIELD is null, not a number or infinite are left out of the "
        "classification, not drawn, and counted in the log and the method note. A field with "
        "fewer distinct values than CLASSES gives fewer classes (the log says so); a field with "
        "no values, or one value only, and a layer with no features stop with a message.\n\n"
        "PROVENANCE: a JSON file to which this run's record (inputs with feature counts, CRS, "
        "file hashes, parameters, outputs) is appended, for joinedup:evidencepack.")

    def flags(self):
        # Layout rendering must happen on the main thread (as QGIS's own layout algorithms).
        return super().flags() | Qgis.ProcessingAlgorithmFlag.NoThreading

    def initAlgorithm(self, config=None):  # noqa: N802
        from ..evidence_layout import PAPER_LABELS, add_map_parameters


        self.add_parameter(QgsProcessingParameterVectorLayer(self.INPUT, self.tr("Layer to map"),
                                              [QgsProcessing.SourceType.TypeVectorAnyGeometry]),
            "The layer whose FIELD is mapped (areas, points or lines).")
        self.add_parameter(QgsProcessingParameterField(self.FIELD, self.tr("Field to map"),
                    parentLayerParameterName=self.INPUT,
                                        type=QgsProcessingParameterField.DataType.Numeric),
            "A numeric field of INPUT: the value each feature is coloured by.")
        add_map_parameters(self)
        self.add_parameter(QgsProcessingParameterEnum(self.PAPER, self.tr("Paper"), PAPER_LABELS, defaultValue=0),
            "Paper size and orientation of the layout (templates in resources/layouts/).")
        self.add_parameter(QgsProcessingParameterNumber(self.DPI, self.tr("Resolution (DPI)"),
                                         QgsProcessingParameterNumber.Type.Integer, 200, False, 50, 1200),
            "Dots per inch for the PNG and for rasterised parts of the PDF.")
        self.add_parameter(QgsProcessingParameterVectorLayer(self.COVERAGE,
                    self.tr("Atlas coverage layer (one page each)"),
                                              [QgsProcessing.SourceType.TypeVectorPolygon], optional=True),
            "Optional: one PDF page per feature of this layer (e.g. districts), the map zoomed to "
            "each. Its outlines are drawn on the map.")
        self.add_parameter(QgsProcessingParameterField(self.COVERAGE_NAME_FIELD, self.tr("Atlas page name field"),
                                        parentLayerParameterName=self.COVERAGE, optional=True),
            "Optional: field of COVERAGE naming each page (printed after the subtitle).")
        self.add_parameter(QgsProcessingParameterFileDestination(self.OUTPUT_PDF, self.tr("Map PDF"),
                    "PDF files (*.pdf)"),
            "The map (or the atlas, one page per coverage feature) as PDF.")
        png = QgsProcessingParameterFileDestination(self.OUTPUT_PNG, self.tr("Map image (PNG)"),
                                                    "PNG files (*.png)", optional=True)
        png.setCreateByDefault(False)
        self.add_parameter(png, "Optional: the map page as a PNG image at DPI.")
        qgz = QgsProcessingParameterFileDestination(self.OUTPUT_PROJECT, self.tr("QGIS project with the layout"),
                                                    "QGIS projects (*.qgz)", optional=True)
        qgz.setCreateByDefault(False)
        self.add_parameter(qgz, "Optional: a new QGIS project (.qgz) with the styled layers and the layout, to "
                 "open and edit in QGIS.")
        prov = QgsProcessingParameterFileDestination(self.PROVENANCE, self.tr("Append provenance to"),
                                                     "JSON files (*.json)", optional=True)
        prov.setCreateByDefault(False)
        self.add_parameter(prov, "Optional: a provenance JSON file (created if missing) to which this run's "
                  "record is APPENDED (never overwritten); joinedup:evidencepack prints it.")
        self.addOutput(QgsProcessingOutputNumber(self.CLASSES_MADE, self.tr("Number of classes made")))
        self.addOutput(QgsProcessingOutputString(self.BREAKS, self.tr("Class upper bounds (JSON)")))
        self.addOutput(QgsProcessingOutputNumber(self.PAGES, self.tr("Pages in the PDF")))

    def execute(self, parameters, context, feedback):
        from qgis.core import QgsProject

        from ...engine.errors import EngineCancelled
        from ...engine.provenance import now_utc
        from .. import evidence_layout as el
        from ..evidence.evidence_map import make_map

        started = now_utc()
        pdf = self.parameterAsFileOutput(parameters, self.OUTPUT_PDF, context)
        png = self.parameterAsFileOutput(parameters, self.OUTPUT_PNG,
                    context) if parameters.get(self.OUTPUT_PNG) else ""
        qgz = self.parameterAsFileOutput(parameters, self.OUTPUT_PROJECT, context) \
            if parameters.get(self.OUTPUT_PROJECT) else ""
        prov = self.parameterAsFileOutput(parameters, self.PROVENANCE,
                    context) if parameters.get(self.PROVENANCE) else ""
        for path, what in ((pdf, "PDF"), (png, "PNG"), (qgz, "project"), (prov, "provenance file")):
            el.check_writable(path, what)
        req = el.MapRequest(self, parameters, context)
        req.paper, req.orientation = el.PAPERS[self.parameterAsEnum(parameters, self.PAPER, context)]
        dpi = self.parameterAsInt(parameters, self.DPI, context)
        cls, labels, _ = el.classify_request(self, parameters, context, feedback, req, start=0.0, end=0.3)
        feedback.pushInfo(cls.describe(field_name=req.field, units=req.units))
        if feedback.isCanceled():
            raise EngineCancelled("Cancelled by the user.")

        project = QgsProject()
        try:
            return make_map(self, parameters, context, feedback, req, cls, labels, project,
                            pdf=pdf, png=png, qgz=qgz, prov=prov, dpi=dpi, started=started)
        finally:
            # Free the run's project (layers, layout) here, on the main thread, in QGIS's
            # own order, not whenever Python's garbage collector gets to it.
            project.clear()
