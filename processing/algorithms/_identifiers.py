"""Parameters shared by the address algorithms: what happens to direct identifiers."""
from __future__ import annotations

from qgis.core import QgsProcessingParameterDefinition, QgsProcessingParameterEnum, QgsProcessingParameterString

IDENTIFIER_OPTIONS = ["Hash (salted SHA-256)", "Drop", "Keep as they are"]
IDENTIFIER_KEYS = ["hash", "drop", "keep"]


def add_identifier_parameters(alg, label: str) -> None:
    """IDENTIFIER_ACTION (hash by default) and SALT (advanced) on ``alg``."""
    p = QgsProcessingParameterEnum("IDENTIFIER_ACTION", alg.tr(label), options=IDENTIFIER_OPTIONS,
                                   defaultValue=0)
    p.setHelp(alg.tr("Hash (default): equal values keep equal codes; Drop: remove the fields; "
                     "Keep: copy them as they are."))
    alg.addParameter(p)
    p = QgsProcessingParameterString("SALT", alg.tr("Salt for hashing"), optional=True, defaultValue="")
    p.setHelp(alg.tr("Secret text mixed into the hashes. Empty: a random salt, so codes cannot be "
                     "linked to another run's; give the same salt to link runs."))
    p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
    alg.addParameter(p)


def identifier_choice(alg, parameters, context) -> tuple:
    """(action key, salt) chosen for this run."""
    return (IDENTIFIER_KEYS[alg.parameterAsEnum(parameters, "IDENTIFIER_ACTION", context)],
            alg.parameterAsString(parameters, "SALT", context))
