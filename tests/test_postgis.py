"""JoinedUp against a real PostGIS server (tests/postgis_server.py starts a throw-away one):
agency layers read from PostGIS tables, query layers and subset filters, results written back
as tables, types, NULLs and CRS kept, existing tables never replaced, and a password kept in a
QGIS authentication configuration never written anywhere."""
from __future__ import annotations

import json
import subprocess

import pytest
from conftest import REPO, SAMPLE
from postgis_server import ANALYST_PASSWORD, start

pytestmark = pytest.mark.slow
SAMPLE_LAYERS = ("zones", "incidents", "inspections", "amenities", "roads", "clinics", "schools",
                 "gps_points", "collisions")


@pytest.fixture(scope="module")
def postgis():
    """A server holding the sample city's layers (public schema), the address sample, and a
    table of every field type with NULLs in a schema and table named as users do."""
    import pyogrio

    server, stop = start()
    try:
        for layer in SAMPLE_LAYERS:
            pyogrio.write_dataframe(pyogrio.read_dataframe(SAMPLE / "sample_city.gpkg", layer=layer),
                                    server.gdal(), driver="PostgreSQL", layer=layer,
                                    layer_options={"GEOMETRY_NAME": "geom", "FID": "fid"})
        pyogrio.write_dataframe(pyogrio.read_dataframe(SAMPLE / "addresses.gpkg", layer="gazetteer"),
                                server.gdal(), driver="PostgreSQL", layer="gazetteer",
                                layer_options={"GEOMETRY_NAME": "geom", "FID": "fid"})
        server.psql('CREATE SCHEMA "Agency Data"')
        # Every type an agency table has, NULL in each column of the second row, in
        # British National Grid (not the project's CRS), with capitals and a space in its name.
        server.psql('''CREATE TABLE "Agency Data"."Fire Visits 2025" (
            visit_id serial PRIMARY KEY, premises bigint, crew smallint, hours real, cost double precision,
            money numeric(10,2), notes text, category varchar(20), visited date, logged timestamp,
            urgent boolean, geom geometry(Point, 27700));
            INSERT INTO "Agency Data"."Fire Visits 2025"
                (premises, crew, hours, cost, money, notes, category, visited, logged, urgent, geom) VALUES
            (100012345678, 4, 1.5, 1234.5678, 99.95, 'Zoë''s café, “smoke”', 'domestic', '2025-03-04',
             '2025-03-04 10:15:00', true, ST_SetSRID(ST_MakePoint(530000, 180000), 27700)),
            (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             ST_SetSRID(ST_MakePoint(530050, 180020), 27700)),
            (100012345679, 2, 0.25, 0.5, 0, '', 'commercial', '2025-12-31', '2025-12-31 23:59:59', false,
             ST_SetSRID(ST_MakePoint(531000, 181000), 27700));''')
        server.psql('CREATE TABLE "Agency Data".districts AS SELECT 1 AS district_id, '
                    "'Central' AS name, ST_SetSRID(ST_MakeEnvelope(529000, 179000, 532000, 182000), 27700) AS geom")
        server.psql("GRANT USAGE ON SCHEMA \"Agency Data\" TO analyst; "
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public, \"Agency Data\" TO analyst")
        yield server
    finally:
        stop()


def pg(uri: str) -> str:
    return "postgres://" + uri


def columns(server, schema: str, table: str) -> dict:
    rows = server.psql(f"SELECT column_name, data_type FROM information_schema.columns "
                       f"WHERE table_schema = '{schema}' AND table_name = '{table}'")
    return dict(line.split("|") for line in rows.splitlines())


def test_join_from_postgis_into_postgis_equals_qgis(run_alg, postgis):
    """Two PostGIS tables in, a new PostGIS table out: the counts per zone equal QGIS's own
    summary join on the same tables, NULL and all."""
    zones, incidents = pg(postgis.uri("zones")), pg(postgis.uri("incidents"))
    run_alg("joinedup:joinbylocation", {"INPUT": zones, "JOIN": incidents, "METHOD": 3, "SUMMARIES": [0],
                                        "JOIN_FIELDS": ["incident_id"],
                                        "OUTPUT": pg(postgis.uri("zones_incidents"))})
    run_alg("native:joinbylocationsummary", {"INPUT": zones, "JOIN": incidents, "PREDICATE": [0], "SUMMARIES": [0],
                                             "JOIN_FIELDS": ["incident_id"],
                                             "OUTPUT": pg(postgis.uri("zones_incidents_qgis"))})
    ours = dict(line.split("|") for line in postgis.psql(
        "SELECT zone_id, coalesce(incident_id_count, 0) FROM zones_incidents").splitlines())
    theirs = dict(line.split("|") for line in postgis.psql(
        "SELECT zone_id, coalesce(incident_id_count, 0) FROM zones_incidents_qgis").splitlines())
    assert ours == theirs and len(ours) == 150
    assert postgis.psql("SELECT count(*) FROM zones_incidents") == "150"
    assert postgis.psql("SELECT Find_SRID('public', 'zones_incidents', 'geom')") == "3067"


def test_types_nulls_schema_and_crs_round_trip(run_alg, postgis):
    """A table in a schema with a space, a name with capitals and a space, every field type and
    NULLs, in EPSG:27700: the output (in a schema of the user's) has the same values, types
    (as QGIS maps them) and CRS as the source."""
    source = postgis.uri("Fire Visits 2025", schema="Agency Data", key="visit_id")
    districts = postgis.uri("districts", schema="Agency Data")
    target = postgis.uri("Fire Visits joined", schema="Agency Data")
    run_alg("joinedup:joinbylocation", {"INPUT": pg(source), "JOIN": pg(districts), "METHOD": 1,
                                        "OUTPUT": pg(target)})
    assert postgis.psql("""SELECT Find_SRID('Agency Data', 'Fire Visits joined', 'geom')""") == "27700"
    fields = ("premises, crew, hours, cost, money::float8, notes, category, visited, logged, urgent, "
              "ST_AsText(geom)")
    before = postgis.psql(f'SELECT {fields} FROM "Agency Data"."Fire Visits 2025" ORDER BY visit_id')
    after = postgis.psql(f'SELECT {fields} FROM "Agency Data"."Fire Visits joined" ORDER BY visit_id')
    assert after == before
    assert postgis.psql('SELECT count(*) FROM "Agency Data"."Fire Visits joined" WHERE premises IS NULL '
                        "AND notes IS NULL AND visited IS NULL AND urgent IS NULL") == "1"
    types = columns(postgis, "Agency Data", "Fire Visits joined")
    assert types["premises"] == "bigint" and types["urgent"] == "boolean"
    assert types["visited"] == "date" and types["logged"].startswith("timestamp")
    assert types["hours"] in ("real", "double precision") and types["notes"] in ("text", "character varying")
    names = postgis.psql('SELECT string_agg(name, \',\') FROM "Agency Data"."Fire Visits joined"')
    assert names == "Central,Central,Central"


def test_query_layer_and_subset_filter(run_alg, postgis):
    """A subset filter (QGIS's provider filter) and an SQL query layer are read as QGIS shows
    them: only the filtered features count."""
    severe = postgis.uri("incidents", sql="severity >= 4")
    run_alg("joinedup:joinbylocation", {"INPUT": pg(postgis.uri("zones")), "JOIN": pg(severe), "METHOD": 3,
                                        "SUMMARIES": [0], "JOIN_FIELDS": ["incident_id"],
                                        "OUTPUT": pg(postgis.uri("zones_severe"))})
    expected = postgis.psql("SELECT count(*) FROM incidents i JOIN zones z ON ST_Intersects(z.geom, i.geom) "
                            "WHERE i.severity >= 4")
    assert postgis.psql("SELECT sum(incident_id_count) FROM zones_severe") == expected
    query = postgis.uri("(SELECT fid AS qid, geom, type FROM incidents WHERE type IS NOT NULL LIMIT 300)",
                        schema="", key="qid")
    run_alg("joinedup:joinbylocation", {"INPUT": pg(postgis.uri("zones")), "JOIN": pg(query), "METHOD": 3,
                                        "SUMMARIES": [0], "JOIN_FIELDS": ["type"],
                                        "OUTPUT": pg(postgis.uri("zones_query"))})
    assert int(postgis.psql("SELECT sum(type_count) FROM zones_query")) <= 300


def test_an_existing_table_is_never_replaced(run_alg, postgis):
    """Writing to a table that exists stops with a message and leaves the table as it was
    (QGIS's own algorithms replace it without a word)."""
    postgis.psql("CREATE TABLE keep_me AS SELECT 1 AS precious")
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="already exists"):
        run_alg("joinedup:joinbylocation", {"INPUT": pg(postgis.uri("zones")), "JOIN": pg(postgis.uri("clinics")),
                                            "METHOD": 3, "OUTPUT": pg(postgis.uri("keep_me"))})
    assert postgis.psql("SELECT precious FROM keep_me") == "1"
    # an input is never an output either
    with pytest.raises(QgsProcessingException, match="already exists"):
        run_alg("joinedup:joinbylocation", {"INPUT": pg(postgis.uri("zones")), "JOIN": pg(postgis.uri("clinics")),
                                            "METHOD": 3, "OUTPUT": pg(postgis.uri("zones"))})
    assert postgis.psql("SELECT count(*) FROM zones") == "150"


def test_a_failed_connection_gives_a_message_and_writes_nothing(run_alg, postgis, tmp_path):
    from qgis.core import QgsProcessingException

    gone = postgis.uri("zones").replace(postgis.socket_dir, str(tmp_path / "no-server"))
    out = tmp_path / "out.gpkg"
    with pytest.raises(QgsProcessingException) as error:
        run_alg("joinedup:joinbylocation", {"INPUT": pg(gone), "JOIN": pg(postgis.uri("clinics")), "METHOD": 3,
                                            "OUTPUT": str(out)})
    assert "INPUT" in str(error.value) or "Could not load" in str(error.value)
    assert not out.exists()


def test_password_in_an_auth_config_never_lands_in_outputs_logs_or_provenance(run_alg, postgis, tmp_path):
    """The analyst's password lives in QGIS's authentication database; the layers name only the
    configuration's id. Nothing JoinedUp writes (the output table, the log, the provenance file,
    the evidence pack and its project) holds the password; provenance names the table."""
    from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsProcessingFeedback

    manager = QgsApplication.authManager()
    if not manager.masterPasswordIsSet():
        assert manager.setMasterPassword("joinedup-test-master", True)
    config = QgsAuthMethodConfig()
    config.setName("office database (tests)")
    config.setMethod("Basic")
    config.setConfig("username", "analyst")
    config.setConfig("password", ANALYST_PASSWORD)
    assert manager.storeAuthenticationConfig(config)[0]
    authcfg = config.id()
    feedback = QgsProcessingFeedback()
    output = postgis.uri("zones_by_analyst", schema="agency_data", authcfg=authcfg)
    run_alg("joinedup:joinbylocation", {
        "INPUT": pg(postgis.uri("zones", authcfg=authcfg)), "JOIN": pg(postgis.uri("incidents", authcfg=authcfg)),
        "METHOD": 3, "OUTPUT": pg(output)}, feedback=feedback)
    assert postgis.psql("SELECT count(*) FROM agency_data.zones_by_analyst") == "150"
    assert postgis.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'zones_by_analyst'") == "analyst"
    provenance, pdf, qgz = tmp_path / "provenance.json", tmp_path / "pack.pdf", tmp_path / "pack.qgz"
    run_alg("joinedup:evidencepack", {"INPUT": pg(output), "FIELD": "population", "PROVENANCE": str(provenance),
                                      "OUTPUT": str(pdf), "OUTPUT_PROJECT": str(qgz)}, feedback=feedback)
    for path in (provenance, pdf, qgz):
        assert ANALYST_PASSWORD.encode() not in path.read_bytes(), f"the password is in {path.name}"
    subprocess.run(["unzip", "-o", "-q", str(qgz), "-d", str(tmp_path / "qgz")], check=True)
    for path in (tmp_path / "qgz").iterdir():
        assert ANALYST_PASSWORD.encode() not in path.read_bytes(), f"the password is in {path.name}"
    assert ANALYST_PASSWORD not in feedback.textLog()
    inputs = json.loads(provenance.read_text())["steps"][-1]["inputs"]
    assert {"provider": "postgres", "table": "office: agency_data.zones_by_analyst"}.items() <= inputs[0].items()


def test_a_password_typed_into_a_uri_is_redacted_in_provenance(run_alg, postgis, tmp_path):
    """A user who types the password into the connection string still never finds it in the
    provenance file or the printed pack: it is replaced by '***' there."""
    typed = postgis.uri("zones").replace("user='joinedup'", f"user='joinedup' password='{ANALYST_PASSWORD}'")
    provenance, pdf = tmp_path / "provenance.json", tmp_path / "pack.pdf"
    run_alg("joinedup:evidencepack", {"INPUT": pg(typed), "FIELD": "population", "PROVENANCE": str(provenance),
                                      "OUTPUT": str(pdf)})
    text = provenance.read_text()
    assert ANALYST_PASSWORD not in text and "password=***" in text
    assert ANALYST_PASSWORD.encode() not in pdf.read_bytes()


def test_the_recipe_model_reads_and_writes_postgis(plugin, postgis):
    """The shipped devolution recipe, every input a PostGIS table and every output a new one:
    one run covers the area profile, accessibility, coverage gaps, location-allocation,
    hotspots, map matching, flows, shared routes and the priority index."""
    from qgis import processing
    from qgis.core import (
        QgsProcessing,
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingModelAlgorithm,
        QgsProject,
    )

    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(REPO / "resources" / "models" / "devolution_evidence.model3"))
    parameters = {}
    for definition in model.parameterDefinitions():
        name = definition.name().lower()
        if definition.isDestination():  # a table without geometry gets no geometry column, as
            # QGIS's "Save to PostGIS Table" dialog does
            has_geometry = definition.dataType() != QgsProcessing.SourceType.TypeVector
            parameters[definition.name()] = pg(postgis.uri(f"recipe_{name}", schema="agency_data",
                                                           geometry="geom" if has_geometry else None))
        elif name in SAMPLE_LAYERS:
            parameters[definition.name()] = pg(postgis.uri(name))
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    processing.run(model, parameters, context=context, feedback=QgsProcessingFeedback())
    written = postgis.psql("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'agency_data' "
                           "AND tablename LIKE 'recipe_%'").split(",")
    destinations = [d.name().lower() for d in model.parameterDefinitions() if d.isDestination()]
    assert sorted(written) == sorted(f"recipe_{d}" for d in destinations)
    assert postgis.psql("SELECT count(*) FROM agency_data.recipe_priority_index") == "150"


def _others(postgis, tmp_path):
    """(algorithm, parameters, outputs written to PostGIS) for every algorithm the recipe model
    does not run; each reads PostGIS tables and writes its vector outputs as new tables."""
    t = postgis.uri
    roads, clinics, schools = pg(t("roads")), pg(t("clinics")), pg(t("schools"))
    few_incidents = pg(t("incidents", sql="incident_id <= 40"))
    out = lambda name, geometry="geom": pg(t(f"alg_{name}", schema="agency_data", geometry=geometry))  # noqa: E731
    return [
        ("joinedup:checknetwork", {"INPUT": roads, "OUTPUT": out("checknetwork"), "PROBLEMS": out("problems")},
         ["alg_checknetwork"]),
        ("joinedup:closestfacility", {"INPUT": roads, "INCIDENTS": few_incidents, "FACILITIES": clinics,
                                      "OUTPUT": out("closestfacility")}, ["alg_closestfacility"]),
        ("joinedup:serviceareas", {"INPUT": roads, "FACILITIES": clinics, "BANDS": "500,1000",
                                   "OUTPUT": out("serviceareas")}, ["alg_serviceareas"]),
        ("joinedup:odmatrix", {"INPUT": roads, "ORIGINS": clinics, "DESTINATIONS": schools,
                               "OUTPUT": out("odmatrix")}, ["alg_odmatrix"]),
        ("joinedup:shortestpath", {"INPUT": roads, "ORIGINS": clinics, "DESTINATIONS": schools, "PAIRING": 1,
                                   "OUTPUT": out("shortestpath")}, ["alg_shortestpath"]),
        ("joinedup:joinnearest", {"INPUT": few_incidents, "INPUT_2": clinics, "OUTPUT": out("joinnearest")},
         ["alg_joinnearest"]),
        ("joinedup:density", {"INPUT": pg(t("incidents")), "RADIUS": 150, "PIXEL_SIZE": 25,
                              "OUTPUT": str(tmp_path / "density.tif")}, []),
        ("joinedup:disclosurecontrol", {"INPUT": pg(t("zones")), "FIELDS": ["population"],
                                        "OUTPUT": out("disclosurecontrol")}, ["alg_disclosurecontrol"]),
        ("joinedup:evidencemap", {"INPUT": pg(t("zones")), "FIELD": "population",
                                  "OUTPUT_PDF": str(tmp_path / "map.pdf")}, []),
        ("joinedup:linkaddresses", {"INPUT": pg(t("council_tax", geometry=None)), "ADDRESS_FIELDS": ["address"],
                                    "POSTCODE_FIELD": "postcode", "REFERENCE": pg(t("gazetteer")),
                                    "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"],
                                    "REF_POSTCODE_FIELD": "postcode", "OUTPUT": out("council_tax_linked")},
         ["alg_council_tax_linked"]),
        ("joinedup:propertyprofile", {"SOURCES": [pg(t("alg_council_tax_linked", schema="agency_data"))],
                                      "RULES": "empty | 1 | \"alg_council_tax_linked_occupancy\" = 'empty'",
                                      "OUTPUT": out("profiles", None), "TARGETS": out("targets", None)},
         ["alg_profiles", "alg_targets"]),
    ]


def test_every_other_algorithm_reads_and_writes_postgis(run_alg, postgis, tmp_path):
    """With the recipe model above, every JoinedUp algorithm runs once on PostGIS input and
    writes its layers as new PostGIS tables, each with the features the run reported."""
    import pyogrio

    council_tax = pyogrio.read_dataframe(SAMPLE / "council_tax.csv")
    pyogrio.write_dataframe(council_tax, postgis.gdal(), driver="PostgreSQL", layer="council_tax")
    for algorithm, parameters, tables in _others(postgis, tmp_path):
        run_alg(algorithm, parameters)
        for table in tables:
            rows = int(postgis.psql(f"SELECT count(*) FROM agency_data.{table}"))
            assert rows > 0, f"{algorithm} wrote an empty {table}"
    linked = postgis.psql("SELECT count(*) FROM agency_data.alg_council_tax_linked")
    assert int(linked) == len(council_tax)  # every record kept, matched or not
    assert (tmp_path / "density.tif").stat().st_size > 0 and (tmp_path / "map.pdf").stat().st_size > 0


def test_make_demo_reads_and_writes_postgis(postgis, tmp_path):
    """`make demo DB=...`: the recipe reads the sample city from PostGIS and writes its layers
    back as new tables in the demo's schema; the pack is printed; a second run replaces only
    the demo's own tables; a schema holding someone else's table is refused."""
    import os

    env = dict(os.environ, JOINEDUP_DB=postgis.dsn(), JOINEDUP_DB_SCHEMA="demo_run", JOINEDUP_OUT=str(tmp_path / "out"))
    for _attempt in (1, 2):
        done = subprocess.run(["bash", str(REPO / "scripts" / "demo.sh")], capture_output=True, text=True, env=env,
                              timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / "out" / "evidence_pack.pdf").stat().st_size > 0
    tables = set(postgis.psql(
        "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'demo_run'").split(","))
    assert {"zones", "roads", "priority_index", "coverage_summary", "flows"} <= tables
    assert postgis.psql("SELECT count(*) FROM demo_run.priority_index") == "150"
    postgis.psql("CREATE TABLE demo_run.someone_elses (x int)")
    refused = subprocess.run(["bash", str(REPO / "scripts" / "demo.sh")], capture_output=True, text=True, env=env,
                             timeout=900)
    assert refused.returncode != 0 and "not the demo's" in refused.stdout + refused.stderr
    assert postgis.psql("SELECT count(*) FROM demo_run.someone_elses") == "0"
