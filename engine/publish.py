"""Publishing a layer as open data: standardised (:func:`engine.opendata.standardise`),
anonymised (direct identifiers dropped; points aggregated to areas through disclosure control,
or donut-geomasked with their k-anonymity measured) and written as a Frictionless data package
with DCAT-style metadata and a data-quality report. No QGIS here.

The package folder holds ``<name>.csv`` (attributes with WGS84 and British National Grid
coordinates), ``<name>.geojson`` (WGS84, RFC 7946), ``<name>.gpkg`` (EPSG:27700),
``datapackage.json`` and ``data_quality.json``. It is written beside its destination and moved
into place whole, so a failed or cancelled run leaves nothing half-written.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InputError, as_feedback
from .identifiers import guess_identifier_fields, protect_identifiers
from .opendata import snake_case, standardise, unique_on

METHODS = ("aggregate", "geomask", "none")
BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
LICENCES = {
    "OGL-UK-3.0": ("Open Government Licence v3.0",
                   "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    "CC0-1.0": ("Creative Commons Zero 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
}
FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "annual", "irregular", "never")


@dataclass
class PackageMetadata:
    """What a catalogue needs to list the dataset (DCAT: dct:title, dct:description,
    dct:publisher, dct:license, dct:temporal, dct:spatial, dct:accrualPeriodicity)."""
    name: str
    title: str
    description: str = ""
    publisher: str = ""
    licence: str = "OGL-UK-3.0"
    update_frequency: str = "irregular"
    keywords: list = field(default_factory=list)


@dataclass
class PublishResult:
    folder: str
    rows_in: int
    rows_published: int
    files: dict
    quality: dict
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _aggregate(points, areas, area_id_field, category_field, threshold, fb):
    """Points counted per area (per category when given), protected by disclosure control."""
    import geopandas as gpd

    from .disclosure import apply_to_columns

    if area_id_field not in areas.columns:
        raise InputError(f"The area id field {area_id_field!r} is not in the areas layer; its fields are "
                         f"{', '.join(c for c in areas.columns if c != areas.geometry.name)}.")
    areas = areas[[area_id_field, areas.geometry.name]].to_crs(points.crs).reset_index(drop=True)
    located = points[points.geometry.notna() & ~points.geometry.is_empty]
    joined = gpd.sjoin(located, areas, how="inner", predicate="within")
    joined = joined[~joined.index.duplicated()]  # a point on a shared border counts once
    if category_field:
        cats = joined[category_field].astype("string").fillna("unknown")
        table = pd.crosstab(joined["index_right"], cats)
        table.columns = [f"count_{snake_case(c)}" for c in table.columns]
    else:
        table = joined.groupby("index_right").size().to_frame("count")
    table = table.reindex(range(len(areas)), fill_value=0)
    counts = list(table.columns)
    frame = pd.concat([areas, table.reset_index(drop=True)], axis=1)
    fb.check()
    protected, result = apply_to_columns(frame, counts, threshold=threshold, feedback=fb)
    note = (f"{len(joined)} points counted in {len(areas)} areas; {len(located) - len(joined)} outside every area "
            f"and {len(points) - len(located)} without a location are not counted. Disclosure control "
            f"(threshold {threshold}): {result.describe()}")
    return gpd.GeoDataFrame(protected, geometry=areas.geometry.name, crs=areas.crs), note


def _geomask(points, addresses, min_m, max_m, k_target, seed, fb):
    from .geomask import mask_points

    if points.crs is None or not points.crs.is_projected:
        raise InputError("Geomasking moves points by metres: the layer needs a projected CRS (e.g. EPSG:27700). "
                         "Reproject it first.")
    if addresses is None:
        raise InputError("Geomasking needs the address points (ADDRESSES) to measure k-anonymity against.")
    addresses = addresses.to_crs(points.crs)
    address_xy = addresses.geometry[addresses.geometry.notna() & ~addresses.geometry.is_empty]
    located = (points.geometry.notna() & ~points.geometry.is_empty).to_numpy()
    xy = points.geometry[located]
    result = mask_points(xy.x.to_numpy(), xy.y.to_numpy(), address_xy.x.to_numpy(), address_xy.y.to_numpy(),
                         min_distance_m=min_m, max_distance_m=max_m, k_target=k_target, seed=seed, feedback=fb)
    out = points.copy()
    geometry = out.geometry.copy()
    import shapely

    geometry[located] = shapely.points(result.x, result.y)
    out = out.set_geometry(geometry.to_numpy(), crs=points.crs)
    out["spatial_k"] = pd.array([None] * len(out), dtype="Int64")
    out.loc[located, "spatial_k"] = result.k
    return out, result


def _coordinates(gdf):
    """longitude/latitude (WGS84, 6 decimals, about 0.1 m) and easting/northing (British National
    Grid, whole metres) of each point, or of each area's representative point."""
    points = gdf.geometry if (gdf.geom_type.dropna() == "Point").all() else gdf.geometry.representative_point()
    out = gdf.copy()
    wgs, bng = points.to_crs(WGS84), points.to_crs(BNG)
    empty = points.isna() | points.is_empty
    for name, values, digits in (("longitude", wgs.x, 6), ("latitude", wgs.y, 6),
                                 ("easting", bng.x, 0), ("northing", bng.y, 0)):
        column = values.round(digits).where(~empty)
        out[name] = column.astype("Int64") if digits == 0 else column
    return out


def _field_type(series: pd.Series, date_names: set, name: str) -> str:
    if name in date_names:
        sample = series.dropna().astype(str)
        return "datetime" if sample.str.contains("T").any() else "date"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "string"


def _temporal(frame, date_names) -> dict:
    values = pd.concat([pd.to_datetime(frame[n], errors="coerce") for n in date_names]) if date_names else pd.Series()
    values = values.dropna()
    if values.empty:
        return {}
    return {"start": values.min().date().isoformat(), "end": values.max().date().isoformat()}


def publish(gdf, folder: str, metadata: PackageMetadata, *, method: str = "aggregate", areas=None,
            area_id_field: str | None = None, category_field: str | None = None, threshold: int = 10,
            addresses=None, min_distance_m: float = 50.0, max_distance_m: float = 250.0, k_target: int = 5,
            seed: int | None = None, drop_fields=(), quasi_identifiers=(), date_fields=None,
            area_code_field: str | None = None, area_codes=None, source_name: str = "the layer",
            feedback=None) -> PublishResult:
    """Standardise, anonymise and write ``gdf`` as an open-data package in ``folder`` (new or
    empty). ``method``: 'aggregate' (counts per area of ``areas``, by ``category_field``,
    disclosure control at ``threshold``), 'geomask' (donut masking between ``min_distance_m``
    and ``max_distance_m``, k-anonymity against ``addresses``) or 'none' (the rows as they are,
    for data that holds no people, e.g. facilities). Direct identifiers (named like a person's
    name, birth date, e-mail or phone, plus ``drop_fields``) are always dropped.
    ``quasi_identifiers``: fields whose combination could single a person out; rows unique on
    them are counted and warned about."""
    from .opendata import frictionless_module, validate_table

    fb = as_feedback(feedback)
    if method not in METHODS:
        raise InputError(f"Unknown anonymisation method {method!r}; use one of {', '.join(METHODS)}.")
    if metadata.licence not in LICENCES:
        raise InputError(f"Unknown licence {metadata.licence!r}; use one of {', '.join(LICENCES)}.")
    name = snake_case(metadata.name).replace("_", "-")
    if os.path.isdir(folder) and os.listdir(folder):
        raise InputError(f"The package folder {folder} is not empty: choose a new or empty folder "
                         "(a package is never written over other files).")
    if gdf.crs is None:
        raise InputError(f"{source_name} has no CRS: coordinates cannot be given in WGS84 and British National "
                         "Grid. Set the layer's CRS, then run again.")
    if not metadata.title.strip():
        raise InputError("The package needs a title (TITLE): it names the package and its files.")
    if method in ("aggregate", "geomask"):
        kinds = set(gdf.geom_type.dropna())
        if kinds - {"Point"}:
            raise InputError(f"{'Aggregating' if method == 'aggregate' else 'Geomasking'} needs single points; "
                             f"{source_name} has {', '.join(sorted(kinds - {'Point'}))} geometries. Publish areas "
                             "as they are, or split multipart points first (Vector > Geometry Tools > Multipart "
                             "to Singleparts).")
    missing = [f for f in (*drop_fields, *quasi_identifiers, *([category_field] if category_field else ()))
               if f not in gdf.columns]
    if missing:
        raise InputError(f"Field(s) {', '.join(missing)} not in {source_name}; its fields are "
                         f"{', '.join(c for c in gdf.columns if c != gdf.geometry.name)}.")
    warnings, notes, quality = [], [], {"source": source_name, "rows_in": len(gdf), "method": method}
    identifiers = sorted(set(guess_identifier_fields(gdf.columns)) | set(drop_fields))
    frame, id_note = protect_identifiers(gdf, identifiers, action="drop")
    quality["identifiers_dropped"] = identifiers
    if id_note:
        notes.append(id_note)
    frame, std = standardise(frame, date_fields=date_fields, area_field=area_code_field, area_codes=area_codes)
    notes += std.describe()
    quality["standardised"] = {"renamed": std.renamed, "unreadable_dates": std.dates, "not_postcodes": std.postcodes,
                               "area_codes_not_in_lookup": std.area_codes_unknown,
                               "area_codes_empty": std.area_codes_missing}
    temporal = _temporal(frame, list(std.dates))  # of the records, before any aggregation
    quasi = [snake_case(q) for q in quasi_identifiers]
    category = std.renamed.get(category_field, category_field) if category_field else None
    fb.set_progress(0.2)
    if method == "aggregate":
        if areas is None or not area_id_field:
            raise InputError("Aggregating to areas needs the areas layer (AREAS) and its id field (AREA_ID_FIELD).")
        frame, note = _aggregate(frame, areas, area_id_field, category, threshold, fb.sub(0.2, 0.6))
        notes.append(note)
        quality["disclosure_control"] = {"threshold": threshold, "note": note}
    elif method == "geomask":
        frame, masked = _geomask(frame, addresses, min_distance_m, max_distance_m, k_target, seed, fb.sub(0.2, 0.6))
        notes.append(masked.describe())
        quality["geomask"] = {"min_distance_m": min_distance_m, "max_distance_m": max_distance_m,
                              "k_target": k_target, "points": len(masked.k),
                              "k_min": int(masked.k.min()) if len(masked.k) else None,
                              "k_median": float(np.median(masked.k)) if len(masked.k) else None,
                              "below_target": masked.below_target}
        if masked.below_target:
            warnings.append(f"{masked.below_target} masked points have spatial k-anonymity below {k_target} "
                            "(fewer addresses than that as close to the true place as the masked point is): "
                            "raise the masking distances or aggregate to areas instead.")
    present_quasi = [q for q in quasi if q in frame.columns]
    unique = unique_on(frame, present_quasi)
    quality["quasi_identifiers"] = {"fields": present_quasi, "unique_rows": unique}
    if unique:
        warnings.append(f"{unique} published rows are the only one with their {', '.join(present_quasi)}: "
                        "someone who knows those could single the person out. Coarsen or drop a field.")
    frame = _coordinates(frame)
    date_names = set(std.dates) & set(frame.columns)
    schema = {"fields": [{"name": c, "type": _field_type(frame[c], date_names, c)}
                         for c in frame.columns if c != frame.geometry.name]}
    fb.set_progress(0.7)
    check = validate_table(frame, frictionless_module().Schema.from_descriptor(schema), personal_fields=())
    quality["schema_check"] = {"rows": check.rows, "rows_with_violations": check.rows_with_violations}
    quality["rows_published"] = len(frame)
    bbox = frame.to_crs(WGS84).total_bounds if frame.geometry.notna().any() else None
    files = _write(frame, folder, name, metadata, schema, quality, bbox, temporal, fb)
    return PublishResult(folder, len(gdf), len(frame), files, quality, warnings, notes)


def _write(frame, folder, name, metadata, schema, quality, bbox, temporal, fb) -> dict:
    parent = os.path.dirname(os.path.abspath(folder)) or "."
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".publishing-", dir=parent)
    try:
        attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        attributes.to_csv(os.path.join(staging, f"{name}.csv"), index=False, encoding="utf-8", lineterminator="\n")
        fb.check()
        frame.to_crs(WGS84).to_file(os.path.join(staging, f"{name}.geojson"), driver="GeoJSON", RFC7946="YES")
        frame.to_crs(BNG).to_file(os.path.join(staging, f"{name}.gpkg"), driver="GPKG", layer=name)
        fb.check()
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
        licence_title, licence_path = LICENCES[metadata.licence]
        spatial = {"bbox": [round(float(v), 6) for v in bbox], "crs": WGS84} if bbox is not None else {}
        package = {
            "name": name, "title": metadata.title, "description": metadata.description,
            "keywords": list(metadata.keywords), "created": now,
            "licenses": [{"name": metadata.licence, "title": licence_title, "path": licence_path}],
            "contributors": [{"title": metadata.publisher, "role": "publisher"}] if metadata.publisher else [],
            "publisher": metadata.publisher, "temporal": temporal, "spatial": spatial,
            "accrualPeriodicity": metadata.update_frequency,
            # The same facts under DCAT's own terms, for a catalogue that harvests DCAT.
            "dcat": {"dct:title": metadata.title, "dct:description": metadata.description,
                     "dct:publisher": metadata.publisher, "dct:license": licence_path, "dct:issued": now,
                     "dct:temporal": temporal, "dct:spatial": spatial,
                     "dct:accrualPeriodicity": metadata.update_frequency, "dcat:keyword": list(metadata.keywords)},
            "resources": [
                {"name": name, "path": f"{name}.csv", "format": "csv", "mediatype": "text/csv",
                 "encoding": "utf-8", "profile": "tabular-data-resource", "schema": schema},
                {"name": f"{name}-geojson", "path": f"{name}.geojson", "format": "geojson",
                 "mediatype": "application/geo+json"},
                {"name": f"{name}-geopackage", "path": f"{name}.gpkg", "format": "gpkg",
                 "mediatype": "application/geopackage+sqlite3"},
                {"name": "data-quality", "path": "data_quality.json", "format": "json",
                 "mediatype": "application/json"},
            ],
        }
        with open(os.path.join(staging, "data_quality.json"), "w", encoding="utf-8") as handle:
            json.dump(quality, handle, indent=2, default=str)
        with open(os.path.join(staging, "datapackage.json"), "w", encoding="utf-8") as handle:
            json.dump(package, handle, indent=2)
        if os.path.isdir(folder):
            os.rmdir(folder)  # empty (checked before any work)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {kind: os.path.join(folder, f) for kind, f in (
        ("csv", f"{name}.csv"), ("geojson", f"{name}.geojson"), ("gpkg", f"{name}.gpkg"),
        ("datapackage", "datapackage.json"), ("quality", "data_quality.json"))}
