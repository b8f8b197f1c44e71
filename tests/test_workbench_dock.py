"""The catalogue dock as real Qt widgets (offscreen): datasets listed and filtered after real runs,
a dataset's lineage back to its source, a layer added to the project, and the warning when a
publication read an extract past its retention date. A screenshot goes to .build/artefacts/."""
from __future__ import annotations

import pytest
from conftest import REPO
from test_workbench_validate import write_inputs

ARTEFACTS = REPO / ".build" / "artefacts"


@pytest.fixture
def runs(run_alg, tmp_path, monkeypatch):
    """An extract imported with its terms (personal, retention passed) and published as it is."""
    catalogue = tmp_path / "catalogue.gpkg"
    monkeypatch.setenv("JOINEDUP_CATALOGUE", str(catalogue))
    extract, _ = write_inputs(tmp_path)
    placed = tmp_path / "incidents.gpkg"
    run_alg("joinedup:importrecords", {"INPUT": str(extract), "OWNER_AGENCY": "Fire and Rescue",
                                       "RETENTION_DATE": "2020-01-01", "OUTPUT": str(placed)})
    package = tmp_path / "package"
    run_alg("joinedup:publishopendata", {"INPUT": str(placed), "TITLE": "Incidents", "METHOD": 2,
                                         "OUTPUT": str(package)})
    return catalogue, extract, placed, package


def select(dock, name):
    for row in range(dock.table.rowCount()):
        if dock.table.item(row, 0).text() == name:
            dock.table.selectRow(row)
            return dock._rows[row]
    raise AssertionError(f"{name} not listed: {[dock.table.item(r, 0).text() for r in range(dock.table.rowCount())]}")


def test_dock_lists_filters_traces_and_warns(plugin, qgis_app, runs):
    from qgis.core import QgsProject

    from joinedup.plugin.catalogue_dock import CatalogueDock

    catalogue, extract, placed, package = runs
    dock = CatalogueDock(catalogue_path=str(catalogue))
    dock.resize(900, 700)
    dock.show()
    dock.refresh()
    names = sorted(dock.table.item(r, 0).text() for r in range(dock.table.rowCount()))
    assert names == ["fire_incidents", "incidents", "package"]  # extract, placed layer, package (its folder)
    warning = dock.warning.text()
    assert not dock.warning.isHidden()
    assert "fire_incidents" in warning and "past its retention date (2020-01-01)" in warning
    assert "personal data" in warning
    dock.filter_text.setText("fire and rescue")  # the extract's agency
    assert [dock.table.item(r, 0).text() for r in range(dock.table.rowCount())] == ["fire_incidents"]
    dock.filter_text.setText("")
    select(dock, "package")
    lines = [dock.lineage.item(i).text() for i in range(dock.lineage.count())]
    assert "joinedup:publishopendata" in lines[0] and "joinedup:importrecords" in lines[1]
    assert lines[-1] == "Source: fire_incidents (Fire and Rescue)"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    assert dock.grab().save(str(ARTEFACTS / "workbench_catalogue_dock.png"))
    select(dock, "incidents")
    layer = dock.add_selected_to_map()
    assert layer is not None and layer.featureCount() == 5
    assert QgsProject.instance().mapLayer(layer.id()) is not None
    QgsProject.instance().removeMapLayer(layer.id())
    dock.close()
    dock.deleteLater()


def test_dock_installed_in_the_main_window(plugin, qgis_iface, tmp_path, monkeypatch):
    """plugin/main.py's hook: the dock added (hidden) to the window, found by its object name,
    with the action that shows it."""
    from qgis.PyQt.QtWidgets import QDockWidget

    from joinedup.plugin.catalogue_dock import DOCK_NAME, install

    monkeypatch.setenv("JOINEDUP_CATALOGUE", str(tmp_path / "catalogue.gpkg"))
    dock = install(qgis_iface)
    try:
        assert qgis_iface.mainWindow().findChild(QDockWidget, DOCK_NAME) is dock
        assert dock.isHidden()
        dock.toggleViewAction().trigger()
        dock.refresh()  # (the test's main window is never shown, so no visibility signal)
        assert not dock.isHidden() and dock.table.rowCount() == 0 and dock.warning.isHidden()
    finally:
        qgis_iface.removeDockWidget(dock)
        dock.deleteLater()
