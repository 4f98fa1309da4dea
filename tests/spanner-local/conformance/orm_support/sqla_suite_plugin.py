"""pytest plugin for sqlalchemy-spanner's compliance suite: what its repository's conftest does
(the source distribution ships without it). Registers the dialect under `spanner` and loads
SQLAlchemy's own testing plugin, which reads `--dburi` and the suite's setup.cfg."""

import pytest
from sqlalchemy.dialects import registry

registry.register("spanner", "google.cloud.sqlalchemy_spanner", "SpannerDialect")
pytest.register_assert_rewrite("sqlalchemy.testing.assertions")

from sqlalchemy.testing.plugin.pytestplugin import *  # noqa: E402, F403


@pytest.fixture
def literal_round_trip_spanner(metadata, connection):
    """The suite's overrides use this fixture from the repository's conftest: write each value
    as a rendered literal (not a bound parameter) into a column of `type_`, read the rows back
    (those equal to the first value, rendered the same way, where the type can be compared)
    and check that every value read is one of `output`."""
    from sqlalchemy import literal
    from sqlalchemy.testing.schema import Column, Table

    def run(type_, input_, output, filter_=None, compare=None, support_whereclause=True):
        table = Table("t", metadata, Column("x", type_))
        table.create(connection)
        for value in input_:
            connection.execute(table.insert().values(x=literal(value, type_, literal_execute=True)))
        stmt = table.select()
        if support_whereclause:
            wanted = [input_[0]] if compare is None else [compare, input_[0]]
            stmt = stmt.where(
                *(table.c.x == literal(w, type_, literal_execute=True) for w in wanted)
            )
        rows = connection.execute(stmt).all()
        assert rows, "no rows returned"
        for (value,) in rows:
            if filter_ is not None:
                value = filter_(value)
            assert value in output

    return run
