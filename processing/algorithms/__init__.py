"""One module per algorithm; the provider registers every ``JoinedUpAlgorithm`` found here.
Import the engine and the bridge inside ``execute()``, never at module level (see base.py)."""
