"""The names Gi* outputs and parameters use (one place for the dialog, the engine and the pack)."""
WEIGHTS = ("queen", "rook", "distance", "knn")
INFERENCE = ("analytical", "permutation")
GRID_SHAPES = ("square", "hexagon")
CLASS_LABELS = {3: "Hot spot 99%", 2: "Hot spot 95%", 1: "Hot spot 90%", 0: "Not significant",
                -1: "Cold spot 90%", -2: "Cold spot 95%", -3: "Cold spot 99%"}
ISLAND_LABEL = "No neighbours"
NO_VALUE_LABEL = "No value"
