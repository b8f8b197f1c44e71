"""DuckDB inside the user's QGIS: the memory and thread limits on the engine's real connections,
and the exit work-around (duckdb-python issue 531) guarded to the pinned DuckDB release."""
import os
import re
import sys

import pyogrio
import pytest
from conftest import REPO

ALG = "joinedup:linkaddresses"


@pytest.fixture(scope="module")
def small_town(tmp_path_factory, real_data):
    """One synthetic town's gazetteer and 300 council tax records with recording errors."""
    import gen_addresses as g

    folder = tmp_path_factory.mktemp("duckdb")
    gaz = g.make_gazetteer(1, seed=21, osm_path=real_data / "helsinki.osm.pbf")
    extract = g.make_agency_extract(gaz, 300, seed=22)
    gaz_path = folder / "gazetteer.gpkg"
    pyogrio.write_dataframe(gaz, gaz_path, layer="gazetteer")
    csv_path = folder / "council_tax.csv"
    extract.drop(columns=["true_uprn", "error_type"]).to_csv(csv_path, index=False, encoding="utf-8")
    return {"folder": folder, "gaz": gaz, "extract": extract, "gaz_path": str(gaz_path),
            "csv": str(csv_path)}


def _gib(text: str) -> float:
    """DuckDB's own rendering of a size ('5.8 GiB', '512.0 MiB') in GiB."""
    number, unit = re.fullmatch(r"([\d.]+) (GiB|MiB)", text).groups()
    return float(number) / (1 if unit == "GiB" else 1024)


def test_limits_applied_on_the_engine_connections(small_town):
    """Both of the engine's DuckDB connections (gazetteer preparation and matching) report,
    through DuckDB's own current_setting(), a quarter of the machine's physical memory (as the
    kernel's /proc/meminfo gives it, or the container's cap) and all usable cores but one, not DuckDB's defaults."""
    from joinedup.engine.errors import Feedback
    from joinedup.engine.linkage import link_addresses

    fb = Feedback()
    records = small_town["extract"].drop(columns=["true_uprn", "error_type", "uprn"])
    linked, _ = link_addresses(records, small_town["gaz"], address_fields=["address"],
                               postcode_field="postcode", ref_uprn_field="uprn",
                               ref_address_fields=["address"], ref_postcode_field="postcode",
                               cache_dir=None, feedback=fb)
    assert len(linked) == len(records)
    lines = [m for m in fb.messages if m.startswith("DuckDB for ")]
    assert {m.split(":")[0] for m in lines} == {"DuckDB for preparing the gazetteer", "DuckDB for matching"}
    with open("/proc/meminfo") as meminfo:
        total_gib = int(re.search(r"MemTotal:\s+(\d+) kB", meminfo.read()).group(1)) / 2**20
    for cap in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        if os.path.exists(cap):  # a container's cap, where lower ("max" or a huge number: none)
            text = open(cap).read().strip()
            total_gib = min(total_gib, int(text) / 2**30) if text.isdigit() else total_gib
            break
    expected_gib = max(512 / 1024, total_gib / 4)
    expected_threads = max(1, len(os.sched_getaffinity(0)) - 1)
    for line in lines:
        memory, threads = re.search(r"memory limit (.+?) \(.*\), (\d+) threads?$", line).groups()
        assert _gib(memory) == pytest.approx(expected_gib, abs=0.1), line  # DuckDB prints one decimal, truncated
        assert int(threads) == expected_threads, line
    # DuckDB left alone would take 80 % of the memory and every core
    import duckdb

    default = duckdb.connect().execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    assert _gib(default[0]) > 3 * expected_gib and default[1] == len(os.sched_getaffinity(0))


def test_exit_workaround_is_for_the_pinned_duckdb():
    """The release the work-around was written for is the exact pin in requirements.lock and the
    one installed, so the capsule is called; the call leaves DuckDB usable."""
    import duckdb

    from joinedup.engine.linkage_duckdb import DUCKDB_EXIT_WORKAROUND_VERSION, release_duckdb_default_connection

    pins = set(re.findall(r"^duckdb==([\w.]+)", (REPO / "requirements.lock").read_text(), re.M))
    assert pins == {DUCKDB_EXIT_WORKAROUND_VERSION}
    assert duckdb.__version__ == DUCKDB_EXIT_WORKAROUND_VERSION
    warnings = []
    duckdb.sql("SELECT 1").fetchall()  # makes the default connection
    assert release_duckdb_default_connection(warnings.append) == "capsule"
    assert warnings == []
    assert duckdb.sql("SELECT 42").fetchall() == [(42,)]  # a later use makes a new one


def test_exit_workaround_skipped_on_another_duckdb(monkeypatch):
    """Another DuckDB release: the private capsule is not called, the run gets one warning that
    names both versions and the fix, and nothing raises. A hook that became a function and fails
    is reported the same way."""
    import duckdb

    from joinedup.engine.linkage_duckdb import release_duckdb_default_connection

    warnings = []
    monkeypatch.setattr(duckdb, "__version__", "1.6.0")
    assert release_duckdb_default_connection(warnings.append) == "skipped"
    assert len(warnings) == 1 and "DuckDB 1.6.0" in warnings[0] and "duckdb==1.5.6" in warnings[0]
    assert release_duckdb_default_connection(None) == "skipped"  # no feedback: still no crash

    def broken():
        raise RuntimeError("changed")

    monkeypatch.setattr(duckdb, "_clean_default_connection", broken)
    warnings.clear()
    assert release_duckdb_default_connection(warnings.append) == "skipped"
    assert len(warnings) == 1 and "RuntimeError" in warnings[0]
    monkeypatch.setattr(duckdb, "_clean_default_connection", lambda: None)
    assert release_duckdb_default_connection(warnings.append) == "function"
    monkeypatch.delattr(duckdb, "_clean_default_connection")
    assert release_duckdb_default_connection(warnings.append) == "no hook"
    monkeypatch.delitem(sys.modules, "duckdb")
    assert release_duckdb_default_connection(warnings.append) == "not imported"


@pytest.mark.slow
def test_qgis_process_exits_cleanly_with_the_pinned_duckdb(small_town, tmp_path):
    """qgis_process runs the linkage with the pinned DuckDB and exits 0 with its results
    printed (without the work-around it aborts at exit), and without the skip warning."""
    import duckdb
    from qgis_process_helpers import qgis_process_run

    from joinedup.engine.linkage_duckdb import DUCKDB_EXIT_WORKAROUND_VERSION

    assert duckdb.__version__ == DUCKDB_EXIT_WORKAROUND_VERSION  # the same venv runs qgis_process
    out = tmp_path / "linked.gpkg"
    answer = qgis_process_run(ALG, {
        "INPUT": small_town["csv"], "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
        "REFERENCE": small_town["gaz_path"], "REF_UPRN_FIELD": "uprn",
        "REF_ADDRESS_FIELDS": ["address"], "REF_POSTCODE_FIELD": "postcode", "OUTPUT": str(out)},
        env={"JOINEDUP_QGIS_CONFIG": str(tmp_path / "profile")})
    assert answer["returncode"] == 0, answer["stderr"][-2000:]
    assert len(pyogrio.read_dataframe(answer["results"]["OUTPUT"])) == len(small_town["extract"])
    assert "exit clean-up" not in answer["stdout"] + answer["stderr"]
    assert re.search(r"DuckDB for matching: memory limit .+, \d+ threads?", answer["stdout"] + answer["stderr"])
