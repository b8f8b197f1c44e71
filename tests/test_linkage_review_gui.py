"""The review round trip in QGIS's desktop application, under Xvfb, in a fresh profile: link, open
the REVIEW layer's attribute table, type decisions and save, link again with it as DECISIONS
(issue 15). Screenshots go to .build/artefacts/."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point
from test_foundation_gui import ARTEFACTS, fresh_profile, plugin_env

PROBE = Path(__file__).resolve().parent / "qgis_linkage_review_probe.py"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_review_round_trip_in_qgis_desktop(tmp_path):
    """Two records whose postcode is another postcode of the same street (so number or postcode
    was typed wrong and the engine does not link them: both wait in the review band). The
    reviewer accepts one and rejects the other in the attribute table; the second run links the
    accepted one to its candidate (method 'review') and keeps the rejected one unmatched, as
    decided, while the clean record links as before."""
    if shutil.which("xvfb-run") is None or shutil.which("qgis") is None:
        pytest.fail("xvfb-run and qgis are needed: run `make setup`")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    # each record's postcode holds a number a slip from its own (12 typed for 14; 16 for 15)
    rows = [(1200, "12 HIGH STREET, LINDWORTH", "LW1 2AB"), (1500, "15 HIGH STREET, LINDWORTH", "LW1 2AB"),
            (1400, "14 HIGH STREET, LINDWORTH", "LW1 2AD"), (1600, "16 HIGH STREET, LINDWORTH", "LW1 2AD"),
            (3100, "31 MILL LANE, LINDWORTH", "LW1 3CD")]
    gaz = gpd.GeoDataFrame({"uprn": [r[0] for r in rows], "address": [r[1] for r in rows],
                            "postcode": [r[2] for r in rows]},
                           geometry=[Point(400000 + 10 * i, 300000) for i in range(len(rows))], crs="EPSG:27700")
    pyogrio.write_dataframe(gaz, tmp_path / "gazetteer.gpkg", layer="gazetteer")
    records = pd.DataFrame({"address": ["12 High Street, Lindworth", "16 High St, Lindworth", "31 Mill Lane"],
                            "postcode": ["LW1 2AD", "LW1 2AB", "LW1 3CD"]})
    records.to_csv(tmp_path / "records.csv", index=False)
    decisions = {"12 High Street, Lindworth": "accept", "16 High St, Lindworth": "reject"}
    out = tmp_path / "probe.json"
    env = plugin_env({"JOINEDUP_PROBE_OUT": str(out), "JOINEDUP_PROBE_SHOTS": str(ARTEFACTS),
                      "JOINEDUP_PROBE_WORK": str(tmp_path), "JOINEDUP_PROBE_DECISIONS": json.dumps(decisions)})
    env.pop("QT_QPA_PLATFORM", None)  # the real X server from xvfb-run
    profiles = fresh_profile(tmp_path / "profiles", {"joinedup": True})
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "qgis", "--nologo", "--noversioncheck",
               "--profiles-path", str(profiles), "--code", str(PROBE)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=540, cwd=tmp_path)
    (ARTEFACTS / "gui_review_stderr.txt").write_text(done.stdout + "\n" + done.stderr)
    assert out.exists(), f"the probe did not finish (exit {done.returncode}): {done.stderr[-3000:]}"
    seen = json.loads(out.read_text())
    assert not seen["errors"], seen["errors"]
    first = {r["address"]: r for r in seen["first"]}
    second = {r["address"]: r for r in seen["second"]}
    # first run: the two records wait for a person, the clean one links
    assert seen["review_rows"] == 2
    for address in decisions:
        assert first[address]["matched_uprn"] in (None, "NULL") or str(first[address]["matched_uprn"]) == "NULL"
        assert first[address]["unmatched_reason"].startswith("postcode disagrees")
    assert str(first["31 Mill Lane"]["matched_uprn"]) == "3100"
    # the decisions were typed in the attribute table and saved
    assert seen["committed"], seen["commit_errors"]
    # second run: applied first, as decided
    assert seen["decisions_applied"] == 2
    assert str(second["12 High Street, Lindworth"]["matched_uprn"]) == "1200"
    assert second["12 High Street, Lindworth"]["match_method"] == "review"
    assert str(second["16 High St, Lindworth"]["matched_uprn"]) == "NULL"
    assert second["16 High St, Lindworth"]["unmatched_reason"].startswith("rejected in review")
    assert str(second["31 Mill Lane"]["matched_uprn"]) == "3100"
    assert done.returncode == 0, f"QGIS exited with {done.returncode}: {done.stderr[-1500:]}"
    assert (ARTEFACTS / "gui_review_decisions.png").stat().st_size > 10_000
