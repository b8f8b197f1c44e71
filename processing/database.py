"""PostGIS layers: how JoinedUp reads them in bulk, and the checks it makes before it writes a
table.

Reading: a plain PostGIS table is read straight through GDAL's PostgreSQL driver (a server-side
cursor, columnar), about 5x faster than QGIS's export of the layer to a GeoPackage, which reads
and writes feature by feature. Query layers, subset filters, selections and feature limits keep
going through QGIS's export, so that they mean exactly what QGIS shows. A password kept in a QGIS
authentication configuration is handed to GDAL in memory, never written or logged.

Writing: QGIS's own algorithms replace an existing table of the same name without a word, and
several analysts share an office database: JoinedUp never does.
"""
from __future__ import annotations

from qgis.core import (
    QgsDataSourceUri,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingOutputLayerDefinition,
    QgsProperty,
    QgsProviderRegistry,
)

DATABASE_PREFIXES = ("postgres://", "postgis:", "postgres:")


def is_database_destination(dest: str) -> bool:
    return dest.startswith(DATABASE_PREFIXES)


def _uri(dest: str) -> QgsDataSourceUri:
    for prefix in DATABASE_PREFIXES:
        if dest.startswith(prefix):
            return QgsDataSourceUri(dest[len(prefix):])
    return QgsDataSourceUri(dest)


def table_label(uri: QgsDataSourceUri) -> str:
    """``database: schema.table``, the way a user names a table (never a password)."""
    schema = f"{uri.schema()}." if uri.schema() else ""
    return f"{uri.database() or uri.service()}: {schema}{uri.table()}"


def refuse_existing_table(dest: str, parameter: str) -> None:
    """Stop before writing ``dest`` (a PostGIS destination) when its table already exists, an
    input of this run included; a connection that fails is reported the same way."""
    uri = _uri(dest)
    if not uri.table():
        return
    try:
        connection = QgsProviderRegistry.instance().providerMetadata("postgres").createConnection(uri.uri(False), {})
        exists = connection.tableExists(uri.schema() or "public", uri.table())
    except Exception as exc:  # QgsProviderConnectionException: no server, refused, no rights
        raise QgsProcessingException(
            f"Cannot reach the database for {parameter} ({table_label(uri)}): {exc}. Check the "
            "connection (Browser > PostgreSQL) and that the server is running.") from exc
    if exists:
        raise QgsProcessingException(
            f"The table {table_label(uri)} already exists; JoinedUp never replaces a table (another "
            f"analyst's, or one of this run's inputs). Give {parameter} a new table name, or drop the "
            "old table first (DB Manager, or Browser > PostgreSQL > Delete Table).")


def without_geometry_column(parameters: dict, name: str, dest: str) -> dict:
    """``parameters`` with destination ``name`` naming no geometry column, for a table without
    geometry. QGIS's "Save to PostGIS Table" names a ``geom`` column whenever an output may have
    geometry (an OD matrix as lines or as a table), and the postgres provider then refuses a
    table with none ("Loading of layer failed")."""
    uri = _uri(dest)
    if not uri.geometryColumn():
        return parameters
    uri.setGeometryColumn("")
    prefix = next(p for p in DATABASE_PREFIXES if dest.startswith(p)) if dest.startswith(DATABASE_PREFIXES) else ""
    value = prefix + uri.uri(False)
    changed = dict(parameters)
    original = parameters.get(name)
    if isinstance(original, QgsProcessingOutputLayerDefinition):
        definition = QgsProcessingOutputLayerDefinition(original)
        definition.sink = QgsProperty.fromValue(value)
        changed[name] = definition
    else:
        changed[name] = value
    return changed


def bulk_readable_table(layer, parameter_value) -> tuple[str, str] | None:
    """``(GDAL connection string, "schema.table")`` for a PostGIS layer that is a plain table read
    whole (no subset filter, query, selection, feature limit or filter expression); else None.
    The connection string may hold a password (from the layer's authentication configuration):
    give it to GDAL only, never to a message."""
    if layer is None or layer.providerType() != "postgres" or layer.subsetString():
        return None
    if isinstance(parameter_value, QgsProcessingFeatureSourceDefinition) and (
            parameter_value.selectedFeaturesOnly or parameter_value.featureLimit not in (-1, None)
            or parameter_value.filterExpression):
        return None
    uri = QgsDataSourceUri(layer.source())
    if not uri.table() or uri.table().lstrip().startswith("(") or uri.sql() or not uri.geometryColumn():
        return None
    connection = uri.connectionInfo(True)  # True: the auth configuration's user and password
    return "PG:" + connection, f"{uri.schema() or 'public'}.{uri.table()}"
