"""Metric work needs a projected CRS. One place decides what to do with the CRS of the
inputs: check they are set, bring them together, and pick a local projected CRS for
geographic data (distances in degrees are never taken as metres)."""
from __future__ import annotations

from .errors import InputError


def local_projected_crs(gdf):
    """The UTM zone (WGS 84, EPSG:326xx/327xx) that holds the centre of ``gdf``'s extent.

    Chosen from the data, not from a setting, so the same data always gets the same CRS.
    UTM keeps scale error under 0.04 % within its zone: enough for city-scale distances.
    """
    from pyproj import CRS

    wgs84 = gdf.to_crs("EPSG:4326") if gdf.crs is not None and not gdf.crs.equals("EPSG:4326") else gdf
    bounds = wgs84.geometry.dropna().total_bounds if len(wgs84) else None
    if bounds is None or not all(abs(b) < 1e9 for b in bounds):
        raise InputError(f"{_name(gdf)} has no usable geometry to choose a local projected CRS from.")
    lon = (bounds[0] + bounds[2]) / 2.0
    lat = (bounds[1] + bounds[3]) / 2.0
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"{_name(gdf)} has coordinates outside the range of longitude/latitude.")
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def require_crs(gdf, what: str | None = None):
    if gdf.crs is None:
        raise InputError(
            f"{what or _name(gdf)} has no coordinate reference system. Set the layer's CRS "
            "(Layer Properties > Source) before running this algorithm.")
    return gdf.crs


def ensure_projected(gdf, *, target=None, what: str | None = None):
    """``(gdf_in_metres, crs, note)``: ``gdf`` reprojected to ``target`` if given, else kept
    when already projected in metres, else moved to its local UTM zone. ``note`` says what
    was done ('' when nothing), for the log."""
    crs = require_crs(gdf, what)
    name = what or _name(gdf)
    if target is not None:
        if crs.equals(target):
            return gdf, target, ""
        return gdf.to_crs(target), target, f"{name} reprojected from {_label(crs)} to {_label(target)}."
    if crs.is_projected and _metre_units(crs):
        return gdf, crs, ""
    local = local_projected_crs(gdf)
    why = "is geographic (degrees)" if crs.is_geographic else "is not in metres"
    return gdf.to_crs(local), local, (
        f"{name} {why}: distances are computed in the local projected CRS {_label(local)}.")


def common_crs(frames: list, names: list | None = None):
    """Bring several GeoDataFrames to one metric CRS: the first frame's if it is projected in
    metres, else the local UTM zone of the first. Returns ``(frames, crs, notes)``."""
    names = names or [None] * len(frames)
    first, crs, note = ensure_projected(frames[0], what=names[0])
    out, notes = [first], [note] if note else []
    for frame, name in zip(frames[1:], names[1:]):
        moved, _, n = ensure_projected(frame, target=crs, what=name)
        out.append(moved)
        if n:
            notes.append(n)
    return out, crs, notes


def _metre_units(crs) -> bool:
    try:
        return all((axis.unit_name or "").lower() in ("metre", "meter", "m") for axis in crs.axis_info)
    except Exception:
        return False


def _label(crs) -> str:
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    return f"EPSG:{epsg} ({crs.name})" if epsg else getattr(crs, "name", str(crs))


def _name(gdf) -> str:
    return gdf.attrs.get("source_name", "The layer")
