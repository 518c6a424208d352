"""Independent peers the tests and benchmarks start for real, each in its own environment."""
