"""The plugin object QGIS loads: registers the Processing provider, a "JoinedUp" menu and
toolbar, and says once if engine packages are missing. ``unload`` removes all of it."""
from __future__ import annotations

from qgis.core import Qgis, QgsApplication, QgsMessageLog
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtWidgets import QAction, QMenu

from ..dependencies import missing_message
from ..processing.base import GROUPS, icon

MENU_TITLE = "&JoinedUp"
TOOLBAR_NAME = "JoinedUpToolbar"
MENU_NAME = "JoinedUpMenu"
# Algorithms one click away on the toolbar, when they exist.
TOOLBAR_ALGORITHMS = ("joinedup:areaprofile", "joinedup:evidencemap", "joinedup:evidencepack")


def tr(text):
    return QCoreApplication.translate("JoinedUp", text)


class JoinedUpPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.menu = None
        self.toolbar = None
        self.actions = []
        self.catalogue_dock = None

    # Processing-only start (qgis_process and the toolbox call this, with no GUI).
    def initProcessing(self):  # noqa: N802
        from ..processing.provider import JoinedUpProvider

        if self.provider is None:
            self.provider = JoinedUpProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()
        problem = missing_message()
        if problem:
            QgsMessageLog.logMessage(problem, "JoinedUp", Qgis.MessageLevel.Warning)
            if self.iface is not None and hasattr(self.iface, "messageBar"):
                self.iface.messageBar().pushWarning(
                    "JoinedUp", tr("Some Python packages are missing: see the JoinedUp log."))
        if self.iface is None or not hasattr(self.iface, "mainWindow"):
            return
        self._build_menu_and_toolbar()
        self._add_catalogue_dock()

    def _add_catalogue_dock(self):
        from .catalogue_dock import install

        self.catalogue_dock = install(self.iface)
        action = self.catalogue_dock.toggleViewAction()
        action.setObjectName("joinedup_action_catalogue")
        self.menu.addSeparator()
        self.menu.addAction(action)

    def _build_menu_and_toolbar(self):
        window = self.iface.mainWindow()
        self.menu = QMenu(MENU_TITLE, window)
        self.menu.setObjectName(MENU_NAME)
        self.toolbar = self.iface.addToolBar(tr("JoinedUp"))
        self.toolbar.setObjectName(TOOLBAR_NAME)
        submenus = {}
        for alg in sorted(self.provider.algorithms(), key=lambda a: (a.groupId(), a.displayName())):
            group = alg.groupId()
            if group not in submenus:
                submenus[group] = self.menu.addMenu(tr(GROUPS.get(group, group)))
            action = QAction(alg.icon(), alg.displayName() + "…", window)
            action.setObjectName("joinedup_action_" + alg.name())
            alg_id = alg.id()  # bound now: the lambda outlives the loop
            action.triggered.connect(lambda _checked=False, a=alg_id: self.open_dialog(a))
            submenus[group].addAction(action)
            self.actions.append(action)
            if alg.id() in TOOLBAR_ALGORITHMS:
                self.toolbar.addAction(action)
        if not self.toolbar.actions():
            toolbox = QAction(icon("joinedup"), tr("JoinedUp algorithms…"), window)
            toolbox.setObjectName("joinedup_action_toolbox")
            toolbox.triggered.connect(self.show_toolbox)
            self.toolbar.addAction(toolbox)
            self.actions.append(toolbox)
        menubar = window.menuBar()
        help_menu = next((a for a in menubar.actions() if a.menu() and
                          a.menu().objectName() == "mHelpMenu"), None)
        if help_menu is not None:
            menubar.insertMenu(help_menu, self.menu)
        else:
            menubar.addMenu(self.menu)

    @staticmethod
    def open_dialog(algorithm_id):
        from qgis import processing  # QGIS's own Processing framework

        processing.execAlgorithmDialog(algorithm_id, {})

    def show_toolbox(self):
        self.iface.actionShowProcessingToolbox().trigger()

    def unload(self):
        if self.catalogue_dock is not None:
            self.iface.removeDockWidget(self.catalogue_dock)
            self.catalogue_dock.setParent(None)  # gone from the window now, not at the next event loop
            self.catalogue_dock.deleteLater()
            self.catalogue_dock = None
        for action in self.actions:
            if self.toolbar is not None:
                self.toolbar.removeAction(action)
            action.deleteLater()
        self.actions = []
        if self.menu is not None:
            self.menu.menuAction().setVisible(False)
            parent = self.menu.parentWidget()
            if parent is not None:
                parent.menuBar().removeAction(self.menu.menuAction())
            self.menu.deleteLater()
            self.menu = None
        if self.toolbar is not None:
            self.toolbar.hide()
            self.toolbar.setParent(None)
            self.toolbar.deleteLater()
            self.toolbar = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
