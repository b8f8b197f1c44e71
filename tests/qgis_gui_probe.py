"""Run inside QGIS's desktop application (``qgis --code tests/qgis_gui_probe.py``) by
tests/test_foundation_gui.py: inspects JoinedUp as loaded by QGIS itself (menus, toolbar,
provider, message log), opens an algorithm dialog, unloads and reloads the plugin twice,
saves screenshots, writes what it saw as JSON to $JOINEDUP_PROBE_OUT and quits QGIS.
Not a pytest file: it needs the ``iface`` of a running QGIS."""
import json
import os
import traceback

import qgis.utils
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QAction, QApplication, QDockWidget, QPlainTextEdit, QTabWidget, QToolBar
from qgis.utils import iface

OUT = os.environ["JOINEDUP_PROBE_OUT"]
SHOTS = os.environ["JOINEDUP_PROBE_SHOTS"]
PLUGIN = "joinedup"
result = {"steps": [], "messages": [], "errors": []}


def on_message(message, tag, level):
    result["messages"].append({"tag": tag, "level": int(level), "message": message})


QgsApplication.messageLog().messageReceived.connect(on_message)


def log_panel():
    """Text of every tab of the Log Messages panel: holds what was logged before this probe ran."""
    tabs = {}
    dock = iface.mainWindow().findChild(QDockWidget, "MessageLog")
    if dock is None:
        return tabs
    widget = dock.findChild(QTabWidget)
    if widget is None:
        return tabs
    for i in range(widget.count()):
        texts = [w.toPlainText() for w in [widget.widget(i)] + widget.widget(i).findChildren(QPlainTextEdit)
                 if isinstance(w, QPlainTextEdit)]
        tabs[widget.tabText(i)] = "\n".join(texts)
    return tabs


def state(label):
    window = iface.mainWindow()
    menus = [a.menu().objectName() for a in window.menuBar().actions()
             if a.menu() is not None and a.isVisible()]
    toolbars = [t for t in window.findChildren(QToolBar) if t.objectName() == "JoinedUpToolbar"]
    actions = [a.objectName() for a in window.findChildren(QAction)
               if a.objectName().startswith("joinedup_action_")]
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById(PLUGIN)
    snapshot = {
        "label": label,
        "menus_joinedup": menus.count("JoinedUpMenu"),
        "menu_titles": [a.text() for a in window.menuBar().actions()],
        "toolbars_joinedup": len(toolbars),
        "toolbar_buttons": sum(len(t.actions()) for t in toolbars),
        "actions": len(actions),
        "providers_joinedup": sum(1 for p in registry.providers() if p.id() == PLUGIN),
        "algorithms": sorted(a.id() for a in provider.algorithms()) if provider else [],
        "plugin_active": PLUGIN in qgis.utils.active_plugins,
        "plugin_loaded": PLUGIN in qgis.utils.plugins,
    }
    result["steps"].append(snapshot)


def step(fn):
    def wrapped():
        try:
            fn()
        except Exception:
            result["errors"].append(traceback.format_exc())
            finish()
    return wrapped


def start():
    import sys

    result["log_panel_at_start"] = log_panel()
    result["plugin_file"] = getattr(sys.modules.get(PLUGIN), "__file__", None)
    state("after QGIS started")
    from qgis import processing

    wanted = [a for a in ("joinedup:areaprofile", "joinedup:checkenvironment", "joinedup:linkaddresses",
                          "joinedup:odmatrix")
              if QgsApplication.processingRegistry().algorithmById(a) is not None]
    result["dialogs"] = []
    for alg_id in wanted:
        dialog = processing.createAlgorithmDialog(alg_id, {})
        ok = dialog is not None
        if ok:
            dialog.show()
            QApplication.processEvents()
            dialog.grab().save(os.path.join(SHOTS, f"gui_dialog_{alg_id.split(':')[1]}.png"))
            result["dialogs"].append({"id": alg_id, "title": dialog.windowTitle()})
            dialog.close()
            dialog.deleteLater()
        else:
            result["dialogs"].append({"id": alg_id, "title": None})
    iface.mainWindow().grab().save(os.path.join(SHOTS, "gui_main_window.png"))
    qgis.utils.unloadPlugin(PLUGIN)
    QTimer.singleShot(500, step(after_unload))


def after_unload():
    state("after unloadPlugin")
    qgis.utils.loadPlugin(PLUGIN)
    qgis.utils.startPlugin(PLUGIN)
    QTimer.singleShot(500, step(after_reload))


def after_reload():
    state("after loadPlugin+startPlugin")
    qgis.utils.unloadPlugin(PLUGIN)
    QTimer.singleShot(300, step(second_reload))


def second_reload():
    state("after second unloadPlugin")
    qgis.utils.loadPlugin(PLUGIN)
    qgis.utils.startPlugin(PLUGIN)
    QTimer.singleShot(500, step(final))


def link_addresses():
    """Run the address linkage in the desktop (it loads DuckDB, whose module-level connection
    once made QGIS abort at exit): the test then checks the links and QGIS's exit code."""
    from qgis import processing
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    gazetteer = QgsVectorLayer("Point?crs=EPSG:27700&field=uprn:string&field=address:string"
                               "&field=postcode:string", "gazetteer", "memory")
    records = QgsVectorLayer("None?field=ref:string&field=address:string&field=postcode:string",
                             "records", "memory")
    for layer, rows in ((gazetteer, [("100001", "12 High Street, Ashbury", "AB1 2CD", 1),
                                     ("100002", "14 High Street, Ashbury", "AB1 2CD", 2),
                                     ("100003", "Flat 2, 7 Mill Lane, Ashbury", "AB1 3EF", 3)]),
                        (records, [("a", "12 HIGH ST", "ab12cd", None),
                                   ("b", "flat 2 7 mill lane", "AB1 3EF", None)])):
        features = []
        for *values, x in rows:
            feature = QgsFeature(layer.fields())
            feature.setAttributes(list(values))
            if x is not None:
                feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(400000 + x, 300000)))
            features.append(feature)
        layer.dataProvider().addFeatures(features)
    out = processing.run("joinedup:linkaddresses", {
        "INPUT": records, "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
        "REFERENCE": gazetteer, "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"],
        "REF_POSTCODE_FIELD": "postcode", "OUTPUT": "memory:linked"})["OUTPUT"]
    linked = out if isinstance(out, QgsVectorLayer) else QgsVectorLayer(out, "linked", "ogr")
    result["linked"] = {f["ref"]: f["matched_uprn"] for f in linked.getFeatures()}


def final():
    state("after second reload")
    iface.mainWindow().grab().save(os.path.join(SHOTS, "gui_after_reload.png"))
    link_addresses()
    result["log_panel_at_end"] = log_panel()
    finish()


def finish():
    with open(OUT, "w") as handle:
        json.dump(result, handle, indent=1)
    QgsApplication.exit(0)


QTimer.singleShot(1500, step(start))
