"""Run inside QGIS's desktop application (``qgis --code tests/workbench_gui_probe.py``) by
tests/test_workbench_gui.py: an extract imported (its terms: personal data, retention passed)
and published through processing.run in the running desktop, then the catalogue dock shown from
JoinedUp's menu: what it lists, the package's lineage, its warning; a screenshot of the window.
Writes what it saw as JSON to $JOINEDUP_PROBE_OUT and quits QGIS. Not a pytest file."""
import json
import os
import traceback

from qgis import processing
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QAction, QDockWidget
from qgis.utils import iface

OUT = os.environ["JOINEDUP_PROBE_OUT"]
SHOTS = os.environ["JOINEDUP_PROBE_SHOTS"]
WORK = os.environ["JOINEDUP_PROBE_WORK"]
result = {"errors": []}


def guarded(fn):
    def wrapped():
        try:
            fn()
        except Exception:  # noqa: BLE001 - reported to the test, then QGIS quits
            result["errors"].append(traceback.format_exc())
            finish()
    return wrapped


def run_and_show():
    extract = os.path.join(WORK, "fire_incidents.csv")
    placed = os.path.join(WORK, "incidents.gpkg")
    processing.run("joinedup:importrecords", {"INPUT": extract, "OWNER_AGENCY": "Fire and Rescue",
                                              "RETENTION_DATE": "2020-01-01", "OUTPUT": placed})
    processing.run("joinedup:publishopendata", {"INPUT": placed, "TITLE": "Incidents", "METHOD": 2,
                                                "OUTPUT": os.path.join(WORK, "package")})
    window = iface.mainWindow()
    action = window.findChild(QAction, "joinedup_action_catalogue")
    result["menu_action"] = action is not None
    action.trigger()  # as the user does: JoinedUp menu > JoinedUp catalogue
    QTimer.singleShot(800, guarded(inspect))


def inspect():
    dock = iface.mainWindow().findChild(QDockWidget, "JoinedUpCatalogueDock")
    result["dock_visible"] = dock.isVisible()
    result["datasets"] = sorted(dock.table.item(r, 0).text() for r in range(dock.table.rowCount()))
    result["warning"] = dock.warning.text() if dock.warning.isVisible() else ""
    for row in range(dock.table.rowCount()):
        if dock.table.item(row, 0).text() == "package":
            dock.table.selectRow(row)
    result["lineage"] = [dock.lineage.item(i).text() for i in range(dock.lineage.count())]
    QTimer.singleShot(500, guarded(shoot))


def shoot():
    iface.mainWindow().grab().save(os.path.join(SHOTS, "workbench_catalogue_dock_desktop.png"))
    finish()


def finish():
    with open(OUT, "w") as handle:
        json.dump(result, handle)
    QgsApplication.exit(0)


QTimer.singleShot(1500, guarded(run_and_show))
