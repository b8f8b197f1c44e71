"""Run inside QGIS's desktop application (``qgis --code tests/recipes_gui_probe.py``) by
tests/test_workbench_gui.py: the Recipes dock opened from JoinedUp's menu, the shipped
area-profile recipe chosen and run in the background on two catalogue layers (clinics, roads),
its progress and the link to the outputs read off the dock, a screenshot of the window, then the
plugin unloaded and reloaded. Writes what it saw as JSON to $JOINEDUP_PROBE_OUT and quits QGIS.
Not a pytest file."""
import json
import os
import traceback

import qgis.utils
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtWidgets import QAction, QDockWidget
from qgis.utils import iface

OUT = os.environ["JOINEDUP_PROBE_OUT"]
SHOTS = os.environ["JOINEDUP_PROBE_SHOTS"]
WORK = os.environ["JOINEDUP_PROBE_WORK"]
result = {"errors": [], "messages": [], "progress_seen": []}


def on_message(message, tag, level):
    result["messages"].append({"tag": tag, "level": int(level), "message": message})


QgsApplication.messageLog().messageReceived.connect(on_message)


def guarded(fn):
    def wrapped():
        try:
            fn()
        except Exception:  # noqa: BLE001 - reported to the test, then QGIS quits
            result["errors"].append(traceback.format_exc())
            finish()
    return wrapped


def dock():
    return iface.mainWindow().findChild(QDockWidget, "JoinedUpRecipesDock")


def open_and_run():
    action = iface.mainWindow().findChild(QAction, "joinedup_action_recipes")
    result["menu_action"] = action is not None and action.text()
    result["visible_at_start"] = dock().isVisible()
    action.trigger()  # as the user does: JoinedUp menu > JoinedUp recipes
    recipes = dock()
    result["dock_visible"] = recipes.isVisible()
    result["recipes"] = [recipes.recipe.itemText(i) for i in range(recipes.recipe.count())]
    recipes.recipe.setCurrentIndex(recipes.recipe.findText("area profile", Qt.MatchFlag.MatchStartsWith))
    kind, centres = recipes.inputs["CENTRES"]
    result["centre_choices"] = [centres.itemText(i) for i in range(centres.count())]
    centres.setCurrentIndex(centres.findText("clinics (catalogue)"))
    kind, layers = recipes.inputs["LAYERS"]
    for i in range(layers.count()):
        if layers.item(i).text() == "roads (catalogue)":
            layers.item(i).setCheckState(Qt.CheckState.Checked)
    recipes.inputs["BUFFER_M"][1].setText("500")
    recipes.folder.setText(os.path.join(WORK, "recipe_out"))
    recipes.progress.valueChanged.connect(lambda value: result["progress_seen"].append(value))
    recipes.run_button.click()
    result["while_running"] = {"run_enabled": recipes.run_button.isEnabled(),
                               "cancel_enabled": recipes.cancel_button.isEnabled(),
                               "status": recipes.status.text()}
    QTimer.singleShot(200, guarded(wait))


def wait():
    recipes = dock()
    if recipes.task is not None:  # still running in QGIS's task manager: look again shortly
        QTimer.singleShot(200, guarded(wait))
        return
    result["status"] = recipes.status.text()
    result["progress"] = recipes.progress.value()
    result["results"] = {k: v for k, v in (recipes.results or {}).items() if isinstance(v, str)}
    result["run_enabled_after"] = recipes.run_button.isEnabled()
    QTimer.singleShot(300, guarded(shoot))


def shoot():
    iface.mainWindow().grab().save(os.path.join(SHOTS, "workbench_recipes_dock_desktop.png"))
    qgis.utils.unloadPlugin("joinedup")
    result["dock_after_unload"] = dock() is not None
    qgis.utils.loadPlugin("joinedup")
    qgis.utils.startPlugin("joinedup")
    QTimer.singleShot(500, guarded(after_reload))


def after_reload():
    docks = [d for d in iface.mainWindow().findChildren(QDockWidget) if d.objectName() == "JoinedUpRecipesDock"]
    result["docks_after_reload"] = len(docks)
    result["actions_after_reload"] = len([a for a in iface.mainWindow().findChildren(QAction)
                                          if a.objectName() == "joinedup_action_recipes"])
    finish()


def finish():
    with open(OUT, "w") as handle:
        json.dump(result, handle, indent=1)
    QgsApplication.exit(0)


QTimer.singleShot(1500, guarded(open_and_run))
