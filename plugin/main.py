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
        self.recipes_dock = None

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
        self._add_recipes_dock()

    def _add_catalogue_dock(self):
        from . import catalogue_dock

        self.catalogue_dock = self._add_dock(catalogue_dock.install, "joinedup_action_catalogue")

    def _add_recipes_dock(self):
        from . import recipes_dock

        self.recipes_dock = self._add_dock(recipes_dock.install, "joinedup_action_recipes")

    def _add_dock(self, install, action_name):
        """A dock from ``install(iface)``, its show/hide action in the menu. A dock that fails is
        reported in the JoinedUp log and the message bar and left out: an exception leaving
        initGui would unload the whole plugin and, at QGIS's start, open QGIS's modal "Python
        error" window, which waits for a click before the desktop finishes starting."""
        import traceback

        try:
            dock = install(self.iface)
        except Exception:  # noqa: BLE001 - the provider and the menu keep working without the dock
            QgsMessageLog.logMessage(traceback.format_exc(), "JoinedUp", Qgis.MessageLevel.Critical)
            self.iface.messageBar().pushWarning(
                "JoinedUp", tr("A JoinedUp panel could not be made: see the JoinedUp log."))
            return None
        action = dock.toggleViewAction()
        action.setObjectName(action_name)
        if not any(a.isSeparator() for a in self.menu.actions()):
            self.menu.addSeparator()
        self.menu.addAction(action)
        return dock

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
        if self.recipes_dock is not None:
            self.recipes_dock.shutdown()  # a run still going is cancelled, kept alive till it ends
        for dock in (self.catalogue_dock, self.recipes_dock):
            if dock is not None:
                self.iface.removeDockWidget(dock)
                dock.setParent(None)  # gone from the window now, not at the next event loop
                dock.deleteLater()
        self.catalogue_dock = self.recipes_dock = None
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
