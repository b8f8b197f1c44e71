"""The engine's errors are the matching built-ins and keep the exception they wrap (no QGIS)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from joinedup.engine import errors

ENGINE = Path(__file__).resolve().parents[1] / "engine"
# A module another branch of issue 18 chains in its own work; drop it from this list once merged.
CHAINED_ELSEWHERE = ("findings.py",)


@pytest.mark.parametrize(("error", "builtin"), [
    (errors.InputError, ValueError),
    (errors.DependencyError, ImportError),
])
def test_errors_are_the_matching_builtins_and_engine_errors(error, builtin):
    with pytest.raises(builtin):
        raise error("message")
    with pytest.raises(errors.EngineError):  # the one class processing/base.py catches
        raise error("message")
    assert str(error("the message")) == "the message"


def test_cancel_is_an_engine_error_and_nothing_a_caller_would_catch_by_mistake():
    assert issubclass(errors.EngineCancelled, errors.EngineError)
    assert not issubclass(errors.EngineCancelled, (ValueError, ImportError, KeyboardInterrupt))


def test_a_wrapped_exception_is_kept_as_the_cause(tmp_path):
    from joinedup.engine.classify import class_breaks
    from joinedup.engine.identifiers import read_text_table

    with pytest.raises(errors.InputError) as caught:
        read_text_table(str(tmp_path / "not-there.csv"))
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    with pytest.raises(errors.InputError) as caught:
        class_breaks([1.0, 2.0, 3.0], method="manual", manual_breaks="1, two")
    assert isinstance(caught.value.__cause__, ValueError)


def test_engine_code_that_wraps_an_exception_chains_it():
    """Every ``raise`` inside an ``except`` block says ``from`` (the exception, or None)."""
    unchained = []
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name.startswith(CHAINED_ELSEWHERE):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler):
                unchained += [f"{path.relative_to(ENGINE)}:{sub.lineno}" for sub in ast.walk(node)
                              if isinstance(sub, ast.Raise) and sub.exc is not None and sub.cause is None]
    assert unchained == []
