"""joinedup:evidencepack — one multi-page PDF: cover, findings, map, charts, method and
sources, provenance."""
from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)

from ..base import JoinedUpAlgorithm


class EvidencePack(JoinedUpAlgorithm):
    DPI = "DPI"
    FIELD = "FIELD"
    FINDINGS = "FINDINGS"
    FINDINGS_FILE = "FINDINGS_FILE"
    INPUT = "INPUT"
    LOWEST_FIRST = "LOWEST_FIRST"
    NAME_FIELD = "NAME_FIELD"
    OUTPUT = "OUTPUT"
    OUTPUT_HTML = "OUTPUT_HTML"
    OUTPUT_PROJECT = "OUTPUT_PROJECT"
    PAGES = "PAGES"
    PROVENANCE = "PROVENANCE"
    STEPS = "STEPS"
    TITLE = "TITLE"
    TOP_N = "TOP_N"

    ALG_ID = "evidencepack"
    DISPLAY_NAME = "Evidence pack (multi-page PDF)"
    GROUP = "evidence"
    ICON = "evidencepack"
    TAGS = "report,pdf,pack,evidence,provenance,summary,chart,table,mayor,decision"
    HELP = (
        "Makes one multi-page A4 PDF for a decision-maker from a layer of areas (INPUT) and the "
        "numeric FIELD that ranks them (e.g. a priority index):\n"
        "1. cover: title, subtitle, organisation, date, a short plain-language summary and the "
        "disclosure-control statement;\n"
        "2. summary of findings: statistics and a table of the TOP_N areas (highest first, or "
        "lowest with LOWEST_FIRST) named by NAME_FIELD, with their map class;\n"
        "3. the map: the same print layout as joinedup:evidencemap (legend, scale bar, north "
        "arrow, sources, method notes);\n"
        "4. charts: the distribution of FIELD with the class breaks, and the top areas as "
        "ranked bars (needs matplotlib; without it the page says so);\n"
        "5. method, sources and licences, disclosure control;\n"
        "6. provenance: every step in the PROVENANCE file (written by joinedup:evidencemap, "
        "scripts/provenance.py after a qgis_process step, or any algorithm) and this pack's own "
        "inputs, each with feature counts, CRS, file hash and date. The pack appends its own step "
        "to that file. The provenance table continues on extra pages as needed.\n\n"
        "Nulls: areas whose FIELD is null or not a number are left out of the ranking, the "
        "charts and the classification, and counted in the text. A layer with no features or no "
        "values stops with a message. OUTPUT_PROJECT saves the pack's layout in a new QGIS "
        "project; the open project is never changed.\n\n"
        "FINDINGS_FILE (JSON, docs/evidence.md) adds one section per finding after the charts: a map "
        "page and a page with a plain-language paragraph whose numbers are computed from the data, "
        "the analyst's note and a table. Kinds: ranking (with rank ranges), before_after, options "
        "(what each extra site buys), hotspots, network_segments, rounds (vehicle rounds against today's: "
        "visits a day, km and hours saved), counts_table (counts per area, "
        "never addresses). Every count of people or events is printed through disclosure control "
        "(threshold 10, secondary suppression) and the pack says what was hidden. Fields are named "
        "by their labels (the file's table or field aliases), never by raw names.\n"
        "OUTPUT_HTML (default: beside the PDF, .html): the same pack as one self-contained, offline, "
        "accessible web page (headings in order, alt text, real tables).")

    def flags(self):
        return super().flags() | Qgis.ProcessingAlgorithmFlag.NoThreading

    def initAlgorithm(self, config=None):  # noqa: N802
        from ..evidence_layout import add_map_parameters


        self.add_parameter(QgsProcessingParameterVectorLayer(self.INPUT, self.tr("Areas (or features) to report on"),
                                              [QgsProcessing.SourceType.TypeVectorAnyGeometry]),
            "The layer whose FIELD the pack reports: mapped, ranked and charted.")
        self.add_parameter(QgsProcessingParameterField(self.FIELD, self.tr("Field to report"),
                    parentLayerParameterName=self.INPUT,
                                        type=QgsProcessingParameterField.DataType.Numeric),
            "A numeric field of INPUT, e.g. a priority index or a rate.")
        self.add_parameter(QgsProcessingParameterField(self.NAME_FIELD, self.tr("Name field"),
                    parentLayerParameterName=self.INPUT,
                                        optional=True),
            "Optional: the field naming each area in the table and the chart; default 'Feature N' "
            "(its position in the layer).")
        self.add_parameter(QgsProcessingParameterNumber(self.TOP_N, self.tr("Number of areas in the summary"),
                                         QgsProcessingParameterNumber.Type.Integer, 10, False, 1, 50),
            "How many of the highest (or lowest) areas the summary table and the bar chart show.")
        self.add_parameter(QgsProcessingParameterBoolean(self.LOWEST_FIRST, self.tr("Rank lowest values first"), False),
            "Rank the areas from the lowest value (e.g. when FIELD is an access score, low = need).")
        self.add_parameter(QgsProcessingParameterString(self.FINDINGS, self.tr("Findings (your words)"), "",
                    optional=True,
                                         multiLine=True),
            "Optional: your own summary of findings, printed on the cover after the automatic one.")
        self.add_parameter(QgsProcessingParameterFile(self.FINDINGS_FILE, self.tr("Findings file (JSON)"),
                                       QgsProcessingParameterFile.Behavior.File, "json", optional=True),
            "Optional: a JoinedUp findings file (docs/evidence.md) listing findings, each a layer, "
            "a field or measure, a kind (ranking, before_after, hotspots, network_segments, rounds, "
            "counts_table), a plain title and an optional sentence of your own, plus a table of "
            "human labels and units for fields. Each finding gets a map page and a page with a "
            "paragraph of numbers computed from the data and a table. Counts are printed only "
            "through disclosure control (threshold 10, secondary suppression). Layer paths are "
            "relative to the file. A field with no label (in the file or as a field alias) stops "
            "the pack: raw field names are never printed.")
        add_map_parameters(self)
        self.add_parameter(QgsProcessingParameterFile(self.PROVENANCE, self.tr("Provenance file (JSON)"),
                                       QgsProcessingParameterFile.Behavior.File, "json", optional=True),
            "Optional: a JoinedUp provenance file (out/provenance.json) whose steps are printed; "
            "this pack's step is appended to it.")
        self.add_parameter(QgsProcessingParameterNumber(self.DPI, self.tr("Resolution (DPI)"),
                                         QgsProcessingParameterNumber.Type.Integer, 200, False, 50, 600),
            "Dots per inch for charts and rasterised parts of the PDF.", True)
        self.add_parameter(QgsProcessingParameterFileDestination(self.OUTPUT, self.tr("Evidence pack (PDF)"),
                    "PDF files (*.pdf)"),
            "The multi-page PDF.")
        page = QgsProcessingParameterFileDestination(self.OUTPUT_HTML, self.tr("Accessible web page (HTML)"),
                                                     "HTML files (*.html)", optional=True)
        page.setCreateByDefault(False)
        self.add_parameter(page,
            "Optional: the same pack as one self-contained HTML page for screen readers and "
            "zoom (WCAG 2.2 AA): headings in order, alt text for every map and chart, real "
            "tables, no script and nothing fetched (pictures are inline). Default: beside the "
            "PDF, with the same name and .html.")
        qgz = QgsProcessingParameterFileDestination(self.OUTPUT_PROJECT, self.tr("QGIS project with the pack's layout"),
                                                    "QGIS projects (*.qgz)", optional=True)
        qgz.setCreateByDefault(False)
        self.add_parameter(qgz, "Optional: a new QGIS project holding the pack's layout and styled layers.")
        self.addOutput(QgsProcessingOutputNumber(self.PAGES, self.tr("Pages in the PDF")))
        self.addOutput(QgsProcessingOutputNumber(self.STEPS, self.tr("Provenance steps printed")))
        self.addOutput(QgsProcessingOutputNumber(self.FINDINGS, self.tr("Findings printed")))

    def execute(self, parameters, context, feedback):
        import os

        from qgis.core import QgsProject

        from ...engine.provenance import now_utc
        from .. import evidence_layout as el
        from ..evidence.pack import make_pack

        started = now_utc()
        pdf = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        qgz = self.parameterAsFileOutput(parameters, self.OUTPUT_PROJECT, context) \
            if parameters.get(self.OUTPUT_PROJECT) else ""
        page = self.parameterAsFileOutput(parameters, self.OUTPUT_HTML, context) \
            if parameters.get(self.OUTPUT_HTML) else os.path.splitext(pdf)[0] + ".html"
        for path, what in ((pdf, "evidence pack PDF"), (qgz, "project"), (page, "web page")):
            el.check_writable(path, what)
        req = el.MapRequest(self, parameters, context)
        project = QgsProject()
        try:
            return make_pack(self, parameters, context, feedback, req, project, pdf=pdf, qgz=qgz, page=page,
                             started=started)
        finally:
            project.clear()  # on the main thread, in QGIS's order
