"""The Recipes dock: run a shipped recipe (a model in ``resources/models``) or a user's saved
model on the user's own layers, chosen from the catalogue and the project, in the background,
with a progress bar, Cancel, and a link to the outputs (and the pack, when one is written).

Each layer input of the model gets a list of the catalogue's datasets that open as layers and
the project's vector layers; other inputs take the model's defaults (shown, editable). Outputs
go to one folder, each named after its model output.

Nothing is read when the dock is made (QGIS makes it at start-up, hidden): the model, the
catalogue and the project's layers are read when the dock is shown, and again with Refresh, so
start-up opens no file and the lists hold the layers of the project as it is then.
"""
from __future__ import annotations

import glob
import os

from qgis.core import (
    QgsApplication,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt, QUrl, pyqtSlot
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

DOCK_NAME = "JoinedUpRecipesDock"
MODELS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "resources", "models")
LAYER_TYPES = ("source", "vector", "layer")
# Runs still going when their dock was closed for good (the plugin unloaded): the task, its
# context and feedback kept alive until QGIS's task manager is done with them.
_ORPHANED_RUNS: list = []


def shipped_recipes() -> list:
    return sorted(glob.glob(os.path.join(MODELS, "*.model3")))


class RecipesDock(QDockWidget):
    def __init__(self, iface=None, parent=None, catalogue_path=None):
        super().__init__("JoinedUp recipes", parent)
        self.setObjectName(DOCK_NAME)
        self.iface = iface
        self._catalogue_path = catalogue_path
        self.model = None
        self.inputs = {}
        self.task = None
        self.feedback = None
        self.results = None
        body = QWidget(self)
        layout = QVBoxLayout(body)
        chooser = QHBoxLayout()
        self.recipe = QComboBox(body)
        for path in shipped_recipes():
            self.recipe.addItem(os.path.splitext(os.path.basename(path))[0].replace("_", " "), path)
        self.open_button = QPushButton("Open a saved model…", body)
        self.refresh_button = QPushButton("Refresh", body)
        self.refresh_button.setToolTip("Read the recipe, the catalogue and the project's layers again")
        chooser.addWidget(self.recipe, 1)
        chooser.addWidget(self.open_button)
        chooser.addWidget(self.refresh_button)
        layout.addLayout(chooser)
        self.form_host = QWidget(body)
        self.form = QFormLayout(self.form_host)
        layout.addWidget(self.form_host)
        self.folder = QLineEdit(body)
        self.folder.setPlaceholderText("Folder for the outputs")
        layout.addWidget(self.folder)
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run", body)
        self.cancel_button = QPushButton("Cancel", body)
        self.cancel_button.setEnabled(False)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.progress = QProgressBar(body)
        self.progress.setRange(0, 100)
        layout.addWidget(self.progress)
        self.status = QLabel(body)
        self.status.setObjectName("joinedup_recipes_status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setOpenExternalLinks(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.setWidget(body)
        self.recipe.currentIndexChanged.connect(lambda _i: self.refresh())
        self.open_button.clicked.connect(self.open_model)
        self.refresh_button.clicked.connect(self.refresh)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.visibilityChanged.connect(lambda visible: visible and self.refresh())

    def refresh(self) -> None:
        """The chosen recipe's inputs, with the catalogue's and the project's layers as they are
        now; left alone while a run is going."""
        if self.task is None:
            self.load(self.recipe.currentData())

    def layer_choices(self) -> list:
        """(label, uri) of every catalogue dataset that opens as a vector layer, then the project's layers."""
        from ..engine.catalogue import Catalogue
        from ..processing.lineage import catalogue_path

        choices = []
        path = self._catalogue_path or catalogue_path()
        try:  # listing never makes a catalogue: with none yet, the project's layers only
            datasets = Catalogue(path).datasets() if os.path.isfile(path) else []
        except Exception:  # noqa: BLE001 - an unreadable catalogue: the project's layers only
            datasets = []
        for d in datasets:
            uri = d["path"] + (f"|layername={d['layer']}" if d["layer"] else "")
            if d["path"].lower().endswith((".gpkg", ".shp", ".geojson", ".csv", ".fgb")) and \
                    QgsVectorLayer(uri, "", "ogr").isValid():
                choices.append((f"{d['name']} (catalogue)", uri))
        for layer in QgsProject.instance().mapLayers().values():
            if isinstance(layer, QgsVectorLayer):
                choices.append((f"{layer.name()} (project)", layer.source()))
        return choices

    def open_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a saved model", "", "Processing models (*.model3)")
        if path:
            self.add_model(path)

    def add_model(self, path: str) -> None:
        self.recipe.addItem(os.path.splitext(os.path.basename(path))[0], path)
        self.recipe.setCurrentIndex(self.recipe.count() - 1)

    def load(self, path) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.inputs = {}
        model = QgsProcessingModelAlgorithm()
        if not path or not model.fromFile(path):
            self.model = None
            self.status.setText(f"The model {path} cannot be read.")
            return
        self.model = model
        choices = self.layer_choices()
        for definition in model.parameterDefinitions():
            if definition.isDestination():
                continue
            kind = definition.type()
            if kind in LAYER_TYPES:
                widget = QComboBox(self.form_host)
                for label, uri in choices:
                    widget.addItem(label, uri)
            elif kind == "multilayer":
                widget = QListWidget(self.form_host)
                for label, uri in choices:
                    item = QListWidgetItem(label, widget)
                    item.setData(Qt.ItemDataRole.UserRole, uri)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Unchecked)
            else:
                default = definition.defaultValue()
                widget = QLineEdit("" if default is None else str(default), self.form_host)
            widget.setObjectName(f"joinedup_recipe_{definition.name()}")
            widget.setToolTip(definition.help() or definition.description())
            self.form.addRow(definition.description() or definition.name(), widget)
            self.inputs[definition.name()] = (kind, widget)
        self.status.setText("")

    def parameters(self) -> dict:
        values = {}
        for name, (kind, widget) in self.inputs.items():
            if kind in LAYER_TYPES:
                values[name] = widget.currentData()
            elif kind == "multilayer":
                values[name] = [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
                                if widget.item(i).checkState() == Qt.CheckState.Checked]
            elif widget.text().strip():
                values[name] = widget.text().strip()
        folder = self.folder.text().strip()
        for definition in self.model.destinationParameterDefinitions():
            extension = definition.defaultFileExtension() if hasattr(definition, "defaultFileExtension") else "gpkg"
            values[definition.name()] = os.path.join(folder, f"{definition.name()}.{extension or 'gpkg'}")
        return values

    def run(self) -> None:
        if self.model is None:
            return
        folder = self.folder.text().strip()
        if not folder:
            self.status.setText("Choose a folder for the outputs first.")
            return
        os.makedirs(folder, exist_ok=True)
        self.context = QgsProcessingContext()
        self.context.setProject(QgsProject.instance())
        self.feedback = QgsProcessingFeedback()
        # to a slot of the dock, so Qt queues the task thread's progress to the window's thread
        self.feedback.progressChanged.connect(self.show_progress)
        self.results = None
        self.task = QgsProcessingAlgRunnerTask(self.model, self.parameters(), self.context, self.feedback)
        self.task.executed.connect(self.finished)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.status.setText("Running…")
        QgsApplication.taskManager().addTask(self.task)

    @pyqtSlot(float)
    def show_progress(self, value: float) -> None:
        self.progress.setValue(int(value))

    def cancel(self) -> None:
        if self.feedback is not None:
            self.feedback.cancel()
            self.status.setText("Cancelling…")

    def shutdown(self) -> None:
        """Before the dock is deleted (the plugin unloading): a run still going is cancelled and
        kept alive, with its context and feedback, until QGIS's task manager has finished it,
        so nothing it points to is freed under it. The last run's context is let go either way: kept
        until QGIS exits, it is destroyed after QGIS's own objects and crashes the interpreter."""
        if self.task is None:
            self.context = None
            return
        self.feedback.cancel()
        run = (self.task, self.context, self.feedback)
        self.task.executed.disconnect(self.finished)
        self.task.executed.connect(lambda _ok, _results: _ORPHANED_RUNS.remove(run))
        _ORPHANED_RUNS.append(run)
        self.task = None
        self.context = None

    def finished(self, ok: bool, results: dict) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.task = None
        folder = self.folder.text().strip()
        if not ok:
            said = "Cancelled: the outputs may be incomplete." if self.feedback.isCanceled() else \
                "The recipe stopped: see the Processing log for why."
            self.status.setText(said)
            return
        self.results = results
        self.progress.setValue(100)
        links = [f'<a href="{QUrl.fromLocalFile(folder).toString()}">the outputs folder</a>']
        for value in results.values():
            if isinstance(value, str) and value.lower().endswith(".pdf"):
                links.append(f'<a href="{QUrl.fromLocalFile(value).toString()}">the pack</a>')
        self.status.setText("Done: open " + " or ".join(links) + ".")


def install(iface):
    """The dock, added (hidden) on the right; the caller puts its toggle action in the menu."""
    dock = RecipesDock(iface, iface.mainWindow())
    iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()
    return dock
