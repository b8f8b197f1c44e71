"""What every JoinedUp algorithm shares: identity, icon, help, dependency check, and the one
place where engine errors become ``QgsProcessingException``.

Algorithm modules import the engine and the bridge lazily, inside :meth:`execute`, so that the
provider lists every algorithm even when geopandas or scipy is missing; running one then
fails with the dependency message instead of a traceback.
"""
from __future__ import annotations

import os

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException, QgsProcessingParameterDefinition
from qgis.PyQt.QtGui import QIcon

from ..dependencies import missing_message
from .lineage import record_lineage

ICON_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "resources", "icons")

# Group ids and their display names: one place, so groups stay consistent across algorithms.
GROUPS = {
    "joins": "Join agency data",
    "network": "Transport networks",
    "access": "Service demand",
    "movement": "Movement traces",
    "risk": "Where risk concentrates",
    "linkage": "Addresses and properties",
    "evidence": "Evidence for the mayor",
    "workbench": "Bring in and publish data",
    "setup": "Set-up and checks",
}


# The one message for a cancelled run. Code that notices Cancel raises the engine's
# EngineCancelled (or lets Feedback.check() raise it); processAlgorithm turns it into this.
CANCELLED_MESSAGE = "Cancelled: no output was written."

# What every algorithm does with awkward input (one reading path for all; docs/inputs.md).
INPUT_HELP = (
    "<b>Awkward input</b> (the same in every JoinedUp algorithm): curved geometries are made "
    "straight as QGIS does (at most 1° of arc per segment); polygon rings of fewer than 4 points "
    "are removed (a polygon made only of them counts as no geometry); features with no geometry "
    "are counted in the log and kept in per-feature outputs; numbers stored as text are read "
    "where unambiguous (' 7 ', '1e3', '−5') and refused with a count where not ('1,5', 'n/a'); "
    "a layer without a CRS is refused only where a parameter needs map units. Outputs never "
    "replace an input and are written atomically.")


def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg``, or the plugin icon when there is none."""
    path = os.path.join(ICON_DIR, f"{name}.svg")
    if not os.path.exists(path):
        path = os.path.join(ICON_DIR, "joinedup.svg")
    return QIcon(path)


class JoinedUpAlgorithm(QgsProcessingAlgorithm):
    """Base class: subclasses set ``ALG_ID``, ``DISPLAY_NAME``, ``GROUP`` (a key of GROUPS),
    ``HELP`` (the help text) and ``ICON``, declare parameters in ``initAlgorithm`` and do the
    work in ``execute(parameters, context, feedback)`` which returns the results dict.
    (Not ``run``: that is QgsProcessingAlgorithm's own public method, which QGIS calls.)"""

    ALG_ID = ""
    DISPLAY_NAME = ""
    GROUP = "joins"
    HELP = ""
    ICON = ""
    TAGS = ""

    def tr(self, text):
        """The text unchanged: JoinedUp is English only (no translator is installed, no .ts
        files exist, and its help lives in class constants Qt's tools cannot extract). Kept so
        that QGIS-style ``self.tr("...")`` calls read as they do in QGIS's own algorithms;
        new code need not call it."""
        return text

    def name(self):
        return self.ALG_ID

    def displayName(self):  # noqa: N802
        return self.tr(self.DISPLAY_NAME)

    def group(self):
        return self.tr(GROUPS[self.GROUP])

    def groupId(self):  # noqa: N802
        return self.GROUP

    def tags(self):
        return [t.strip() for t in self.tr(self.TAGS).split(",") if t.strip()]

    def shortHelpString(self):  # noqa: N802
        return self.tr(self.HELP) + "\n\n" + self.tr(INPUT_HELP)

    def icon(self):
        return icon(self.ICON or self.ALG_ID)

    def add_parameter(self, parameter, help_text: str, advanced: bool = False):
        """Add ``parameter`` with its help text (every parameter has one: a test checks);
        ``advanced`` puts it under the dialog's Advanced parameters."""
        parameter.setHelp(self.tr(help_text))
        if advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(parameter)

    def createInstance(self):  # noqa: N802
        return type(self)()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        problem = missing_message()
        if problem:
            raise QgsProcessingException(problem)
        from ..engine.errors import EngineCancelled, EngineError
        from .bridge import check_destinations

        check_destinations(self, parameters, context)  # before any work: outputs never replace inputs
        try:
            results = self.execute(parameters, context, feedback)
        except EngineCancelled as exc:
            raise QgsProcessingException(CANCELLED_MESSAGE) from exc
        except EngineError as exc:
            raise QgsProcessingException(str(exc)) from exc
        except MemoryError as exc:
            raise QgsProcessingException(
                "Not enough memory for this input. Try a smaller extent, fewer features, "
                "or a coarser setting.") from exc
        record_lineage(self, parameters, context, feedback, results)  # the catalogue; only ever warns
        return results

    def execute(self, parameters, context, feedback):
        raise NotImplementedError


def crs_required(layer_name: str, needed_by: str):
    """The error for a layer without a CRS where units matter: names the layer and the
    parameter that needs them (``needed_by``, e.g. 'the distance band (DISTANCE, metres)')."""
    from ..engine.errors import InputError

    return InputError(f"{layer_name} has no coordinate reference system, and {needed_by} needs map "
                      "units. Set the layer's CRS (Layer Properties > Source), then run again.")


def engine_feedback(feedback, start: float = 0.0, end: float = 1.0):
    """An engine ``Feedback`` that reports to a ``QgsProcessingFeedback`` between start and end
    (fractions of the whole run), honours its Cancel button and logs to it."""
    from ..engine.errors import Feedback

    return Feedback(
        progress=lambda f: feedback.setProgress(100.0 * (start + (end - start) * f)),
        is_cancelled=feedback.isCanceled,
        info=feedback.pushInfo,
    )


def profile_cache_folder(kind: str) -> str:
    """Where a cache of ``kind`` (prepared gazetteers, indexed postcode directories) is kept when
    the user names no CACHE_FOLDER: ``joinedup/<kind>`` inside the QGIS profile."""
    import os

    from qgis.core import QgsApplication

    return os.path.join(QgsApplication.qgisSettingsDirPath(), "joinedup", kind)
