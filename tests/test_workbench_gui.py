"""The catalogue and Recipes docks in QGIS's own desktop application under Xvfb: after an import and a
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


RECIPES_PROBE = Path(__file__).resolve().parent / "recipes_gui_probe.py"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_recipes_dock_in_qgis_desktop(tmp_path, real_data):
    """The Recipes dock in the desktop: opened from JoinedUp's menu (hidden until then), the
    shipped area-profile recipe run in the background on two catalogue layers, its progress
    and the link to the outputs seen, one 500 m profile per clinic written; the plugin then
    unloads and reloads with one dock and no error. Screenshot:
    .build/artefacts/workbench_recipes_dock_desktop.png."""
    import geopandas as gpd

    from joinedup.engine.catalogue import Catalogue, DatasetRef

    if shutil.which("xvfb-run") is None or shutil.which("qgis") is None:
        pytest.fail("xvfb-run and qgis are needed: run `make setup`")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    city = tmp_path / "city.gpkg"
    shutil.copy(real_data / "sample_city.gpkg", city)  # never opened in place
    catalogue = tmp_path / "catalogue.gpkg"
    for layer in ("clinics", "roads"):
        Catalogue(str(catalogue)).register(DatasetRef(str(city), layer), owner_agency="Health")
    fresh_profile(tmp_path / "profiles", {"joinedup": True})
    out = tmp_path / "probe.json"
    env = plugin_env({"JOINEDUP_PROBE_OUT": str(out), "JOINEDUP_PROBE_SHOTS": str(ARTEFACTS),
                      "JOINEDUP_PROBE_WORK": str(tmp_path), "JOINEDUP_CATALOGUE": str(catalogue)})
    env.pop("QT_QPA_PLATFORM", None)
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "qgis", "--nologo", "--noversioncheck",
               "--profiles-path", str(tmp_path / "profiles"), "--code", str(RECIPES_PROBE)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=540, cwd=tmp_path)
    (ARTEFACTS / "workbench_recipes_qgis_stderr.txt").write_text(done.stdout + "\n" + done.stderr)
    assert out.exists(), f"the probe did not finish (exit {done.returncode}): {done.stderr[-3000:]}"
    seen = json.loads(out.read_text())
    assert not seen["errors"], seen["errors"]
    assert seen["menu_action"] and not seen["visible_at_start"] and seen["dock_visible"]
    assert any(r.startswith("area profile") for r in seen["recipes"]), seen["recipes"]
    assert {"clinics (catalogue)", "roads (catalogue)"} <= set(seen["centre_choices"]), seen["centre_choices"]
    # while it ran: Run off, Cancel on; the bar moved and ended full
    assert seen["while_running"] == {"run_enabled": False, "cancel_enabled": True, "status": "Running…"}
    assert seen["progress"] == 100 and seen["run_enabled_after"]
    assert any(0 < v < 100 for v in seen["progress_seen"]), seen["progress_seen"]
    # the link to the outputs folder, and the output itself: one profile row per clinic
    folder = tmp_path / "recipe_out"
    assert f'href="file://{folder}"' in seen["status"] and "the outputs folder" in seen["status"], seen["status"]
    profile = seen["results"]["area_profile"]
    assert Path(profile).parent == folder
    assert len(gpd.read_file(profile)) == len(gpd.read_file(city, layer="clinics"))
    # unload removes the dock; reload brings back one dock and one menu action; nothing logged
    assert not seen["dock_after_unload"]
    assert seen["docks_after_reload"] == 1 and seen["actions_after_reload"] == 1
    bad = [m for m in seen["messages"] if m["tag"] in ("JoinedUp", "Python error") and m["level"] >= 1]
    assert not bad, bad
    assert done.returncode == 0, f"QGIS exited with {done.returncode}: {done.stderr[-1500:]}"
    assert (ARTEFACTS / "workbench_recipes_dock_desktop.png").stat().st_size > 10_000
