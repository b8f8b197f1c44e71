"""Distances are ground metres in every CRS. One place decides how the inputs are measured:
check their CRS is set, keep a layer's own CRS only where it measures true (axes in metres
and scale error under :data:`SCALE_TOLERANCE` across the data, from the projection's own
scale factors), otherwise move the data to a local conformal projection and say so.

Why the scale factors and not just "projected, in metres": Web Mercator (EPSG:3857) is
projected in metres yet its scale is 1/cos(latitude), 1.56 at Prague and 1.62-1.74 over the
UK; a UTM zone used 10 degrees of longitude from its central meridian is 0.3 % long at 60 N.
Distances in degrees or feet are never taken as metres."""
from __future__ import annotations

from .errors import InputError

#: Largest relative scale error (|k - 1|) a layer's own CRS may have across the data's extent
#: for its coordinates to be used as ground metres: 0.1 %.
SCALE_TOLERANCE = 1e-3

# Points sampled along each side of the data's extent for the scale error: the scale of a
# conformal or cylindrical projection changes smoothly, so its largest error over a box is at
# the box's edges and a 9 x 9 grid (corners included) finds it to well under 0.01 %.
_SAMPLES = 9


def scale_error(crs, bounds) -> float:
    """The largest relative scale error of ``crs`` over ``bounds`` (minx, miny, maxx, maxy in
    ``crs``): max |h - 1|, |k - 1| of the meridional and parallel scale factors that PROJ
    computes for the projection (``pyproj.Proj.get_factors``), sampled on a grid over the
    extent. ``inf`` for a geographic CRS (degrees are not lengths) or where PROJ cannot tell."""
    import numpy as np
    from pyproj import CRS, Proj, Transformer

    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        return float("inf")
    minx, miny, maxx, maxy = bounds
    gx, gy = np.meshgrid(np.linspace(minx, maxx, _SAMPLES), np.linspace(miny, maxy, _SAMPLES))
    try:
        to_geographic = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        lon, lat = to_geographic.transform(gx.ravel(), gy.ravel())
        factors = Proj(crs).get_factors(np.asarray(lon), np.asarray(lat))
        scales = np.concatenate([np.asarray(factors.meridional_scale, dtype=float),
                                 np.asarray(factors.parallel_scale, dtype=float)])
    except Exception:  # a projection PROJ has no factors for: never trusted as metres
        return float("inf")
    if scales.size == 0 or not np.isfinite(scales).all():
        return float("inf")
    return float(np.abs(scales - 1.0).max())


def metric_crs_for(gdf):
    """``(crs, error, kept)``: the CRS to measure ``gdf`` in, its scale error over the data,
    and whether that is the layer's own CRS. The own CRS is kept when its axes are in metres
    and its scale error is under :data:`SCALE_TOLERANCE`; else the UTM zone (WGS 84) holding
    the data's centre, or, where that zone is too distorted over the data (data spanning
    zones or far from the zone's meridian), a transverse Mercator centred on the data."""
    crs = require_crs(gdf)
    metres = crs.is_projected and _metre_units(crs)
    if metres and _extent(gdf) is None:
        return crs, 0.0, True  # nothing to measure: the empty layer keeps its CRS
    bounds = _bounds(gdf)
    if metres:
        own_error = scale_error(crs, bounds)
        if own_error < SCALE_TOLERANCE:
            return crs, own_error, True
    local = local_projected_crs(gdf)
    error = scale_error(local, _bounds_in(gdf, local))
    if error >= SCALE_TOLERANCE:
        local = _centred_tm(gdf)
        error = scale_error(local, _bounds_in(gdf, local))
    return local, error, False


def local_projected_crs(gdf):
    """The UTM zone (WGS 84, EPSG:326xx/327xx) that holds the centre of ``gdf``'s extent.

    Chosen from the data, not from a setting, so the same data always gets the same CRS.
    UTM keeps scale error under 0.04 % near its central meridian (up to 0.1 % at a zone's
    edge near the equator): :func:`metric_crs_for` checks it over the data.
    """
    from pyproj import CRS

    lon, lat = _centre_lonlat(gdf)
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
    when its own CRS measures true in metres over the data (:func:`metric_crs_for`), else
    moved to a local conformal projection. ``note`` says what was done and why, with the
    measured scale errors ('' when nothing was done), for the log."""
    crs = require_crs(gdf, what)
    name = what or _name(gdf)
    if target is not None:
        if crs.equals(target):
            return gdf, target, ""
        return gdf.to_crs(target), target, f"{name} reprojected from {_label(crs)} to {_label(target)}."
    metric, error, kept = metric_crs_for(gdf)
    if kept:
        return gdf, crs, ""
    if crs.is_geographic:
        why = "is geographic (degrees)"
    elif not _metre_units(crs):
        why = f"is in {_unit_name(crs)} units, not metres"
    else:
        why = (f"is in {_label(crs)}, whose scale error across the data is "
               f"{_percent(scale_error(crs, _bounds(gdf)))} (more than {_percent(SCALE_TOLERANCE)})")
    return gdf.to_crs(metric), metric, (
        f"{name} {why}: distances are computed in the local projected CRS {_label(metric)}, "
        f"whose scale error across the data is {_percent(error)}, so every distance is in ground metres.")


def common_crs(frames: list, names: list | None = None):
    """Bring several GeoDataFrames to one metric CRS: the first frame's if it measures true
    (:func:`ensure_projected`), else the first's local projected CRS. Returns
    ``(frames, crs, notes)``."""
    names = names or [None] * len(frames)
    first, crs, note = ensure_projected(frames[0], what=names[0])
    out, notes = [first], [note] if note else []
    for frame, name in zip(frames[1:], names[1:]):
        moved, _, n = ensure_projected(frame, target=crs, what=name)
        out.append(moved)
        if n:
            notes.append(n)
    return out, crs, notes


def _centred_tm(gdf):
    """A transverse Mercator (scale 1, WGS 84) centred on the data: conformal, and under 0.1 %
    scale error within about 300 km of its centre line. Named after its centre for the log."""
    from pyproj.crs import GeographicCRS, ProjectedCRS
    from pyproj.crs.coordinate_operation import TransverseMercatorConversion

    lon, lat = _centre_lonlat(gdf)
    conversion = TransverseMercatorConversion(latitude_natural_origin=round(lat, 6),
                                              longitude_natural_origin=round(lon, 6),
                                              scale_factor_natural_origin=1.0)
    return ProjectedCRS(conversion, name=f"Transverse Mercator centred on {lat:.4f}, {lon:.4f} (WGS 84)",
                        geodetic_crs=GeographicCRS())


def _centre_lonlat(gdf):
    minx, miny, maxx, maxy = _bounds_in(gdf, "EPSG:4326")
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"{_name(gdf)} has coordinates outside the range of longitude/latitude.")
    return lon, lat


def _bounds_in(gdf, crs):
    """``gdf``'s extent in ``crs``: the outline of its extent transformed (densified, so curved
    edges are followed), not every feature: cheap for millions of features."""
    from pyproj import Transformer

    bounds = _bounds(gdf)
    if gdf.crs is None or gdf.crs.equals(crs):
        return bounds
    try:
        return Transformer.from_crs(gdf.crs, crs, always_xy=True).transform_bounds(*bounds, densify_pts=21)
    except Exception as exc:  # pyproj's ProjError: coordinates its CRS cannot hold
        raise InputError(f"{_name(gdf)} has coordinates its CRS cannot transform ({exc}): check the "
                         "layer's CRS (Layer Properties > Source).") from exc


def _extent(gdf):
    """(minx, miny, maxx, maxy) of ``gdf``'s geometries (missing and empty ones ignored), or
    None when there is none or the coordinates are not finite."""
    import numpy as np
    import shapely

    bounds = shapely.total_bounds(gdf.geometry.values) if len(gdf) else np.full(4, np.nan)
    if not np.isfinite(bounds).all() or not (np.abs(bounds) < 1e9).all():
        return None
    return tuple(float(b) for b in bounds)


def _bounds(gdf):
    bounds = _extent(gdf)
    if bounds is None:
        raise InputError(f"{_name(gdf)} has no usable geometry to choose a CRS for distances from.")
    return bounds


def _metre_units(crs) -> bool:
    try:
        return all((axis.unit_name or "").lower() in ("metre", "meter", "m") for axis in crs.axis_info)
    except Exception:
        return False


def _unit_name(crs) -> str:
    try:
        return crs.axis_info[0].unit_name or "unknown units"
    except Exception:
        return "unknown units"


def _percent(fraction: float) -> str:
    return "unknown" if fraction == float("inf") else f"{100.0 * fraction:.3g} %"


def _label(crs) -> str:
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    return f"EPSG:{epsg} ({crs.name})" if epsg else getattr(crs, "name", str(crs))


def _name(gdf) -> str:
    return gdf.attrs.get("source_name", "The layer")
