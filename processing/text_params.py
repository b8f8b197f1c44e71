"""Parameters shared by the algorithms that read agency text tables (CSV): the encoding choice.
Both read through ``engine.identifiers.read_text_table``, whose ``auto`` sniffs UTF-8 (with or
without a byte-order mark) and falls back to Windows-1252."""

ENCODING_OPTIONS = ["Sniff (UTF-8, UTF-8 with BOM, else Windows-1252)", "UTF-8", "Windows-1252", "ISO-8859-1"]
ENCODING_KEYS = ["auto", "utf-8", "windows-1252", "iso-8859-1"]
