"""The execution parameter of the heavy algorithms (mapmatch, networkflows, odmatrix,
joinbylocation, areaprofile): where the engine's tasks run. One text in one form, the same in the dialog, a
model and ``qgis_process``:

- ``local`` (empty = the QGIS setting ``joinedup/execution``, else ``local``): in this process;
- ``local cluster`` or ``local cluster:N``: a Dask LocalCluster of N worker processes (2 if
  N is left out) on this machine, listening on 127.0.0.1 only;
- ``cluster:tcp://host:8786``: the Dask scheduler at that address.

The text is parsed by ``engine.scale.Execution.parse`` (one place for the grammar).
"""
from __future__ import annotations

from qgis.core import QgsProcessingParameterString, QgsSettings

EXECUTION = "EXECUTION"
SETTING_KEY = "joinedup/execution"

SENT_TO_WORKERS = "the network and the GPS points (coordinates, times, track ids) are sent to them"
EXECUTION_HELP = (
    "Where the work runs. Empty: the QGIS setting 'joinedup/execution' (section [joinedup], key "
    "execution in QGIS3.ini), or 'local' when it is not set. 'local': in this QGIS process, as "
    "always. 'local cluster:N': N worker processes on this computer (a Dask LocalCluster on "
    "127.0.0.1 only; the desktop stays responsive, Cancel stops the workers). "
    "'cluster:tcp://host:8786': the Dask scheduler at that address on your network; its workers "
    "need JoinedUp's engine installed (docs/scale.md), and " + SENT_TO_WORKERS + ". Results are the "
    "same wherever it runs. "
    "The two cluster choices need the Python packages dask and distributed: "
    "pip install \"dask[distributed]\" in QGIS's Python.")


def add_execution_parameter(alg, sent_to_workers: str | None = None) -> None:
    """The advanced EXECUTION parameter (text; see the module docstring). ``sent_to_workers``:
    what this algorithm sends to a cluster's workers, for the help (default: map matching's)."""
    text = EXECUTION_HELP if sent_to_workers is None else EXECUTION_HELP.replace(SENT_TO_WORKERS, sent_to_workers)
    alg.add_parameter(QgsProcessingParameterString(EXECUTION, alg.tr("Execution (local, local cluster:N, "
                                                                     "cluster:address)"),
                                                   defaultValue="", optional=True),
                      text, advanced=True)


def execution_from_parameters(alg, parameters, context, feedback):
    """The ``engine.scale.Execution`` the user chose, or the QGIS setting's. A cluster choice
    without dask/distributed installed stops here, before any data is read."""
    from ..engine.scale import Execution, require_distributed

    text = (alg.parameterAsString(parameters, EXECUTION, context) or "").strip()
    if not text:
        text = str(QgsSettings().value(SETTING_KEY, "local") or "local")
    execution = Execution.parse(text)
    if not execution.is_local:
        require_distributed()
        feedback.pushInfo(f"Execution: {execution.describe()}.")
    return execution
