"""Shared by the evidence tests: real OSM test layers, PDF page counts and pixels."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np


def make_evidence_data(real_data: Path, folder: Path) -> Path:
    """A GeoPackage in EPSG:3067 from the real Helsinki extract: buildings (area_m2, an
    all-null field, a field with 3 distinct values), roads, an empty layer and a 2×2 grid of
    named districts covering the buildings."""
    import geopandas as gpd
    import pyogrio
    import shapely

    path = folder / "evidence.gpkg"
    if path.exists():
        return path
    df = pyogrio.read_dataframe(real_data / "helsinki.osm.pbf", layer="multipolygons",
                                on_invalid="ignore")
    b = df[df["building"].notna() & df.geometry.notna()].to_crs(3067)
    b = b[["osm_id", "osm_way_id", "name", "building", "geometry"]].copy()
    b["area_m2"] = b.area
    b["allnull"] = np.nan
    b["three"] = (np.arange(len(b)) % 3).astype(float)
    b["label"] = [n if isinstance(n, str) and n else f"Building {o or w}"
                  for n, o, w in zip(b["name"], b["osm_id"], b["osm_way_id"])]
    pyogrio.write_dataframe(b, path, layer="buildings")
    roads = pyogrio.read_dataframe(real_data / "helsinki.osm.pbf", layer="lines", on_invalid="ignore")
    roads = roads[roads["highway"].notna()].to_crs(3067)[["highway", "geometry"]]
    pyogrio.write_dataframe(roads, path, layer="roads")
    pyogrio.write_dataframe(b.iloc[:0], path, layer="empty")
    x0, y0, x1, y1 = b.total_bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    cells = [shapely.box(x0, ym, xm, y1), shapely.box(xm, ym, x1, y1),
             shapely.box(x0, y0, xm, ym), shapely.box(xm, y0, x1, ym)]
    grid = gpd.GeoDataFrame({"district": ["North-West", "North-East", "South-West", "South-East"]},
                            geometry=cells, crs=3067)
    pyogrio.write_dataframe(grid, path, layer="districts")
    return path


LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}


def pdf_pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def pdf_text(pdf: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    text = subprocess.run(args + [str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for ligature, letters in LIGATURES.items():  # the PDF's ﬃ back to letters
        text = text.replace(ligature, letters)
    return text


def pdf_page_images(pdf: Path, folder: Path, dpi: int = 50) -> list:
    """Each page of ``pdf`` as a greyscale numpy array (pdftoppm, as the issue asks)."""
    prefix = folder / (pdf.stem + "_page")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
    return [image_array(p) for p in sorted(folder.glob(prefix.name + "*.png"))]


def image_array(path: Path) -> np.ndarray:
    from qgis.PyQt.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), f"could not read {path}"
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = grey.width(), grey.height(), grey.bytesPerLine()
    buffer = grey.constBits()
    buffer.setsize(stride * height)
    return np.frombuffer(buffer, dtype=np.uint8).reshape(height, stride)[:, :width].copy()


def region(image: np.ndarray, item, dpi: int) -> np.ndarray:
    """The pixels of a layout item (position and size in mm on its page) at ``dpi``."""
    pos = item.pagePositionWithUnits()
    size = item.sizeWithUnits()
    k = dpi / 25.4
    x0, y0 = int(pos.x() * k), int(pos.y() * k)
    x1, y1 = int((pos.x() + size.width()) * k), int((pos.y() + size.height()) * k)
    return image[y0:y1, x0:x1]
