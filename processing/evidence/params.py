"""The parameters both evidence algorithms share and the map request read from them once;
classification through the engine; the method text.
"""
from __future__ import annotations

from qgis.core import (
    QgsProcessingException,
    QgsVectorLayer,
)

from .export import today
from .layers import display_name
from .style import RAMP_NAMES

METHOD_KEYS = ["jenks", "quantile", "equal", "pretty", "stddev", "manual"]


METHOD_LABELS = ["Natural breaks (Jenks, exact)", "Quantile (equal counts)", "Equal interval",
                 "Pretty breaks (rounded)", "Standard deviation", "Manual breaks"]


DEFAULT_DISCLOSURE = ("Disclosure control: none applied by JoinedUp. Check that small counts "
                      "cannot identify people before publishing.")


def add_map_parameters(alg, *, prefix_help: str = "") -> None:
    """The classification, style and text parameters both evidence algorithms share."""
    from qgis.core import (
        QgsProcessing,
        QgsProcessingParameterBoolean,
        QgsProcessingParameterEnum,
        QgsProcessingParameterMultipleLayers,
        QgsProcessingParameterNumber,
        QgsProcessingParameterString,
    )


    alg.add_parameter(QgsProcessingParameterEnum("METHOD", alg.tr("Classification method"), METHOD_LABELS,
                                   defaultValue=0),
        "How values are split into classes. Natural breaks is the exact Fisher–Jenks optimum "
        "(sampled above 1,000,000 distinct values); quantile puts equal numbers of features in "
        "each class; equal interval splits the range evenly; pretty uses round numbers; "
        "standard deviation uses classes one standard deviation wide around the mean; manual "
        "uses MANUAL_BREAKS.")
    alg.add_parameter(QgsProcessingParameterNumber("CLASSES", alg.tr("Number of classes"),
                                     QgsProcessingParameterNumber.Type.Integer, 5, False, 2, 12),
        "How many classes (2–12). Fewer are made, with a warning in the log, when the field has "
        "fewer distinct values.")
    alg.add_parameter(QgsProcessingParameterString("MANUAL_BREAKS", alg.tr("Manual breaks (upper bounds)"),
                                     optional=True),
        "For the manual method: the upper bounds of the classes separated by commas, e.g. "
        "'10, 20, 50'; the last class runs to the largest value.", True)
    alg.add_parameter(QgsProcessingParameterEnum("RAMP", alg.tr("Colour ramp"), RAMP_NAMES, defaultValue=0),
        "Colour ramp for the classes; all are readable with common colour-vision deficiencies "
        "(viridis, cividis) or are ColorBrewer sequential ramps. Darker means more.")
    alg.add_parameter(QgsProcessingParameterBoolean("INVERT_RAMP", alg.tr("Invert colour ramp"), False),
        "Reverse the ramp (darker means less).", True)
    alg.add_parameter(QgsProcessingParameterString("UNITS", alg.tr("Units for class labels"), "", optional=True),
        "Units written after each class label, e.g. 'm²', 'per 1,000 people', 'min'.")
    alg.add_parameter(QgsProcessingParameterNumber("DECIMALS", alg.tr("Decimals in class labels (-1 = automatic)"),
                                     QgsProcessingParameterNumber.Type.Integer, -1, False, -1, 8),
        "Decimal places in the class labels; -1 chooses enough to tell the bounds apart.", True)
    alg.add_parameter(QgsProcessingParameterMultipleLayers("CONTEXT", alg.tr("Context layers (roads, boundaries)"),
                                             QgsProcessing.SourceType.TypeVectorAnyGeometry,
                                             optional=True),
        "Layers drawn in quiet grey for orientation (roads, district boundaries). They are not "
        "in the legend.")
    alg.add_parameter(QgsProcessingParameterString("TITLE", alg.tr("Title"), "", optional=True),
        "Title printed at the top; default '<field> by <layer>'.")
    alg.add_parameter(QgsProcessingParameterString("SUBTITLE", alg.tr("Subtitle"), "", optional=True),
        "A line under the title, e.g. the question the map answers.")
    alg.add_parameter(QgsProcessingParameterString("ORGANISATION", alg.tr("Organisation"), "", optional=True),
        "Who made the map, printed in the footer with the date.")
    alg.add_parameter(QgsProcessingParameterString("SOURCES", alg.tr("Sources and licences"), "", optional=True),
        "Data sources and their licences, e.g. '© OpenStreetMap contributors, ODbL 1.0'. Default: "
        "the names of the layers used.")
    alg.add_parameter(QgsProcessingParameterString("NOTES", alg.tr("Method notes"), "", optional=True,
                                     multiLine=True),
        "Extra notes on the method, printed after the automatic description of the "
        "classification.")
    alg.add_parameter(QgsProcessingParameterString("DISCLOSURE", alg.tr("Disclosure control statement"),
                                     DEFAULT_DISCLOSURE, optional=True, multiLine=True),
        "What was done so that no person can be identified (suppression, rounding, "
        "aggregation). Printed on the map.")
    alg.add_parameter(QgsProcessingParameterString("DATE", alg.tr("Date"), "", optional=True),
        "Date printed in the footer; default today (YYYY-MM-DD).", True)


class MapRequest:
    """The evidence-map parameters of one run, read once."""

    def __init__(self, alg, parameters, context, layer_param="INPUT", field_param="FIELD"):
        self.layer = alg.parameterAsVectorLayer(parameters, layer_param, context)
        if self.layer is None:
            raise QgsProcessingException(alg.invalidSourceError(parameters, layer_param))
        self.layer_param = layer_param
        self.field = alg.parameterAsString(parameters, field_param, context)
        if self.layer.fields().indexOf(self.field) < 0:
            raise QgsProcessingException(
                f"The field '{self.field}' is not in {display_name(self.layer)}; its fields are: "
                f"{', '.join(self.layer.fields().names()) or 'none'}.")
        self.method = METHOD_KEYS[alg.parameterAsEnum(parameters, "METHOD", context)]
        self.classes = alg.parameterAsInt(parameters, "CLASSES", context)
        self.manual = alg.parameterAsString(parameters, "MANUAL_BREAKS", context)
        self.ramp = RAMP_NAMES[alg.parameterAsEnum(parameters, "RAMP", context)]
        self.invert = alg.parameterAsBool(parameters, "INVERT_RAMP", context)
        self.units = alg.parameterAsString(parameters, "UNITS", context).strip()
        self.decimals = alg.parameterAsInt(parameters, "DECIMALS", context)
        self.context_layers = [lyr for lyr in (alg.parameterAsLayerList(parameters, "CONTEXT", context) or [])
                               if isinstance(lyr, QgsVectorLayer)]
        self.name = display_name(self.layer)
        self.title = alg.parameterAsString(parameters, "TITLE", context).strip() or \
            f"{self.field} by {self.name}"
        self.subtitle = alg.parameterAsString(parameters, "SUBTITLE", context).strip()
        self.organisation = alg.parameterAsString(parameters, "ORGANISATION", context).strip()
        self.sources = alg.parameterAsString(parameters, "SOURCES", context).strip()
        self.notes = alg.parameterAsString(parameters, "NOTES", context).strip()
        disclosure = parameters.get("DISCLOSURE")
        self.disclosure = (DEFAULT_DISCLOSURE if disclosure is None
                           else alg.parameterAsString(parameters, "DISCLOSURE", context).strip())
        self.date = alg.parameterAsString(parameters, "DATE", context).strip() or today()
        self.paper, self.orientation = "A4", "portrait"

    def source_text(self) -> str:
        names = [self.name] + [display_name(lyr) for lyr in self.context_layers]
        return "Sources: " + (self.sources or ", ".join(names))

    def footer_text(self) -> str:
        crs = self.layer.crs().authid() or self.layer.crs().description()
        parts = [p for p in (self.organisation, self.date, f"Projection {crs}" if crs else "",
                             "Made with QGIS and JoinedUp") if p]
        return " · ".join(parts)


def classify_request(alg, parameters, context, feedback, req: MapRequest, *, start=0.0, end=0.3):
    """Read the field through the bridge and classify it with the engine.
    Returns ``(classification, labels, gdf)``."""
    from ...engine.classify import class_breaks
    from ..base import engine_feedback
    from ..bridge import read_source

    gdf, report = read_source(alg, parameters, req.layer_param, context, feedback)
    feedback.pushInfo(report.describe())
    what = f"The field '{req.field}' of {req.name}"
    if req.field not in gdf.columns:
        raise QgsProcessingException(f"{what} could not be read.")
    cls = class_breaks(gdf[req.field], method=req.method, n_classes=req.classes,
                       manual_breaks=req.manual, what=what,
                       feedback=engine_feedback(feedback, start, end))
    for note in cls.notes:
        feedback.pushWarning(note)
    labels = cls.labels(units=req.units, decimals=req.decimals)
    return cls, labels, gdf


def field_label(req) -> str:
    """The human label of the mapped field (the findings file's label table or the field's
    alias), else its name (evidencemap, where the user chose the field)."""
    return getattr(req, "label", "") or req.field


def method_text(req: MapRequest, cls) -> str:
    text = "Method: " + (getattr(req, "method_note", "") or
                         cls.describe(field_name=field_label(req).lower(), units=req.units))
    if req.notes:
        text += " " + req.notes
    if req.disclosure:
        text += "\n" + req.disclosure
    return text
