"""The ``joinedup`` Processing provider. Algorithms are found, not listed: every subclass of
``JoinedUpAlgorithm`` in a module of ``processing/algorithms/`` is registered."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

from qgis.core import QgsProcessingProvider

from . import algorithms as _algorithms_package
from .base import JoinedUpAlgorithm, icon


def algorithm_classes() -> list:
    """Every concrete algorithm class, sorted by id, imported from ``processing/algorithms``."""
    found = {}
    for info in pkgutil.iter_modules(_algorithms_package.__path__):
        module = importlib.import_module(f"{_algorithms_package.__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, JoinedUpAlgorithm) and cls.ALG_ID and cls.__module__ == module.__name__:
                found[cls.ALG_ID] = cls
    return [found[k] for k in sorted(found)]


class JoinedUpProvider(QgsProcessingProvider):
    def id(self):
        return "joinedup"

    def name(self):
        return "JoinedUp"

    def longName(self):  # noqa: N802
        return "JoinedUp: join up what a city's agencies hold"

    def icon(self):
        return icon("joinedup")

    def loadAlgorithms(self):  # noqa: N802
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
