"""What a point's status says (one place for the engine, the outputs and the tests)."""
MATCHED = "matched"
OFF_NETWORK = "off network"
