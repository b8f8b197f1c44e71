"""The engine's one error hierarchy and its progress/cancel convention.

The QGIS side maps every :class:`EngineError` to a ``QgsProcessingException`` in one place,
so an engine message reaches the user as written, never as a traceback. Each error is also the
matching built-in (an :class:`InputError` is a ``ValueError``, a :class:`DependencyError` an
``ImportError``), so a notebook caller can catch it without importing JoinedUp. Code that turns
another exception into one of these raises it ``from`` that exception.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class EngineError(Exception):
    """An analysis could not be done; the message says why and what to change."""


class InputError(EngineError, ValueError):
    """The inputs are unusable as given (missing field, empty layer, wrong CRS ...)."""


class DependencyError(EngineError, ImportError):
    """A Python package an analysis needs is missing or broken; the message says how to install it."""


class EngineCancelled(EngineError):
    """The user pressed Cancel; raised from a ``Feedback.check()``."""


@dataclass
class Feedback:
    """Progress, cancel and log hooks handed to long engine calls.

    All three are optional plain callables so the engine runs the same in a notebook:
    ``progress(fraction)`` with 0 <= fraction <= 1, ``is_cancelled() -> bool`` and
    ``info(message)``. Long loops call :meth:`check` once per chunk of work.
    """

    progress: Callable[[float], None] | None = None
    is_cancelled: Callable[[], bool] | None = None
    info: Callable[[str], None] | None = None
    messages: list = field(default_factory=list)

    def check(self) -> None:
        if self.is_cancelled is not None and self.is_cancelled():
            raise EngineCancelled("Cancelled by the user.")

    def set_progress(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(min(1.0, max(0.0, float(fraction))))

    def log(self, message: str) -> None:
        self.messages.append(message)
        if self.info is not None:
            self.info(message)

    def sub(self, start: float, end: float) -> Feedback:
        """A feedback for one stage, mapping its 0..1 onto start..end of this one."""
        parent = self

        def _progress(f: float) -> None:
            parent.set_progress(start + (end - start) * f)

        return Feedback(progress=_progress, is_cancelled=self.is_cancelled, info=self.info,
                        messages=self.messages)


def as_feedback(feedback: Feedback | None) -> Feedback:
    """The given feedback, or a silent one, so engine code never tests for None."""
    return feedback if feedback is not None else Feedback()
