"""The Recipes dock as real Qt widgets (offscreen): the shipped area-profile recipe run in the
background on layers chosen from the catalogue, with its progress, a link to the outputs, and
an output checked against the input (one profile row per centre); Cancel stops a run."""
from __future__ import annotations

import shutil

import pytest


def process_events_until(condition):
    """Turn Qt's event loop until ``condition()`` holds: a task's signals reach the dock only
    through it. Each turn sleeps until the next event arrives (the task thread's signals are
    events), so there is no polling interval and no time limit."""
    from qgis.PyQt.QtCore import QCoreApplication, QEventLoop

    while not condition():
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)


def wait_for(dock):
    process_events_until(lambda: dock.task is None)


@pytest.fixture
def recipe_dock(plugin, qgis_app, real_data, tmp_path):
    from joinedup.engine.catalogue import Catalogue, DatasetRef
    from joinedup.plugin.recipes_dock import RecipesDock

    city = tmp_path / "city.gpkg"
    shutil.copy(real_data / "sample_city.gpkg", city)
    catalogue = tmp_path / "catalogue.gpkg"
    for layer in ("clinics", "roads"):
        Catalogue(str(catalogue)).register(DatasetRef(str(city), layer), owner_agency="Health")
    dock = RecipesDock(catalogue_path=str(catalogue))
    index = next(i for i in range(dock.recipe.count()) if "area profile" in dock.recipe.itemText(i))
    dock.recipe.setCurrentIndex(index)
    dock.show()  # the recipe and the layers are read when the dock is shown
    yield dock, city, tmp_path
    dock.shutdown()  # as the plugin's unload does: it lets go of the run's context (kept to the
    dock.deleteLater()  # end, it was destroyed after QGIS had exited and crashed the interpreter)


def test_nothing_read_until_shown(plugin, qgis_app, tmp_path):
    """QGIS makes the dock at start-up: no model, no catalogue, no layer is opened then (and no
    catalogue file is made); showing it reads them, and Refresh reads the project's layers again."""
    from qgis.core import QgsProject, QgsVectorLayer

    from joinedup.plugin.recipes_dock import RecipesDock

    missing = tmp_path / "no_catalogue_yet.gpkg"
    dock = RecipesDock(catalogue_path=str(missing))
    assert dock.model is None and dock.inputs == {}
    dock.show()
    assert dock.model is not None and dock.inputs, dock.status.text()
    assert not missing.exists()
    layer = QgsVectorLayer("Point?crs=EPSG:27700", "added after", "memory")
    QgsProject.instance().addMapLayer(layer)
    try:
        layer_inputs = [w for kind, w in dock.inputs.values() if kind in ("source", "vector", "layer")]
        assert all(w.findText("added after (project)") < 0 for w in layer_inputs)
        dock.refresh_button.click()
        layer_inputs = [w for kind, w in dock.inputs.values() if kind in ("source", "vector", "layer")]
        assert layer_inputs and all(w.findText("added after (project)") >= 0 for w in layer_inputs)
    finally:
        QgsProject.instance().removeMapLayer(layer.id())
        dock.deleteLater()


def choose(dock, centres, layers):
    from qgis.PyQt.QtCore import Qt

    kind, combo = dock.inputs["CENTRES"]
    combo.setCurrentIndex(combo.findText(centres, Qt.MatchFlag.MatchStartsWith))
    kind, listing = dock.inputs["LAYERS"]
    for i in range(listing.count()):
        if listing.item(i).text().startswith(layers):
            listing.item(i).setCheckState(Qt.CheckState.Checked)


def test_recipe_runs_on_catalogue_layers(recipe_dock):
    import geopandas as gpd

    dock, city, folder = recipe_dock
    choose(dock, "clinics", "roads")
    dock.inputs["BUFFER_M"][1].setText("500")
    dock.folder.setText(str(folder / "out"))
    dock.run()
    assert not dock.run_button.isEnabled() and dock.cancel_button.isEnabled()
    wait_for(dock)
    assert dock.results is not None, dock.status.text()
    assert dock.progress.value() == 100 and "the outputs folder" in dock.status.text()
    profile = gpd.read_file(dock.results["area_profile"])
    assert len(profile) == len(gpd.read_file(city, layer="clinics"))  # one 500 m area per clinic


def test_recipe_cancel(recipe_dock):
    dock, city, folder = recipe_dock
    choose(dock, "clinics", "roads")
    dock.folder.setText(str(folder / "cancelled"))
    dock.run()
    dock.cancel()
    wait_for(dock)
    assert dock.feedback.isCanceled()
    assert dock.run_button.isEnabled() and not dock.cancel_button.isEnabled()
    assert dock.results is None and dock.status.text().startswith("Cancelled"), dock.status.text()


def test_shutdown_while_running(recipe_dock):
    """The plugin unloading mid-run: the run is cancelled, the dock lets go of it (it can be
    deleted), and the task, its context and feedback stay alive until QGIS's task manager ends
    it, then are released."""
    from joinedup.plugin import recipes_dock

    dock, city, folder = recipe_dock
    choose(dock, "clinics", "roads")
    dock.folder.setText(str(folder / "unloaded"))
    dock.run()
    feedback = dock.feedback
    dock.shutdown()
    assert dock.task is None and feedback.isCanceled()
    assert len(recipes_dock._ORPHANED_RUNS) == 1
    process_events_until(lambda: not recipes_dock._ORPHANED_RUNS)  # the cancelled run, released
    assert dock.results is None  # the dock, being deleted, is not told
