"""joinedup:hotspots: Getis-Ord Gi* hot and cold spots (thin wrapper over engine.hotspots)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm, crs_required, engine_feedback

WEIGHT_KEYS = ["queen", "rook", "distance", "knn"]
# What needs map units when the layer has no CRS (queen/rook contiguity of polygons needs none).
_UNITS_PARAMETER = {"distance": "the distance band (DISTANCE, metres)",
                    "knn": "the nearest neighbours (NEIGHBOURS, found by distance)",
                    "grid": "the grid of a point layer (CELL_SIZE, metres)"}


class Hotspots(JoinedUpAlgorithm):
    ALG_ID = "hotspots"
    DISPLAY_NAME = "Hot spots (Getis-Ord Gi*)"
    GROUP = "risk"
    ICON = "hotspots"
    TAGS = "getis,ord,gi*,hotspot,coldspot,cluster,local statistic,fdr,permutation,risk"
    HELP = (
        "Finds statistically significant hot and cold spots with the Getis-Ord Gi* statistic "
        "(the same z-scores as PySAL esda's G_Local with star=True).<br><br>"
        "<b>Input</b>: polygons with a value field, or points. Points are counted (or their "
        "value field summed) into a square or hexagonal grid covering their extent, empty cells "
        "included.<br><b>Value field</b>: numeric; required for polygons. Areas with a null "
        "value are left out of the analysis and written with class 'No value'.<br>"
        "<b>Grid cell size</b>: metres; 0 = automatic (a cell area of about 5 points per "
        "cell over the extent, rounded to 1, 2, 2.5 or 5 x 10^k, between 100 and 200,000 "
        "cells). Hexagons have the same area as squares of this side.<br>"
        "<b>Spatial weights</b>: queen contiguity (sharing any point), rook (sharing an edge), "
        "fixed distance band between centroids (metres; 0 = the largest nearest-neighbour "
        "distance, so no unit is an island) or k nearest centroids. Each unit "
        "is part of its own neighbourhood (Gi*).<br><b>Weights transform</b>: binary (classic "
        "Gi*, as ArcGIS) or row-standardised (esda's default).<br>"
        "<b>Inference</b>: analytical (normal) p-values, or a conditional permutation test "
        "(seeded, reproducible); optionally Benjamini-Hochberg false-discovery-rate "
        "correction.<br><b>Output</b>: gi_z, gi_p (the p used for the class), gi_p_norm, "
        "gi_p_sim (permutation), gi_bin (+3/+2/+1 hot at 99/95/90 %, 0, -1/-2/-3 cold), "
        "gi_class (text), gi_neighbours. Units with no neighbour (islands) get a null z and "
        "class 'No neighbours'. Features with invalid geometry are repaired or skipped "
        "(written with no geometry and class 'Invalid geometry'); every input feature is in "
        "the output.<br>"
        "<b>Distances</b> are ground metres in every CRS: a layer whose CRS is not true to 0.1 % "
        "over the data (degrees, feet, Web Mercator) is measured in a local projected CRS that "
        "the log names; the output is written in the input's CRS (docs/crs.md).<br>"
        "<b>Hide small counts below</b> (grid counts only; default 10): counts under this "
        "threshold are hidden with the shared disclosure-control rule (primary and secondary "
        "suppression, the grid's total treated as published; 0 = off). Gi* is then computed on "
        "the counts as published, each hidden cell standing in at half the threshold, and a "
        "hidden cell's sum of the value field is hidden too: z-scores, p-values and classes of "
        "the true counts would let a reader work hidden counts out. The log gives the published "
        "total only.<br>"
        "Example: <code>scripts/qgis_process.sh run joinedup:hotspots -- INPUT=incidents.gpkg "
        "GRID_SHAPE=1 WEIGHTS=0 OUTPUT=hotspots.gpkg</code>")

    def initAlgorithm(self, config=None):  # noqa: N802
        def add(p, text):
            p.setHelp(self.tr(text))
            self.addParameter(p)

        add(QgsProcessingParameterFeatureSource(
            "INPUT", self.tr("Areas or points"),
            [QgsProcessing.SourceType.TypeVectorPolygon, QgsProcessing.SourceType.TypeVectorPoint]),
            "Polygon layer with a value, or point layer to count into a grid.")
        add(QgsProcessingParameterField("FIELD", self.tr("Value field"), None, "INPUT",
                                        QgsProcessingParameterField.DataType.Numeric, optional=True),
            "Numeric value to analyse (required for polygons; for points it is summed per cell "
            "instead of counting points).")
        add(QgsProcessingParameterEnum("GRID_SHAPE", self.tr("Grid shape (points)"),
                                       ["Square", "Hexagon"], False, 1),
            "Shape of the grid cells points are counted into.")
        add(QgsProcessingParameterNumber("CELL_SIZE", self.tr("Grid cell size (points; 0 = automatic)"),
                                         QgsProcessingParameterNumber.Type.Double, 0.0, False, 0.0),
            "Side of the square cells (or of the square of equal area for hexagons), in ground metres.")
        add(QgsProcessingParameterEnum("WEIGHTS", self.tr("Spatial weights"),
                                       ["Queen contiguity", "Rook contiguity", "Fixed distance band",
                                        "K nearest neighbours"], False, 0),
            "Which units are neighbours.")
        add(QgsProcessingParameterNumber("DISTANCE", self.tr("Distance band (metres; 0 = automatic)"),
                                         QgsProcessingParameterNumber.Type.Double, 0.0, False, 0.0),
            "For the fixed distance band: centroids up to this far apart are neighbours. 0 = the "
            "largest nearest-neighbour distance, so that no unit is left without a neighbour.")
        add(QgsProcessingParameterNumber("NEIGHBOURS", self.tr("Number of neighbours (k)"),
                                         QgsProcessingParameterNumber.Type.Integer, 8, False, 1),
            "For k nearest neighbours.")
        add(QgsProcessingParameterEnum("TRANSFORM", self.tr("Weights transform"),
                                       ["Binary (classic Gi*)", "Row-standardised (esda default)"],
                                       False, 0),
            "Binary gives the classic Ord & Getis Gi* z-score; row-standardised is esda's default.")
        add(QgsProcessingParameterEnum("INFERENCE", self.tr("Inference"),
                                       ["Analytical (normal)", "Conditional permutation"], False, 0),
            "How p-values are computed.")
        add(QgsProcessingParameterNumber("PERMUTATIONS", self.tr("Permutations"),
                                         QgsProcessingParameterNumber.Type.Integer, 999, False, 9),
            "Number of random permutations for the permutation test.")
        add(QgsProcessingParameterNumber("SEED", self.tr("Random seed"),
                                         QgsProcessingParameterNumber.Type.Integer, 0, False, 0),
            "Seed of the permutation test: the same seed gives the same p-values.")
        add(QgsProcessingParameterBoolean("FDR", self.tr("False discovery rate correction"), False),
            "Adjust p-values with Benjamini-Hochberg before classifying.")
        add(QgsProcessingParameterEnum("INVALID_GEOMETRIES", self.tr("Invalid geometries"),
                                       ["Repair", "Skip"], False, 0),
            "Repair invalid polygons (GEOS make_valid) or skip them (written without geometry).")
        add(QgsProcessingParameterNumber("SUPPRESS_BELOW", self.tr("Hide small counts below (0 = off)"),
                                         QgsProcessingParameterNumber.Type.Integer, 10, False, 0),
            "Grid counts below this (points per cell) are hidden in the output (disclosure "
            "control, primary and secondary). Gi* is then computed on the published counts, "
            "hidden cells standing in at half the threshold, so nothing published reveals a "
            "hidden count. 0 = off (the true counts are published and analysed).")
        p = QgsProcessingParameterFeatureSink("OUTPUT", self.tr("Hot spots"))
        p.setHelp(self.tr("Areas or grid cells with the Gi* results."))
        self.addParameter(p)

    def execute(self, parameters, context, feedback):
        import geopandas as gpd
        import numpy as np
        import pandas as pd
        import shapely

        from ...engine import hotspots as eng
        from ...engine.crs import ensure_projected
        from ...engine.errors import InputError
        from ...engine.geometry import clean_geometries
        from ...engine.values import numeric_columns
        from .. import bridge

        gdf, read = bridge.read_source(self, parameters, "INPUT", context, feedback)
        feedback.pushInfo(read.describe())
        if len(gdf) == 0:
            raise QgsProcessingException(f"{read.name} has no features: there is nothing to analyse.")
        field = self.parameterAsString(parameters, "FIELD", context)
        if field and field not in gdf.columns:
            raise InputError(f"{read.name} has no field {field!r}.")
        if field:  # a numeric field stored as text: read the same way in every algorithm
            gdf = numeric_columns(gdf, [field], layer=read.name)
        kind = WEIGHT_KEYS[self.parameterAsEnum(parameters, "WEIGHTS", context)]
        distance = self.parameterAsDouble(parameters, "DISTANCE", context)
        k = self.parameterAsInt(parameters, "NEIGHBOURS", context)
        options = dict(
            transform=["B", "R"][self.parameterAsEnum(parameters, "TRANSFORM", context)],
            inference=eng.INFERENCE[self.parameterAsEnum(parameters, "INFERENCE", context)],
            permutations=self.parameterAsInt(parameters, "PERMUTATIONS", context),
            seed=self.parameterAsInt(parameters, "SEED", context),
            fdr=self.parameterAsBool(parameters, "FDR", context))
        fb = engine_feedback(feedback, 0.1, 0.95)
        if gdf.crs is None and kind in ("queen", "rook") and gdf.attrs.get("geometry_kind") == "polygon":
            gdf_m, crs, note = gdf, None, ""  # contiguity of polygons has no units: no CRS needed
        else:
            if gdf.crs is None:
                point = gdf.attrs.get("geometry_kind") == "point"
                raise crs_required(read.name, _UNITS_PARAMETER.get("grid" if point else kind, "the weights (WEIGHTS)"))
            gdf_m, crs, note = ensure_projected(gdf, what=read.name)
        if note:
            feedback.pushInfo(note)
        policy = ["repair", "skip"][self.parameterAsEnum(parameters, "INVALID_GEOMETRIES", context)]
        usable, mask, geo_report = clean_geometries(gdf_m, policy, name=read.name)
        feedback.pushInfo(geo_report.describe(read.name))
        if gdf.attrs.get("geometry_kind") == "point":
            if len(usable) == 0:
                raise InputError(f"{read.name} has no point with a usable geometry.")
            xy = shapely.get_coordinates(shapely.centroid(usable.geometry.values))
            cell = self.parameterAsDouble(parameters, "CELL_SIZE", context)
            if cell <= 0:
                cell, why = eng.auto_cell_size(xy)
                feedback.pushInfo(why)
            shape = eng.GRID_SHAPES[self.parameterAsEnum(parameters, "GRID_SHAPE", context)]
            grid = eng.point_grid(xy, shape=shape, cell_size=cell)
            ncell = len(grid.geometry)
            counts = np.bincount(grid.cell_of_point, minlength=ncell)
            if field:
                vals = usable[field].astype(float).to_numpy()
                nulls = ~np.isfinite(vals)
                if nulls.any():
                    feedback.pushWarning(f"{int(nulls.sum())} points have a null {field}: counted as 0.")
                y = np.bincount(grid.cell_of_point, weights=np.where(nulls, 0.0, vals), minlength=ncell)
            else:
                y = counts.astype(float)
            W = eng.weights_for(kind, xy=shapely.get_coordinates(shapely.centroid(grid.geometry)),
                                distance=distance, k=k, grid=grid, feedback=fb)
            threshold = self.parameterAsInt(parameters, "SUPPRESS_BELOW", context)
            counted = len(usable)
            if threshold > 0:
                # Gi* on the published counts only, so z, p and classes cannot undo suppression
                protected = eng.protect_grid(counts, y if field else None, threshold=threshold,
                                             feedback=fb)
                feedback.pushInfo(protected.disclosure.describe())
                feedback.pushInfo(f"Gi* is computed on the counts as published: each of the "
                                  f"{int(protected.hidden.sum())} hidden cells counts as "
                                  f"{protected.stand_in:g}, so no published number reveals a hidden count.")
                y = protected.values
                counted = protected.total
            res = eng.gi_star(y, W, feedback=fb, **options)
            out = pd.DataFrame({"cell_id": np.arange(ncell), "point_count": counts})
            if field:
                out[f"sum_{field}"[:60]] = y
            if threshold > 0:
                out["point_count"] = pd.array(protected.counts, dtype="Float64")
                out["point_count_flag"] = protected.status
                if field:  # a hidden cell's sum would describe the few points in it
                    out[f"sum_{field}"[:60]] = pd.array(np.where(protected.hidden, np.nan, y),
                                                        dtype="Float64")
            out = self._results(out, res, eng)
            result = gpd.GeoDataFrame(out, geometry=grid.geometry, crs=crs)
            skipped = geo_report.skipped
            if skipped:
                feedback.pushWarning(f"{skipped} points without a usable geometry were not counted.")
            total_text = "a hidden number of" if not np.isfinite(counted) else f"{counted:,.0f}"
            feedback.pushInfo(f"{total_text} points counted into {ncell} {shape} cells of {cell:g} m.")
        else:
            if not field:
                raise InputError("Choose the value field to analyse for a polygon layer.")
            values = gdf_m[field].astype(float).to_numpy()
            has_value = np.isfinite(values)
            analysed = mask & has_value
            idx = np.flatnonzero(analysed)
            pos = np.flatnonzero(mask)
            geoms_all = np.asarray(gdf_m.geometry.values, dtype=object).copy()
            geoms_all[pos] = np.asarray(usable.geometry.values, dtype=object)
            geoms = geoms_all[idx]
            xy = shapely.get_coordinates(shapely.centroid(geoms))
            W = eng.weights_for(kind, geoms=geoms if kind in ("queen", "rook") else None, xy=xy,
                                distance=distance, k=k, feedback=fb)
            res = eng.gi_star(values[idx], W, feedback=fb, **options)
            frame = pd.DataFrame(gdf_m.drop(columns=gdf_m.geometry.name)).reset_index(drop=True)
            part = self._results(pd.DataFrame(index=idx), res, eng)
            frame = frame.join(part)
            status = np.where(~mask, "Invalid geometry", np.where(~has_value, eng.NO_VALUE_LABEL, ""))
            frame["gi_class"] = np.where(status != "", status, frame["gi_class"].astype(object).to_numpy())
            geoms_all[~mask] = None
            result = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms_all, crs=crs), crs=crs)
            if (~has_value & mask).any():
                feedback.pushWarning(f"{int((~has_value & mask).sum())} areas have no {field} value: "
                                     "left out of the analysis (class 'No value').")
        for n in res.notes:
            feedback.pushWarning(n)
        hot = int((res.gi_bin > 0).sum())
        cold = int((res.gi_bin < 0).sum())
        feedback.pushInfo(f"{hot} hot-spot and {cold} cold-spot units at 90 % confidence or more.")
        dest = bridge.write_output(self, parameters, "OUTPUT", context, result)
        return {"OUTPUT": dest}

    @staticmethod
    def _results(frame, res, eng):
        import numpy as np
        import pandas as pd

        frame = frame.copy()
        frame["gi_z"] = res.z
        frame["gi_p"] = res.p
        frame["gi_p_norm"] = res.p_norm
        frame["gi_p_sim"] = res.p_sim if res.p_sim is not None else np.full(len(res.z), np.nan)
        bins = pd.array(res.gi_bin, dtype="Int64")
        bins[res.islands] = pd.NA
        frame["gi_bin"] = bins
        labels = np.array([eng.CLASS_LABELS[int(b)] for b in res.gi_bin], dtype=object)
        labels[res.islands] = eng.ISLAND_LABEL
        frame["gi_class"] = labels
        frame["gi_neighbours"] = res.neighbours.astype(np.int64)
        return frame
