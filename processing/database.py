"""Database destinations (PostGIS): the checks JoinedUp makes before it writes a table.

QGIS's own algorithms replace an existing table of the same name without a word, and several
analysts share an office database: JoinedUp never does. Reading needs nothing here: PostGIS
layers (saved connections, URIs with a table or an SQL query, subset filters, selections) come
in through QGIS's feature sources like any other layer.
"""
from __future__ import annotations

from qgis.core import (
    QgsDataSourceUri,
    QgsProcessingException,
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
