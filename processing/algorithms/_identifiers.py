"""Parameters shared by the address algorithms: what happens to direct identifiers.

The hashing salt is not a parameter: a parameter's value is written to QGIS's processing
history, to model files and to JoinedUp's provenance (and so to the evidence pack), and with the
salt a name's hash falls to a dictionary of names. It is read from the environment variable
``JOINEDUP_HASH_SALT``, else from the QGIS setting ``joinedup/hash_salt`` (set once per
machine or profile by the data lead); without either, a random salt is used for the run, so its
codes cannot be linked to another run's.
"""
from __future__ import annotations

import os

from qgis.core import QgsProcessingParameterEnum, QgsSettings

IDENTIFIER_OPTIONS = ["Hash (salted SHA-256)", "Drop", "Keep as they are"]
IDENTIFIER_KEYS = ["hash", "drop", "keep"]
SALT_ENVIRONMENT = "JOINEDUP_HASH_SALT"
SALT_SETTING = "joinedup/hash_salt"


def add_identifier_parameters(alg, label: str) -> None:
    """IDENTIFIER_ACTION (drop by default) on ``alg``."""
    alg.add_parameter(QgsProcessingParameterEnum("IDENTIFIER_ACTION", alg.tr(label), options=IDENTIFIER_OPTIONS,
                                                 defaultValue=1),
                      "Drop (default): remove the fields. Hash: replace each value by a salted "
                      "SHA-256 code (16 hex digits), equal values keeping equal codes; the salt comes "
                      f"from the environment variable {SALT_ENVIRONMENT} or the QGIS setting "
                      f"{SALT_SETTING} (never a parameter, so it is not written to the history or "
                      "provenance); without one, a random salt for this run. Keep: copy them as they are.")


def salt_source() -> tuple:
    """(salt, where it came from) for hashing; ('', 'random') when none is set."""
    salt = os.environ.get(SALT_ENVIRONMENT, "")
    if salt:
        return salt, f"environment variable {SALT_ENVIRONMENT}"
    salt = str(QgsSettings().value(SALT_SETTING, "") or "")
    if salt:
        return salt, f"QGIS setting {SALT_SETTING}"
    return "", "random"


def identifier_choice(alg, parameters, context) -> tuple:
    """(action key, salt, a sentence for the log saying where the salt came from, never the
    salt itself) chosen for this run."""
    action = IDENTIFIER_KEYS[alg.parameterAsEnum(parameters, "IDENTIFIER_ACTION", context)]
    salt, source = salt_source() if action == "hash" else ("", "")
    said = f"Hashing salt from the {source} (not shown)" if source not in ("", "random") else ""
    return action, salt, said
