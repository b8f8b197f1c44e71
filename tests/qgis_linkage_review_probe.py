"""Run inside QGIS's desktop application (``qgis --code tests/qgis_linkage_review_probe.py``) by
tests/test_linkage_review_gui.py: the review round trip as a reviewer does it. Links the records
(REVIEW written to a GeoPackage), opens the REVIEW layer and its attribute table, types the
decisions in the table's edit buffer and saves, links again with the layer as DECISIONS, and
writes what it saw as JSON to $JOINEDUP_PROBE_OUT (screenshots to $JOINEDUP_PROBE_SHOTS).
Not a pytest file: it needs the ``iface`` of a running QGIS."""
import json
import os
import traceback

from qgis.core import QgsApplication, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication
from qgis.utils import iface

OUT = os.environ["JOINEDUP_PROBE_OUT"]
SHOTS = os.environ["JOINEDUP_PROBE_SHOTS"]
WORK = os.environ["JOINEDUP_PROBE_WORK"]
DECISIONS = json.loads(os.environ["JOINEDUP_PROBE_DECISIONS"])  # address as written -> decision
result = {"errors": []}


def link(output_name, decisions=None):
    from qgis import processing

    parameters = {"INPUT": os.path.join(WORK, "records.csv"), "ADDRESS_FIELDS": ["address"],
                  "POSTCODE_FIELD": "postcode", "REFERENCE": os.path.join(WORK, "gazetteer.gpkg"),
                  "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"], "REF_POSTCODE_FIELD": "postcode",
                  "CACHE_FOLDER": os.path.join(WORK, "cache"),
                  "OUTPUT": os.path.join(WORK, f"{output_name}.gpkg"),
                  "REVIEW": os.path.join(WORK, f"{output_name}_review.gpkg")}
    if decisions is not None:
        parameters["DECISIONS"] = decisions
    return processing.run("joinedup:linkaddresses", parameters)


def linked_rows(path):
    layer = QgsVectorLayer(path, "linked", "ogr")
    return [{"address": f["address"], "matched_uprn": f["matched_uprn"], "match_method": f["match_method"],
             "unmatched_reason": f["unmatched_reason"]} for f in layer.getFeatures()]


def run():
    first = link("first")
    review = QgsVectorLayer(first["REVIEW"], "Records to review", "ogr")
    QgsProject.instance().addMapLayer(review)
    result["review_rows"] = review.featureCount()
    # the columns a reviewer reads first, so the screenshot shows the decisions typed
    config = review.attributeTableConfig()
    columns = config.columns()
    for column in columns:
        column.hidden = column.name not in ("address", "postcode", "candidate_uprn", "decision")
    config.setColumns(columns)
    review.setAttributeTableConfig(config)
    table = iface.showAttributeTable(review)  # the dialog a reviewer works in
    QApplication.processEvents()
    review.startEditing()
    decision = review.fields().indexOf("decision")
    for feature in review.getFeatures():
        wanted = DECISIONS.get(feature["address"])
        if wanted:
            review.changeAttributeValue(feature.id(), decision, wanted)
    QApplication.processEvents()
    table.grab().save(os.path.join(SHOTS, "gui_review_decisions.png"))
    result["committed"] = review.commitChanges()
    result["commit_errors"] = review.commitErrors()
    table.close()
    second = link("second", decisions=review)
    result["first"] = linked_rows(first["OUTPUT"])
    result["second"] = linked_rows(second["OUTPUT"])
    result["decisions_applied"] = second["DECISIONS_APPLIED"]
    iface.mainWindow().grab().save(os.path.join(SHOTS, "gui_review_main_window.png"))
    # QGIS 3.40 quit through QgsApplication.exit() with a layer still in the project crashes in
    # its own teardown (QgsLayerTreeView after QgisApp is gone): a user closes the project first
    QgsProject.instance().clear()


def start():
    try:
        run()
    except Exception:
        result["errors"].append(traceback.format_exc())
    with open(OUT, "w") as handle:
        json.dump(result, handle, indent=1, default=str)
    QgsApplication.exit(0)


QTimer.singleShot(1500, start)
