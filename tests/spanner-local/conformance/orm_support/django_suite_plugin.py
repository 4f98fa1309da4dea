"""pytest plugin for django-google-spanner's system tests: what its repository's conftest does
(the source distribution ships without it), set up Django once before the tests."""

import django


def pytest_configure() -> None:
    django.setup()
