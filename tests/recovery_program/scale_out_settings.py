"""The settings of the app served by tests/recovery_program/test_scale_out.py: production's (DEBUG off, from the
environment), with the two changes every test makes (tests/conftest.py): the fast password hasher the test users
were made with, and static files served as they are, uncollected."""

from recovery_program.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
