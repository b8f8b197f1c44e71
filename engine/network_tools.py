"""Old home of the network analyses, kept so that ``from engine.network_tools import …`` in
models, scripts and other branches keeps working; the code lives in :mod:`engine.network`."""
from .network import (  # noqa: F401
    access_cost,
    check_network,
    closest_facilities,
    k_nearest,
    od_table,
    route_table,
    service_areas,
    unreachable_reasons,
)
