"""The shipped models and layout templates are what their scripts write.

`resources/models/*.model3` and `resources/layouts/*.qpt` are committed so that a user's QGIS
can open them, but they are built by `scripts/make_models.py` and
`scripts/make_layout_templates.py`. If someone edits a builder and forgets to re-run it (or
edits a committed file by hand), the two drift apart silently; this test rebuilds both into a
temporary folder and compares them with the committed files.

The comparison is of the XML's content, not its bytes: Qt writes attributes in a per-process
hash order and QGIS gives every symbol layer a fresh `{uuid}` id, so byte equality would fail
on every run while meaning nothing.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UUID = re.compile(r"^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$")


def canonical(element: ET.Element) -> tuple:
    """An element as a comparable tuple: tag, attributes without fresh uuids, text, children."""
    attributes = tuple(sorted((k, v) for k, v in element.attrib.items() if not UUID.match(v)))
    text = (element.text or "").strip()
    return element.tag, attributes, text, tuple(canonical(child) for child in element)


def first_difference(a: ET.Element, b: ET.Element, path: str = "") -> str:
    here = f"{path}/{a.tag}[{a.attrib.get('name', '')}]"
    if canonical(a)[:3] != canonical(b)[:3]:
        return f"{here}: committed {canonical(a)[:3]!r}, rebuilt {canonical(b)[:3]!r}"
    if len(a) != len(b):
        return f"{here}: committed has {len(a)} children, rebuilt {len(b)}"
    for child_a, child_b in zip(a, b, strict=True):
        if canonical(child_a) != canonical(child_b):
            return first_difference(child_a, child_b, here)
    return here


@pytest.mark.parametrize(("script", "folder", "pattern"), [
    ("make_models.py", "resources/models", "*.model3"),
    ("make_layout_templates.py", "resources/layouts", "*.qpt"),
])
def test_committed_files_are_what_the_script_writes(tmp_path, script, folder, pattern):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, "-P", str(REPO / "scripts" / script), str(tmp_path)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    committed = sorted((REPO / folder).glob(pattern))
    rebuilt = sorted(tmp_path.glob(pattern))
    assert [p.name for p in rebuilt] == [p.name for p in committed], \
        f"{script} writes {[p.name for p in rebuilt]}, the repository has {[p.name for p in committed]}"
    for old, new in zip(committed, rebuilt, strict=True):
        old_root, new_root = ET.parse(old).getroot(), ET.parse(new).getroot()
        assert canonical(old_root) == canonical(new_root), (
            f"{old.relative_to(REPO)} differs from what scripts/{script} writes "
            f"(re-run it and commit): first difference at {first_difference(old_root, new_root)}")
