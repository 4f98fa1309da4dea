"""PostgreSQL wire-protocol server in front of a Cloud Spanner PostgreSQL-dialect database."""

from __future__ import annotations

__version__ = "0.1.0"
