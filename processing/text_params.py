"""Parameters shared by the algorithms that read agency text tables (CSV): the encoding choice,
and the reading of an agency table (text read as text, any other OGR table through the bridge).
Both read through ``engine.identifiers.read_text_table``, whose ``auto`` sniffs UTF-8 (with or
without a byte-order mark) and falls back to Windows-1252."""

ENCODING_OPTIONS = ["Sniff (UTF-8, UTF-8 with BOM, else Windows-1252)", "UTF-8", "Windows-1252", "ISO-8859-1"]
ENCODING_KEYS = ["auto", "utf-8", "windows-1252", "iso-8859-1"]

# OGR's driver for delimited text (CSV, TSV): the only tables read here as text, with the chosen
# encoding. Everything else OGR opens (a MapInfo .TAB, a spreadsheet, a GeoPackage) is a table
# with typed fields and is read through the bridge, whatever its file name ends with.
OGR_TEXT_DRIVER = "CSV"


def read_agency_table(alg, parameters, name, context, feedback, encoding_key):
    """The agency table named ``name`` as a DataFrame, with a note for the log.

    A delimited-text file opened by OGR's CSV driver (a path, or a layer added from one) is read
    here with the chosen encoding, because OGR reads every CSV as UTF-8 and Windows-1252 text
    would arrive garbled. Any other source (a MapInfo .TAB table, a delimited-text layer, which
    decodes with the encoding set in its own properties, a spreadsheet, a GeoPackage, a selection
    or filtered layer) goes through the bridge as QGIS provides it.
    """
    import os

    from qgis.core import QgsProcessingFeatureSourceDefinition

    from ..engine.identifiers import read_text_table
    from . import bridge

    layer = alg.parameterAsVectorLayer(parameters, name, context)
    value = parameters.get(name)
    filtered = isinstance(value, QgsProcessingFeatureSourceDefinition) and (
        value.selectedFeaturesOnly or value.featureLimit != -1 or bool(value.filterExpression))
    if (layer is not None and layer.providerType() == "ogr" and not filtered and not layer.subsetString()
            and layer.dataProvider().storageType() == OGR_TEXT_DRIVER):
        path = layer.source().split("|")[0]
        if os.path.isfile(path):
            frame, used = read_text_table(path, encoding=encoding_key)
            frame.attrs["source_name"] = layer.name()
            return frame, f"{layer.name()}: {len(frame)} records read from {os.path.basename(path)} as {used}"
    gdf, report = bridge.read_source(alg, parameters, name, context, feedback)
    note = report.describe()
    text_columns = [c for c in gdf.columns if c != gdf.geometry.name and gdf[c].dtype == object]
    garbled = sum(int(gdf[c].astype("string").str.contains("\ufffd", regex=False).sum()) for c in text_columns)
    if garbled:
        feedback.pushWarning(
            f"{gdf.attrs.get('source_name', name)}: {garbled} values hold characters that could not "
            "be decoded; set the layer's encoding (Layer Properties > Source, e.g. Windows-1252) "
            "or give the file's path with this algorithm's ENCODING.")
    return gdf, note
