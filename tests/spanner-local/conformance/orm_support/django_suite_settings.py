"""Django settings for django-google-spanner's system tests (its source distribution ships
without any): the Spanner backend on the instance and database the tests themselves create."""

import os

DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
SECRET_KEY = "spanner-local conformance run"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = [
    "django_spanner",  # the backend's app must come first
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "system",  # the suite's models: tests/system/django_spanner/models.py, as pytest imports it
]
_NAME = os.environ.get("DJANGO_SPANNER_DB", "django_test_db")
DATABASES = {
    "default": {
        "ENGINE": "django_spanner",
        "PROJECT": os.environ["GOOGLE_CLOUD_PROJECT"],
        "INSTANCE": os.environ.get(
            "GOOGLE_CLOUD_TESTS_SPANNER_INSTANCE", "spanner-django-python-systest"
        ),
        "NAME": _NAME,
        # the suite creates its database with Django's test-database machinery and then uses
        # it under NAME: both are the one name
        "TEST": {"NAME": _NAME},
    }
}
