"""The two helpers sqlalchemy-spanner's compliance suite imports from `tests._helpers`, which
its source distribution leaves out: the database URL and the project the run uses."""

import os


def get_db_url() -> str:
    return os.environ["DBTOOLS_SQLA_DB_URL"]


def get_project() -> str:
    return os.environ["GOOGLE_CLOUD_PROJECT"]
