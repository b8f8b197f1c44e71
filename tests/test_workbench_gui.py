"""The catalogue dock in QGIS's own desktop application under Xvfb: after an import and a
publication run in the desktop, the dock (opened from JoinedUp's menu) lists the datasets, shows
the package's lineage back to the extract, and warns that the publication read an extract past
its retention date. Screenshot: .build/artefacts/workbench_catalogue_dock_desktop.png."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from test_foundation_gui import ARTEFACTS, fresh_profile, plugin_env
from test_workbench_validate import write_inputs

PROBE = Path(__file__).resolve().parent / "workbench_gui_probe.py"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_catalogue_dock_in_qgis_desktop(tmp_path):
    if shutil.which("xvfb-run") is None or shutil.which("qgis") is None:
        pytest.fail("xvfb-run and qgis are needed: run `make setup`")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    write_inputs(tmp_path)
    profiles = fresh_profile(tmp_path / "profiles", {"joinedup": True})
    out = tmp_path / "probe.json"
    env = plugin_env({"JOINEDUP_PROBE_OUT": str(out), "JOINEDUP_PROBE_SHOTS": str(ARTEFACTS),
                      "JOINEDUP_PROBE_WORK": str(tmp_path), "JOINEDUP_CATALOGUE": str(tmp_path / "catalogue.gpkg")})
    env.pop("QT_QPA_PLATFORM", None)  # the real X server from xvfb-run
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "qgis", "--nologo", "--noversioncheck",
               "--profiles-path", str(tmp_path / "profiles"), "--code", str(PROBE)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=540, cwd=tmp_path)
    assert profiles.exists()
    assert out.exists(), f"the probe did not finish (exit {done.returncode}): {done.stderr[-3000:]}"
    seen = json.loads(out.read_text())
    assert not seen["errors"], seen["errors"]
    assert seen["menu_action"] and seen["dock_visible"]
    assert seen["datasets"] == ["fire_incidents", "incidents", "package"]
    assert "past its retention date (2020-01-01)" in seen["warning"] and "fire_incidents" in seen["warning"]
    assert "joinedup:publishopendata" in seen["lineage"][0] and "joinedup:importrecords" in seen["lineage"][1]
    assert seen["lineage"][-1] == "Source: fire_incidents (Fire and Rescue)"
    assert (ARTEFACTS / "workbench_catalogue_dock_desktop.png").stat().st_size > 10_000
