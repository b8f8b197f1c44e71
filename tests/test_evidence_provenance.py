"""The provenance format (engine/provenance.py), the shell helper scripts/provenance.py, and
the pack's findings (engine/evidence.py), without QGIS."""
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

from joinedup.engine import evidence as ev
from joinedup.engine import provenance as pv
from joinedup.engine.errors import InputError


@pytest.fixture()
def sample():
    path = REPO / "resources" / "sample" / "sample_city.gpkg"
    assert path.exists(), "resources/sample/sample_city.gpkg is missing (make sample)"
    return path


def test_describe_file_counts_features_and_hashes(sample):
    import hashlib

    import pyogrio

    record = pv.describe_file(f"{sample}|layername=zones", parameter="AREAS")
    assert record["layer"] == "zones" and record["parameter"] == "AREAS"
    assert record["features"] == pyogrio.read_info(sample, layer="zones")["features"] == 150
    assert record["crs"] == "EPSG:3067"
    assert record["sha256"] == hashlib.sha256(sample.read_bytes()).hexdigest()
    # Counts given by QGIS (which respects filters) win over the file's own count.
    assert pv.describe_file(str(sample), features=7)["features"] == 7


def test_append_numbers_steps_and_reads_back(tmp_path, sample):
    path = tmp_path / "provenance.json"
    for i in range(3):
        stored = pv.append_step(str(path), {"algorithm": f"alg{i}", "parameters": {"K": np.int64(i)},
                                            "inputs": [pv.describe_file(str(sample))]})
        assert stored["step"] == i + 1
    doc = pv.read(str(path))
    assert [s["algorithm"] for s in doc["steps"]] == ["alg0", "alg1", "alg2"]
    assert doc["steps"][2]["parameters"] == {"K": 2}
    assert not (tmp_path / "provenance.json.lock").exists()


def test_bad_provenance_files_give_clear_messages(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="could not be read as JSON"):
        pv.read(str(bad))
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(InputError, match="not a JoinedUp provenance file"):
        pv.read(str(bad))
    with pytest.raises(InputError, match="folder does not exist"):
        pv.append_step(str(tmp_path / "no" / "p.json"), {"algorithm": "x"})
    with pytest.raises(InputError, match="needs an 'algorithm'"):
        pv.append_step(str(tmp_path / "p.json"), {})


def test_script_appends_a_step_from_qgis_process_json(tmp_path, sample):
    result = {"algorithm_details": {"id": "joinedup:areaprofile", "name": "Area profile"},
              "inputs": {"AREAS": f"{sample}|layername=zones", "LAYERS": [f"{sample}|layername=incidents"],
                         "OUTPUT": str(sample)},
              "results": {"OUTPUT": str(sample)}, "qgis_version": "3.40.6"}
    step_file = tmp_path / "step.json"
    step_file.write_text("some log line\n" + json.dumps(result))
    prov = tmp_path / "provenance.json"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "provenance.py"), "append",
                           str(prov), str(step_file)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    step = pv.read(str(prov))["steps"][0]
    assert step["algorithm"] == "joinedup:areaprofile"
    counts = {i["layer"]: i["features"] for i in step["inputs"]}
    assert counts == {"zones": 150, "incidents": 2500}
    assert [o["parameter"] for o in step["outputs"]] == ["OUTPUT"]
    shown = subprocess.run([sys.executable, str(REPO / "scripts" / "provenance.py"), "show", str(prov)],
                           capture_output=True, text=True)
    assert "1. joinedup:areaprofile [zones: 150, incidents: 2500]" in shown.stdout


def test_top_areas_and_summary_by_hand():
    values = [5, None, 9, 1, 9, float("nan"), 3]
    names = ["a", "b", "c", None, "e", "f", "g"]
    top = ev.top_areas(values, names, n=3)
    assert top["name"].tolist() == ["c", "e", "a"]  # tie 9/9 keeps input order
    assert top["value"].tolist() == [9, 9, 5]
    low = ev.top_areas(values, names, n=2, highest=False)
    assert low["name"].tolist() == ["Feature 4", "g"]  # no name: its position
    s = ev.summarise(values)
    assert (s.n, s.n_null, s.minimum, s.maximum, s.median, s.total) == (5, 2, 1, 9, 5, 27)
    text = ev.findings_text(s, top, field="rate", units="per 1,000")
    assert "The highest is c (9 per 1,000)" in text and "2 areas have no value" in text
    with pytest.raises(InputError):
        ev.top_areas([None, None], ["a", "b"])
