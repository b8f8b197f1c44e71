"""Agency extracts (CSV, .xlsx, .ods) placed as points, every row placed or given a reason.

A row is placed, in this order, from British National Grid eastings/northings, else from
latitude/longitude (WGS84), else from its address linked to a gazetteer's UPRN point (the
address linkage of :mod:`engine.linkage`, when a gazetteer is given), else from its postcode
looked up in a postcode directory the user supplies (ONS Postcode Directory, or OS Code-Point
Open). A row that none of them places keeps its fields, gets no geometry and says why in
``place_status``. Dates are read day-first unless
they are written year-first (ISO). No QGIS here: files are read with pandas and pyogrio.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .addresses import format_postcodes
from .errors import InputError, as_feedback
from .identifiers import read_text_table

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
# The British National Grid's own extent, metres (OS: 0-700 km east, 0-1300 km north).
BNG_EXTENT_M = (0.0, 0.0, 700_000.0, 1_300_000.0)

TEXT_EXTENSIONS = (".csv", ".txt", ".tsv", ".tab")
SPREADSHEET_DRIVERS = {".xlsx": "XLSX", ".ods": "ODS"}

# place_status values, in the order the log reports them. Only PLACED and BAD_DATE rows have
# a point: a date that cannot be read does not make the location wrong.
PLACED = "placed"
BAD_DATE = "unparseable date"
NO_COORDINATES = "no coordinates"
INVALID_COORDINATES = "invalid coordinates"
INVALID_POSTCODE = "invalid postcode"
UNKNOWN_POSTCODE = "unknown postcode"
TERMINATED_POSTCODE = "terminated postcode"
POSTCODE_NOT_LOCATED = "postcode has no grid reference"
OUTSIDE_AREA = "outside the area"
STATUSES = (PLACED, BAD_DATE, NO_COORDINATES, INVALID_COORDINATES, INVALID_POSTCODE,
            UNKNOWN_POSTCODE, TERMINATED_POSTCODE, POSTCODE_NOT_LOCATED, OUTSIDE_AREA)
OUTPUT_FIELDS = ("source_row", "place_status", "place_method", "date_problem")
# A row whose address the linkage did not link: 'address not linked: <the linkage's reason,
# up to its first colon>' ('address not linked: number not in street'); the whole reason is in
# address_problem.
ADDRESS_NOT_LINKED = "address not linked"
# The fields added when rows are placed by address (the linkage's own names).
ADDRESS_OUTPUT_FIELDS = ("matched_uprn", "match_method", "match_level", "address_problem")

# Field names recognised when the user names none (compared lower-case, without spaces,
# dots, hyphens and underscores).
FIELD_GUESSES = {
    "easting": ("easting", "eastings", "east", "xcoord", "xcoordinate", "oseast1m", "bngx",
                "gridx"),
    "northing": ("northing", "northings", "north", "ycoord", "ycoordinate", "osnrth1m", "bngy",
                 "gridy"),
    "latitude": ("latitude", "lat", "wgs84lat", "latwgs84"),
    "longitude": ("longitude", "long", "lon", "lng", "wgs84long", "longwgs84"),
    "postcode": ("postcode", "postalcode", "pcode", "pcds", "pcd", "postcodes"),
}
_DATE_NAME = re.compile(r"(^|_|\b)(date|dated|dob)($|_|\b)|_date$|^date_|_on$|_dt$|received|reported|"
                        r"opened|closed|created|updated", re.IGNORECASE)
_YEAR_FIRST = re.compile(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T].*)?$")


def _key(name) -> str:
    return re.sub(r"[\s._\-]+", "", str(name)).lower()


def guess_fields(columns) -> dict:
    """``{"easting": name or None, "northing": ..., "latitude": ..., "longitude": ...,
    "postcode": ...}``: the first column whose name is a usual one for each role."""
    keyed = {_key(c): c for c in reversed(list(columns))}
    return {role: next((keyed[k] for k in names if k in keyed), None) for role, names in FIELD_GUESSES.items()}


def guess_date_fields(columns) -> list:
    """Columns whose names say they hold dates ('date_received', 'incident date', 'dob' ...)."""
    return [c for c in columns if isinstance(c, str) and _DATE_NAME.search(c.replace(" ", "_"))]


# --- reading ------------------------------------------------------------------------------

def read_extract(path: str, *, encoding: str = "auto", sheet: str | None = None):
    """An extract as a DataFrame of text (every cell as written, '' when empty) and a note.

    CSV/TXT: encoding (UTF-8, UTF-8 with a byte-order mark, Windows-1252) and delimiter
    (comma, semicolon, tab, pipe) sniffed by :func:`engine.identifiers.read_text_table`.
    .xlsx/.ods: read by GDAL's spreadsheet drivers with every cell as text; ``sheet`` names the
    sheet (default: the first).

    Raises:
        InputError: missing, unreadable or empty file, unknown sheet, unsupported format.
    """
    if not path or not os.path.isfile(path):
        raise InputError(f"The extract {path!r} does not exist or is not a file.")
    extension = os.path.splitext(path)[1].lower()
    name = os.path.basename(path)
    if extension in SPREADSHEET_DRIVERS:
        frame = _read_spreadsheet(path, SPREADSHEET_DRIVERS[extension], sheet)
        used = f"{extension[1:]} sheet {frame.attrs['sheet']!r}"
    elif extension in TEXT_EXTENSIONS or extension == "":
        frame, used = read_text_table(path, encoding=encoding)
    else:
        raise InputError(f"{name}: cannot read {extension} files; give a CSV (or TXT/TSV), "
                         ".xlsx or .ods file.")
    if frame.columns.empty:
        raise InputError(f"{name} has no header row.")
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise InputError(f"{name}: the header repeats {', '.join(duplicated)}; give each column its own name.")
    frame = frame.fillna("").astype(str).reset_index(drop=True)
    return frame, f"{name}: {len(frame)} rows read ({used})"


def _read_spreadsheet(path: str, driver: str, sheet: str | None) -> pd.DataFrame:
    import pyogrio

    name = os.path.basename(path)
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL's message says what is wrong with the file
        raise InputError(f"Cannot open {name} as a spreadsheet: {exc}") from exc
    if not layers:
        raise InputError(f"{name} has no sheets.")
    chosen = sheet or layers[0]
    if chosen not in layers:
        raise InputError(f"{name} has no sheet {chosen!r}; its sheets are {', '.join(layers)}.")
    # Every cell as text (numbers as written, no type guessing), first row as header. These are
    # process-wide GDAL settings: set for this read only and restored, for other plugins' sake.
    options = {f"OGR_{driver}_FIELD_TYPES": "STRING", f"OGR_{driver}_HEADERS": "FORCE"}
    saved = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        frame = pyogrio.read_dataframe(path, layer=chosen, read_geometry=False)
    except Exception as exc:
        raise InputError(f"Cannot read sheet {chosen!r} of {name}: {exc}") from exc
    finally:
        pyogrio.set_gdal_config_options(saved)
    frame = pd.DataFrame(frame)
    frame.attrs["sheet"] = chosen
    return frame


# --- postcode directory -------------------------------------------------------------------

ONSPD_COLUMNS = {"postcode": ("pcds", "pcd", "pcd2"), "easting": ("oseast1m",), "northing": ("osnrth1m",),
                 "terminated": ("doterm",), "quality": ("osgrdind",)}
CODEPOINT_HEADERS = {"postcode": ("postcode", "pc"), "easting": ("eastings", "ea"),
                     "northing": ("northings", "no"), "quality": ("positional_quality_indicator", "pq")}


def read_postcode_directory(path: str, *, feedback=None) -> tuple:
    """A postcode directory as ``(DataFrame, note)``, indexed by ``postcode`` (formatted,
    'SW1A 2AA'), with ``easting_m``, ``northing_m`` (British National Grid, NaN when the
    directory gives none) and ``terminated`` (bool).

    Layouts: the ONS Postcode Directory (ONSPD/NSPL CSV: pcds or pcd, oseast1m, osnrth1m, doterm,
    osgrdind; any letter case) or OS Code-Point Open (CSV without a header: postcode, quality,
    eastings, northings, ...; or with its documented header). ``path`` may be a folder: every
    CSV in it is read (Code-Point Open ships one per postcode area). Only the columns needed are
    read, in chunks, so the whole ONSPD (2.7 million rows, over 1 GB) fits in memory; progress
    and cancel are checked per chunk.

    Raises:
        InputError: missing file, no CSV in the folder, or a layout that is neither.
        EngineCancelled: the user cancelled.
    """
    fb = as_feedback(feedback)
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.lower().endswith(".csv"))
        if not files:
            raise InputError(f"The postcode directory folder {path} holds no CSV file.")
    elif os.path.isfile(path):
        files = [path]
    else:
        raise InputError(f"The postcode directory {path!r} does not exist.")
    total = sum(os.path.getsize(f) for f in files) or 1
    done = 0
    parts, layouts = [], set()
    for file in files:
        for part, layout, read_bytes in _read_directory_file(file, fb):
            parts.append(part)
            layouts.add(layout)
            fb.set_progress((done + read_bytes) / total)
        done += os.path.getsize(file)
    table = pd.concat(parts, ignore_index=True)
    table["postcode"] = format_postcodes(table["postcode"])
    table = table[table["postcode"].notna()]
    # A postcode listed twice (re-used after termination): the live entry wins.
    table = table.sort_values("terminated", kind="stable").drop_duplicates("postcode", keep="first")
    table = table.set_index("postcode")
    table.attrs["layout"] = " and ".join(sorted(layouts))
    return table, _directory_note(table)


def _directory_note(table) -> str:
    return (f"Postcode directory ({table.attrs['layout']}): {len(table)} postcodes, "
            f"{int(table['terminated'].sum())} terminated, "
            f"{int(table['easting_m'].isna().sum())} without a grid reference")


DIRECTORY_INDEX_VERSION = 1  # bump when the index's columns or rules change
DIRECTORY_INDEXES_KEPT = 3


def load_postcode_directory(path: str, *, cache_dir: str | None = None, feedback=None) -> tuple:
    """:func:`read_postcode_directory`, indexed once: the table is kept as a GeoPackage in
    ``cache_dir``, keyed by the directory files' paths, sizes and modification times, and read
    from there while they are unchanged (about 4 times faster than parsing the CSV). The most
    recent few indexes are kept, older ones removed. No ``cache_dir``: read
    the CSV every time. Returns ``(table, note)``."""
    import hashlib
    import json

    import pyogrio

    if not cache_dir:
        return read_postcode_directory(path, feedback=feedback)
    files = [os.path.join(path, f) for f in sorted(os.listdir(path))] if os.path.isdir(path) else [path]
    try:
        stamp = [[os.path.realpath(f), os.path.getsize(f), os.stat(f).st_mtime_ns] for f in files]
    except OSError:
        return read_postcode_directory(path, feedback=feedback)  # it says what is missing
    key = hashlib.sha256(json.dumps([DIRECTORY_INDEX_VERSION, stamp]).encode()).hexdigest()[:16]
    index = os.path.join(cache_dir, f"postcode_directory_{key}.gpkg")
    if os.path.isfile(index):
        try:
            table = pyogrio.read_dataframe(index, read_geometry=False).set_index("postcode")
            table["terminated"] = table["terminated"].astype(bool)
            table.attrs["layout"] = pyogrio.read_info(index)["layer_metadata"]["layout"]
            os.utime(index)  # most recently used
            return table, _directory_note(table) + f" (from its index {os.path.basename(index)})"
        except Exception:  # a damaged index is rebuilt below
            pass
    table, note = read_postcode_directory(path, feedback=feedback)
    try:
        os.makedirs(cache_dir, exist_ok=True)
        partial = index[:-len(".gpkg")] + ".partial.gpkg"
        pyogrio.write_dataframe(table.reset_index(), partial, driver="GPKG", layer="postcodes",
                                metadata={"layout": table.attrs["layout"]})
        os.replace(partial, index)  # never a half-written index
        kept = sorted((os.path.join(cache_dir, f) for f in os.listdir(cache_dir)
                       if f.startswith("postcode_directory_") and f.endswith(".gpkg")),
                      key=os.path.getmtime, reverse=True)
        for old in kept[DIRECTORY_INDEXES_KEPT:]:
            os.remove(old)
    except OSError as exc:
        note += f" (not indexed: {exc})"
    return table, note


DIRECTORY_CHUNK_ROWS = 250_000


def _directory_layout(file: str):
    """(layout name, {role: column position}, header row present, 'no grid reference' quality code)."""
    with open(file, encoding="latin-1", newline="") as handle:  # ASCII in practice
        first = handle.readline()
    cells = next(csv.reader([first]), []) if first.strip() else []
    lower = {c.strip().lower(): i for i, c in enumerate(cells)}

    def pick(names):
        return next((lower[n] for n in names if n in lower), None)

    onspd = {role: pick(names) for role, names in ONSPD_COLUMNS.items()}
    if onspd["postcode"] is not None and onspd["easting"] is not None and onspd["northing"] is not None:
        return "ONS Postcode Directory", onspd, True, "9"  # ONSPD: osgrdind 9 = no grid reference
    codepoint = {role: pick(names) for role, names in CODEPOINT_HEADERS.items()}
    if codepoint["postcode"] is not None and codepoint["easting"] is not None:
        return "Code-Point Open", {**codepoint, "terminated": None}, True, "90"  # quality 90 = none
    if len(cells) >= 4 and format_postcodes(pd.Series([cells[0]])).notna().all():
        # Code-Point Open as shipped: no header row.
        return ("Code-Point Open", {"postcode": 0, "quality": 1, "easting": 2, "northing": 3,
                                    "terminated": None}, False, "90")
    raise InputError(
        f"{os.path.basename(file)} is not a postcode directory this reads: it needs the ONS Postcode "
        "Directory's columns (pcds or pcd, oseast1m, osnrth1m, doterm) or Code-Point Open's "
        "(postcode, quality, eastings, northings).")


def _read_directory_file(file: str, fb):
    """Yields ``(part, layout, bytes read so far)`` per chunk of one directory CSV."""
    layout, cols, header, no_reference_quality = _directory_layout(file)
    roles = {role: i for role, i in cols.items() if i is not None}
    positions = sorted(set(roles.values()))
    with open(file, "rb") as handle:
        reader = pd.read_csv(handle, encoding="latin-1", header=0 if header else None, usecols=positions,
                             dtype=str,
                             keep_default_na=False, na_filter=False, chunksize=DIRECTORY_CHUNK_ROWS)
        for chunk in reader:
            fb.check()
            chunk.columns = range(len(chunk.columns))
            by_role = {role: chunk[positions.index(i)].str.strip() for role, i in roles.items()}
            easting = pd.to_numeric(by_role["easting"], errors="coerce")
            northing = pd.to_numeric(by_role["northing"], errors="coerce")
            no_reference = easting.isna() | northing.isna() | ((easting == 0) & (northing == 0))
            if "quality" in by_role:
                no_reference |= by_role["quality"] == no_reference_quality
            terminated = by_role["terminated"] != "" if "terminated" in by_role else \
                pd.Series(False, index=chunk.index)
            yield (pd.DataFrame({"postcode": by_role["postcode"],
                                 "easting_m": easting.where(~no_reference),
                                 "northing_m": northing.where(~no_reference),
                                 "terminated": terminated.astype(bool)}),
                   layout, handle.tell())


# --- dates -----------------------------------------------------------------------------------

def parse_dates(series: pd.Series) -> tuple:
    """``(datetimes, unreadable)``: text dates read day-first ('03/04/2025' is 3 April 2025,
    '3 Apr 25' too) unless written year-first ('2025-04-03', '2025/04/03', with or without a
    time), which is read year-month-day. ``unreadable`` is True where a non-empty value is not
    a real date ('31/02/2025', 'soon'); empty values are NaT and not unreadable."""
    text = series.astype("string").str.strip()
    empty = text.isna() | (text == "")
    year_first = text.str.match(_YEAR_FIRST).fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    if year_first.any():
        normalised = text[year_first].str.replace(r"[/.]", "-", regex=True)
        out[year_first] = pd.to_datetime(normalised, errors="coerce", format="mixed", yearfirst=True)
    rest = ~year_first & ~empty
    if rest.any():
        out[rest] = pd.to_datetime(text[rest], errors="coerce", format="mixed", dayfirst=True)
    unreadable = out.isna() & ~empty
    return out, unreadable


# --- placing ---------------------------------------------------------------------------------

@dataclass
class ImportReport:
    """What placing an extract found: counts the log and the algorithm's outputs quote.
    Row numbers, never values: an extract may hold personal data."""
    rows: int = 0
    blank_rows: int = 0
    counts: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)  # status -> first few source_row numbers
    bad_dates: dict = field(default_factory=dict)  # date field -> number of unreadable values
    crs: str = BNG
    fields_used: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def placed(self) -> int:
        return self.counts.get(PLACED, 0) + self.counts.get(BAD_DATE, 0)

    def describe(self) -> list:
        used = ", ".join(f"{role} = {name!r}" for role, name in self.fields_used.items() if name) or "none"
        lines = [f"{self.rows} rows: {self.placed} placed, {self.rows - self.placed} not placed; "
                 f"{self.blank_rows} blank rows skipped (not in the output)",
                 f"Fields used: {used}; output CRS {self.crs}"]
        for status in ordered_statuses(self.counts):
            n = self.counts.get(status, 0)
            if n:
                rows = ", ".join(str(r) for r in self.examples.get(status, []))
                more = ", ..." if n > len(self.examples.get(status, [])) else ""
                lines.append(f"  {status}: {n} (rows {rows}{more})")
        for method, n in self.methods.items():
            lines.append(f"  placed from {method}: {n}")
        for name, n in self.bad_dates.items():
            lines.append(f"  {name}: {n} dates could not be read (kept as text in date_problem)")
        return lines + self.notes


def ordered_statuses(statuses) -> list:
    """The place_status values among ``statuses`` in the order the log gives them: the fixed
    ones (:data:`STATUSES`), then the address linkage's reasons, sorted."""
    return [s for s in STATUSES if s in statuses] + sorted(s for s in statuses if s not in STATUSES)


@dataclass
class AddressPlacing:
    """Placing rows by address: the extract's address field(s) and a gazetteer (a
    GeoDataFrame of address points) with its UPRN, address and postcode fields, as
    :func:`engine.linkage.link_addresses` takes them. ``threshold`` and ``cache_dir`` are passed
    on to it (None: its defaults)."""
    address_fields: list
    gazetteer: Any  # a GeoDataFrame
    uprn_field: str
    gazetteer_address_fields: list
    gazetteer_postcode_field: str | None = None
    threshold: float | None = None
    cache_dir: str | None = None


def _link_rows(data, rows, placing: AddressPlacing, postcode_field, target, fb):
    """The address linkage run on ``data``'s rows ``rows``; returns (the linkage's output, in
    the order of ``rows``, its points in ``target`` as x and y, its report)."""
    import geopandas as gpd
    import shapely

    from .linkage import DEFAULT_THRESHOLD, link_addresses

    keep = list(dict.fromkeys(placing.address_fields + ([postcode_field] if postcode_field else [])))
    records = data.iloc[rows][keep].reset_index(drop=True)
    result, link_report = link_addresses(
        records, placing.gazetteer, address_fields=placing.address_fields, postcode_field=postcode_field,
        ref_uprn_field=placing.uprn_field, ref_address_fields=placing.gazetteer_address_fields,
        ref_postcode_field=placing.gazetteer_postcode_field,
        threshold=DEFAULT_THRESHOLD if placing.threshold is None else placing.threshold,
        records_name="the extract", reference_name="the gazetteer", cache_dir=placing.cache_dir, feedback=fb)
    geometry = gpd.GeoSeries(result.geometry.to_numpy(), crs=placing.gazetteer.crs or target).to_crs(target)
    points = geometry.to_numpy()  # None for records not linked: NaN coordinates
    return result.reset_index(drop=True), shapely.get_x(points), shapely.get_y(points), link_report


def _reason_heading(reason: str) -> str:
    """The linkage's reason up to its first colon: 'number not in street: house number 31a not
    in ...' -> 'number not in street' (the rest names the record's numbers)."""
    return str(reason).split(":", 1)[0].strip() or "no reason given"


def place_records(frame: pd.DataFrame, *, easting_field: str | None = None, northing_field: str | None = None,
                  latitude_field: str | None = None, longitude_field: str | None = None,
                  postcode_field: str | None = None, directory: pd.DataFrame | None = None,
                  date_fields=None, area=None, area_crs=None, output_crs=None, guess: bool = True,
                  identifier_fields=(), address: AddressPlacing | None = None,
                  feedback=None):
    """Place every row of an extract; returns ``(GeoDataFrame, ImportReport)``.

    Args:
        frame: the extract as text (see :func:`read_extract`).
        easting_field, northing_field: British National Grid metres.
        latitude_field, longitude_field: WGS84 degrees.
        postcode_field: UK postcodes in any case and spacing ('sw1a2aa', ' SW1A  2AA ').
        directory: from :func:`read_postcode_directory`; needed to place by postcode.
        date_fields: columns to read as dates (day-first unless year-first); None guesses
            them from the names (:func:`guess_date_fields`) and keeps as text a guessed one
            whose values are mostly not dates.
        area: an optional shapely (multi)polygon; placed points outside it are reported as
            'outside the area' and get no point. Without it, grid references outside the
            British National Grid's extent are.
        area_crs: the CRS of ``area`` (default: the output CRS).
        output_crs: the output CRS when no grid reference places a row (default
            EPSG:27700). Any row placed from eastings/northings makes the output EPSG:27700.
        guess: find fields not named by their usual names (:func:`guess_fields`).
        identifier_fields: fields holding a person's identity that the caller hashes or drops:
            their unreadable dates are noted in ``date_problem`` without the value.
        address: placing by address (:class:`AddressPlacing`): rows not placed by their
            coordinates whose address is not empty are linked to the gazetteer by
            :func:`engine.linkage.link_addresses` (with the row's postcode, when there is a
            postcode field) and placed at the linked UPRN's point ('address'); rows it does not
            link go on to the postcode, if any. Adds ``matched_uprn``, ``match_method``,
            ``match_level`` (the linkage's) and ``address_problem`` ('not linked: ' and the
            linkage's reason); a row left unplaced whose last try was its address says
            'address not linked: <reason heading>' in ``place_status``.

    Output: one row per non-blank input row, in input order, with its fields as text (date
    fields as date-times), ``source_row`` (1 = the first row after the header), ``place_status``,
    ``place_method`` ('grid reference', 'latitude/longitude', 'address', 'postcode' or empty) and
    ``date_problem`` (the unreadable date values, 'field: text'; empty when none).

    Raises:
        InputError: a named field is missing; no way to place any row is given; a postcode
            field but no directory; address fields without a gazetteer or the other way round.
        EngineError: placing by address, and the linkage's matcher is not installed.
    """
    import geopandas as gpd
    from pyproj import CRS, Transformer
    from shapely import points

    fb = as_feedback(feedback)
    columns = list(frame.columns)
    named = {"easting": easting_field, "northing": northing_field, "latitude": latitude_field,
             "longitude": longitude_field, "postcode": postcode_field}
    for role, name in named.items():
        if name and name not in columns:
            raise InputError(f"The extract has no field {name!r} (given as its {role}); its fields are "
                             f"{', '.join(columns)}.")
    if address is not None:
        if not address.address_fields:
            raise InputError("To place rows by address, name the extract's address field(s).")
        if address.gazetteer is None:
            raise InputError("To place rows by address, give a gazetteer (address points with UPRNs).")
        if not address.uprn_field or not address.gazetteer_address_fields:
            raise InputError("To place rows by address, name the gazetteer's UPRN field and its address field(s).")
        for name in address.address_fields:
            if name not in columns:
                raise InputError(f"The extract has no field {name!r} (given as an address field); its "
                                 f"fields are {', '.join(columns)}.")
    guessed = guess_fields(columns) if guess else {}
    fields = {role: name or guessed.get(role) for role, name in named.items()}
    # Coordinate pairs count only when both halves are there.
    for a, b in (("easting", "northing"), ("latitude", "longitude")):
        if not (fields[a] and fields[b]):
            fields[a] = fields[b] = None
    unused_postcode = None
    if fields["postcode"] and directory is None:
        if postcode_field:
            raise InputError("Give a postcode directory (ONS Postcode Directory or Code-Point Open CSV) "
                             "to place rows by postcode.")
        unused_postcode, fields["postcode"] = fields["postcode"], None
    if not any(fields.values()) and address is None:
        if unused_postcode:
            raise InputError(f"The extract's only location is its postcode field {unused_postcode!r}: give a "
                             "postcode directory (ONS Postcode Directory or Code-Point Open CSV) to place "
                             "its rows.")
        raise InputError("Nothing to place the rows with: name the easting and northing fields, the "
                         "latitude and longitude fields, or a postcode field (with a postcode directory). "
                         f"The extract's fields are {', '.join(columns)}.")
    report = ImportReport(fields_used={k: v for k, v in fields.items() if v})
    if address is not None:
        report.fields_used["address"] = ", ".join(address.address_fields)

    data = frame.reset_index(drop=True)
    source_row = pd.Series(np.arange(1, len(data) + 1), dtype="int64")
    blank = (data.apply(lambda c: c.astype(str).str.strip()) == "").all(axis=1) if columns else \
        pd.Series(True, index=data.index)
    report.blank_rows = int(blank.sum())
    data, source_row = data[~blank].reset_index(drop=True), source_row[~blank].reset_index(drop=True)
    n = len(data)
    report.rows = n
    fb.check()

    status = pd.Series(NO_COORDINATES, index=data.index, dtype=object)
    method = pd.Series("", index=data.index, dtype=object)
    x: np.ndarray = np.full(n, np.nan)
    y: np.ndarray = np.full(n, np.nan)

    def number(name):
        text = data[name].str.strip().str.replace(",", "", regex=False)
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float), (text != "").to_numpy()

    grid_used = False
    if fields["easting"]:
        e, e_given = number(fields["easting"])
        nn, n_given = number(fields["northing"])
        given = e_given | n_given
        ok = np.isfinite(e) & np.isfinite(nn)
        x = np.where(ok, e, x)
        y = np.where(ok, nn, y)
        status[given & ~ok] = INVALID_COORDINATES
        status[ok] = PLACED
        method[ok] = "grid reference"
        grid_used = bool(ok.any()) or not (fields["latitude"] or fields["postcode"] or address is not None)
    target = CRS.from_user_input(BNG if grid_used else (output_crs or BNG))
    if grid_used and output_crs and CRS.from_user_input(output_crs) != target:
        report.notes.append("Rows are placed from British National Grid references, so the output is "
                            "EPSG:27700 (the chosen output CRS was not used).")
    # Only postcode grid references can need this: any row placed from the extract's own grid
    # reference made the output EPSG:27700.
    grid_to_target = None if target == CRS.from_user_input(BNG) else \
        Transformer.from_crs(BNG, target, always_xy=True)

    if fields["latitude"]:
        todo = (status != PLACED).to_numpy()
        lat, lat_given = number(fields["latitude"])
        lon, lon_given = number(fields["longitude"])
        given = todo & (lat_given | lon_given)
        ok = todo & np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        status[given & ~ok] = INVALID_COORDINATES
        if ok.any():
            tx, ty = Transformer.from_crs(WGS84, target, always_xy=True).transform(lon[ok], lat[ok])
            x[ok], y[ok] = tx, ty
            status[ok] = PLACED
            method[ok] = "latitude/longitude"
    fb.set_progress(0.1)
    fb.check()

    linked = {name: pd.Series("", index=data.index, dtype=object) for name in ADDRESS_OUTPUT_FIELDS}
    if address is not None:
        text = pd.Series("", index=data.index, dtype=object)
        for name in address.address_fields:
            text = text + data[name].str.strip()
        rows = np.flatnonzero((status != PLACED).to_numpy() & (text != "").to_numpy())
        if rows.size:
            result, lx, ly, link_report = _link_rows(data, rows, address, fields["postcode"], target,
                                                     fb.sub(0.1, 0.5))
            accepted = ((result["match_status"] == "matched").to_numpy() & np.isfinite(lx) & np.isfinite(ly))
            hit = rows[accepted]
            x[hit], y[hit] = lx[accepted], ly[accepted]
            status.iloc[hit] = PLACED
            method.iloc[hit] = "address"
            reasons = result["unmatched_reason"].fillna("").astype(str).to_numpy()
            missed = rows[~accepted]
            status.iloc[missed] = [f"{ADDRESS_NOT_LINKED}: {_reason_heading(r)}" for r in reasons[~accepted]]
            linked["address_problem"].iloc[missed] = ["not linked: " + r for r in reasons[~accepted]]
            for name in ("matched_uprn", "match_method", "match_level"):
                linked[name].iloc[rows] = result[name].astype(object).where(result[name].notna(), "").to_numpy()
            by_method = ", ".join(f"{k} {v}" for k, v in link_report.by_method.items() if v) or "none"
            report.notes.append(
                f"Address linkage: {rows.size} rows not placed by coordinates had an address; "
                f"{int(accepted.sum())} linked to a gazetteer UPRN ({by_method}; "
                f"{link_report.by_level.get('parent', 0)} to the building), {int((~accepted).sum())} not "
                "linked (they go on to the postcode, if any)")
    fb.set_progress(0.5)
    fb.check()

    if fields["postcode"]:
        todo = (status != PLACED).to_numpy()
        raw = data[fields["postcode"]].str.strip()
        formatted = format_postcodes(raw)
        given = todo & (raw != "").to_numpy()
        valid = given & formatted.notna().to_numpy()
        status[given & ~valid] = INVALID_POSTCODE
        keys = formatted[valid]
        found = keys.isin(directory.index).to_numpy()
        rows = np.flatnonzero(valid)
        status.iloc[rows[~found]] = UNKNOWN_POSTCODE
        hit_rows = rows[found]
        entries = directory.loc[keys[found].to_numpy()]
        terminated = entries["terminated"].to_numpy(dtype=bool)
        located = entries["easting_m"].notna().to_numpy()
        status.iloc[hit_rows[terminated]] = TERMINATED_POSTCODE
        status.iloc[hit_rows[~terminated & ~located]] = POSTCODE_NOT_LOCATED
        live = hit_rows[~terminated & located]
        live_entries = entries[~terminated & located]
        px, py = live_entries["easting_m"].to_numpy(float), live_entries["northing_m"].to_numpy(float)
        if grid_to_target is not None and len(live):
            px, py = grid_to_target.transform(px, py)
        x[live], y[live] = px, py
        status.iloc[live] = PLACED
        method.iloc[live] = "postcode"
    fb.set_progress(0.6)
    fb.check()

    placed = (status == PLACED).to_numpy().copy()
    inside: np.ndarray = np.ones(n, dtype=bool)
    if area is not None:
        from shapely import contains_xy, prepare

        region = area
        if area_crs is not None and CRS.from_user_input(area_crs) != target:
            region = gpd.GeoSeries([area], crs=area_crs).to_crs(target).iloc[0]
        prepare(region)
        inside[placed] = contains_xy(region, x[placed], y[placed]) | \
            gpd.GeoSeries(points(x[placed], y[placed])).touches(region).to_numpy()
    elif target == CRS.from_user_input(BNG):
        x0, y0, x1, y1 = BNG_EXTENT_M
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    outside = placed & ~inside
    status[outside] = OUTSIDE_AREA
    placed &= ~outside

    out = data.copy()
    guessed_dates = date_fields is None
    dates = guess_date_fields(columns) if guessed_dates else list(date_fields)
    missing_dates = [d for d in dates if d not in columns]
    if missing_dates:
        raise InputError(f"The extract has no date field {', '.join(map(repr, missing_dates))}.")
    private = set(identifier_fields)
    problem = pd.Series("", index=data.index, dtype=object)
    for name in dates:
        values, unreadable = parse_dates(data[name])
        given = int((data[name].str.strip() != "").sum())
        if guessed_dates and given and unreadable.sum() * 2 > given:
            # Named like a date ('reported_by') but mostly not dates: text, not n problems.
            report.notes.append(f"{name!r} is named like a date but most of its values are not dates: "
                                "kept as text (name it in DATE_FIELDS to read it as dates).")
            continue
        out[name] = values  # date-times (midnight when only a date is given), not text
        if unreadable.any():
            report.bad_dates[name] = int(unreadable.sum())
            # A person's date of birth is not copied out of its (hashed or dropped) field.
            text = (name + ": not a date") if name in private else (name + ": " + data[name].str.strip())
            problem = problem.where(~unreadable, problem.where(problem == "", problem + "; ") + text)
    bad_date = (problem != "").to_numpy()
    status[placed & bad_date] = BAD_DATE
    fb.set_progress(0.8)

    added = OUTPUT_FIELDS + (ADDRESS_OUTPUT_FIELDS if address is not None else ())
    clash = {c: f"{c}_input" for c in out.columns if c in added or c == "geometry"}
    out = out.rename(columns=clash)
    out.insert(0, "source_row", source_row)
    out["place_status"] = status
    out["place_method"] = method.where(placed, "")
    out["date_problem"] = problem
    if address is not None:
        for name in ADDRESS_OUTPUT_FIELDS:
            out[name] = linked[name]
    geometry = np.array([None] * n, dtype=object)
    geometry[placed] = points(x[placed], y[placed])
    result = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geometry, crs=target), crs=target)

    report.crs = target.to_string()
    for s in ordered_statuses(set(status)):
        hit = (status == s).to_numpy()
        if hit.any():
            report.counts[s] = int(hit.sum())
            report.examples[s] = [int(r) for r in source_row[hit].iloc[:5]]
    report.methods = {m: int(v) for m, v in method[placed].value_counts().items()}
    fb.set_progress(1.0)
    return result, report
