"""The catalogue dock: what the office holds (filtered by text, sensitivity, personal data),
a dataset's lineage as a list of steps back to its sources, layers added to the map, and a
warning when a publication read a dataset past its retention date or marked personal.

It reads the catalogue GeoPackage (``engine/catalogue.py``) that every JoinedUp run writes
(``processing/lineage.py``), and refreshes when that file changes.
"""
from __future__ import annotations

import os

from qgis.core import QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import QFileSystemWatcher, Qt
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

DOCK_NAME = "JoinedUpCatalogueDock"
COLUMNS = (("name", "Dataset"), ("owner_agency", "Owner agency"), ("sensitivity", "Sensitivity"),
           ("personal_data", "Personal"), ("retention_date", "Retain until"), ("row_count", "Rows"),
           ("crs", "CRS"), ("last_updated", "Last updated"))
ALL = "All sensitivities"


class CatalogueDock(QDockWidget):
    def __init__(self, iface=None, parent=None, catalogue_path=None):
        super().__init__("JoinedUp catalogue", parent)
        self.setObjectName(DOCK_NAME)
        self.iface = iface
        self._path_override = catalogue_path
        self._rows = []
        body = QWidget(self)
        layout = QVBoxLayout(body)
        filters = QHBoxLayout()
        self.filter_text = QLineEdit(body)
        self.filter_text.setPlaceholderText("Filter by name, path or agency")
        self.filter_text.setObjectName("joinedup_catalogue_filter")
        self.sensitivity = QComboBox(body)
        self.sensitivity.addItems([ALL, "OFFICIAL", "OFFICIAL-SENSITIVE"])
        self.personal_only = QCheckBox("Personal data only", body)
        for widget in (self.filter_text, self.sensitivity, self.personal_only):
            filters.addWidget(widget)
        layout.addLayout(filters)
        self.warning = QLabel(body)
        self.warning.setObjectName("joinedup_catalogue_warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("QLabel { background: #fde2e1; color: #8a1c14; padding: 4px; }")
        self.warning.hide()
        layout.addWidget(self.warning)
        self.table = QTableWidget(0, len(COLUMNS), body)
        self.table.setObjectName("joinedup_catalogue_table")
        self.table.setHorizontalHeaderLabels([label for _, label in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 3)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add to map", body)
        self.refresh_button = QPushButton("Refresh", body)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.refresh_button)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Lineage: the steps that made it, back to its sources", body))
        self.lineage = QListWidget(body)
        self.lineage.setObjectName("joinedup_catalogue_lineage")
        layout.addWidget(self.lineage, 2)
        self.setWidget(body)
        self.watcher = QFileSystemWatcher(self)
        self.filter_text.textChanged.connect(self.refresh)
        self.sensitivity.currentIndexChanged.connect(self.refresh)
        self.personal_only.toggled.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.add_button.clicked.connect(self.add_selected_to_map)
        self.table.itemSelectionChanged.connect(self.show_lineage)
        self.watcher.fileChanged.connect(lambda _path: self.refresh())
        self.visibilityChanged.connect(lambda visible: visible and self.refresh())

    def catalogue_path(self) -> str:
        from ..processing.lineage import catalogue_path

        return self._path_override or catalogue_path()

    def catalogue(self):
        """The catalogue, or None (with the reason shown) when it cannot be opened."""
        from ..engine.catalogue import Catalogue

        try:
            catalogue = Catalogue(self.catalogue_path())
        except Exception as exc:  # noqa: BLE001 - a dock must not break QGIS; it says why
            self._say(f"The catalogue {self.catalogue_path()} cannot be opened: {exc}")
            return None
        if self.catalogue_path() not in self.watcher.files():
            self.watcher.addPath(self.catalogue_path())
        return catalogue

    def _say(self, text: str) -> None:
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    def refresh(self) -> None:
        catalogue = self.catalogue()
        if catalogue is None:
            return
        sensitivity = self.sensitivity.currentText()
        self._rows = catalogue.datasets(self.filter_text.text().strip(),
                                        sensitivity=None if sensitivity == ALL else sensitivity,
                                        personal=True if self.personal_only.isChecked() else None)
        self.table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            for c, (key, _) in enumerate(COLUMNS):
                value = row.get(key)
                if key == "personal_data":
                    value = {1: "yes", 0: "no"}.get(value, "")
                item = QTableWidgetItem("" if value is None else str(value))
                item.setToolTip(row["path"] + (f" (layer {row['layer']})" if row["layer"] else ""))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        alerts = catalogue.publication_alerts()
        self._say("\n".join(f"Publication {run['algorithm']} at {run['run_at']}: {w}"
                            for run, warnings in alerts for w in warnings))
        self.show_lineage()

    def selected(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self._rows[rows[0].row()] if rows and rows[0].row() < len(self._rows) else None

    def show_lineage(self) -> None:
        self.lineage.clear()
        dataset = self.selected()
        if dataset is None:
            return
        catalogue = self.catalogue()
        steps = catalogue.lineage(dataset["path"], dataset["layer"]) if catalogue is not None else []
        if not steps:
            self.lineage.addItem(f"{dataset['name']}: a source (no recorded run made it)")
            return
        for step in steps:
            read = ", ".join(d["name"] for d in step["inputs"]) or "nothing"
            made = ", ".join(d["name"] for d in step["outputs"])
            self.lineage.addItem(f"{'  ' * (step['depth'] - 1)}{step['depth']}. {step['algorithm']} "
                                 f"({step['run_at']}) read {read}; wrote {made}")
        for source in catalogue.sources(dataset["path"], dataset["layer"]):
            self.lineage.addItem(f"Source: {source['name']} ({source.get('owner_agency') or 'owner not recorded'})")

    def add_selected_to_map(self) -> QgsVectorLayer | None:
        dataset = self.selected()
        if dataset is None:
            return None
        uri = dataset["path"] + (f"|layername={dataset['layer']}" if dataset["layer"] else "")
        layer = QgsVectorLayer(uri, dataset["name"], "ogr")
        if not layer.isValid():
            self._say(f"{dataset['name']} cannot be opened as a layer ({os.path.basename(dataset['path'])}).")
            return None
        QgsProject.instance().addMapLayer(layer)
        return layer


def install(iface):
    """The dock, added (hidden) to QGIS's window on the right; its toggle action is returned for the menu."""
    dock = CatalogueDock(iface, iface.mainWindow())
    iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()
    return dock
