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
    "tests.system",  # the suite's models (tests/system/django_spanner/models.py)
]
DATABASES = {
    "default": {
        "ENGINE": "django_spanner",
        "PROJECT": os.environ["GOOGLE_CLOUD_PROJECT"],
        "INSTANCE": os.environ.get(
            "GOOGLE_CLOUD_TESTS_SPANNER_INSTANCE", "spanner-django-python-systest"
        ),
        "NAME": os.environ.get("DJANGO_SPANNER_DB", "django_test_db"),
    }
}
