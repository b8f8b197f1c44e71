"""`make demo DB=...`: the sample city in a PostGIS database, for the demo to read from and
write back to (scripts/demo.sh).

    .venv/bin/python scripts/demo_db.py load DSN SCHEMA SAMPLE_GPKG LAYER...
    .venv/bin/python scripts/demo_db.py export DSN SCHEMA OUT_FOLDER TABLE...

``load`` creates SCHEMA and writes each sample layer there as a table. It refuses a schema
that holds tables other than the demo's own (a schema of the office's is never touched) and
drops only the demo's own tables before loading, so the demo can run again. ``export`` copies
the recipe's output tables to GeoPackages in OUT_FOLDER for the demo's later steps. DSN is a
libpq connection string (``dbname=office host=db.example user=analyst``; keep the password
in ~/.pgpass or a service file, never on the command line).
"""
from __future__ import annotations

import sys


def connect(dsn: str):
    from osgeo import ogr

    source = ogr.Open("PG:" + dsn, update=1)
    if source is None:
        sys.exit("demo_db: cannot connect to the database")
    return source


def rows(source, sql: str) -> list:
    result = source.ExecuteSQL(sql)
    values = [tuple(f.GetField(i) for i in range(f.GetFieldCount())) for f in result] if result else []
    if result:
        source.ReleaseResultSet(result)
    return values


def load(dsn: str, schema: str, sample: str, layers: list, outputs: list) -> None:
    import pyogrio

    source = connect(dsn)
    mine = set(layers) | set(outputs)
    found = {name for (name,) in rows(source, f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}'")}
    strangers = sorted(found - mine)
    if strangers:
        sys.exit(f"demo_db: schema {schema} holds tables that are not the demo's ({', '.join(strangers[:5])}); "
                 "give the demo a schema of its own (DB_SCHEMA=...)")
    source.ExecuteSQL(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    for name in sorted(found):
        source.ExecuteSQL(f'DROP TABLE "{schema}"."{name}"')
    del source
    for name in layers:
        pyogrio.write_dataframe(pyogrio.read_dataframe(sample, layer=name), "PG:" + dsn, driver="PostgreSQL",
                                layer=f"{schema}.{name}", layer_options={"GEOMETRY_NAME": "geom", "FID": "fid"})
    print(f"demo_db: {len(layers)} sample layers in schema {schema}" +
          (f" (the demo's {len(found)} old tables replaced)" if found else ""))


def export(dsn: str, schema: str, folder: str, tables: list) -> None:
    import pyogrio

    for name in tables:
        frame = pyogrio.read_dataframe("PG:" + dsn, layer=f"{schema}.{name}")
        pyogrio.write_dataframe(frame, f"{folder}/{name}.gpkg", layer=name)


def main(argv: list) -> int:
    if len(argv) < 5 or argv[1] not in ("load", "export"):
        print(__doc__)
        return 2
    command, dsn, schema, where, names = argv[1], argv[2], argv[3], argv[4], argv[5:]
    if command == "load":
        split = names.index("--outputs") if "--outputs" in names else len(names)
        load(dsn, schema, where, names[:split], names[split + 1:])
    else:
        export(dsn, schema, where, names)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
