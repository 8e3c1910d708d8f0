"""Personal data of an institution's people: exports and erasure on request."""
