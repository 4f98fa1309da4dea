"""dbtools.migrate: move a MySQL or PostgreSQL schema (and data) to Cloud Spanner."""

__version__ = "0.1.0"
