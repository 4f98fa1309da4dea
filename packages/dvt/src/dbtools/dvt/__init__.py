"""dbtools-dvt: data validation between two databases (row hashes, aggregates, schema)."""

__version__ = "0.1.0"
