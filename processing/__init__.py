"""JoinedUp's Processing provider and algorithms (one algorithm per module in ``algorithms/``).

This package is reached only as ``joinedup.processing`` or by relative import: QGIS's own
Processing framework is the top-level package ``processing``.
"""
