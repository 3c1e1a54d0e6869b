"""The benchmark's floor: a bare Django project with one login-required page, served beside the app in the same
run (bench/run.py), so that the app's throughput is read as a share of what Django itself does on this machine.

It uses what the app's requests use underneath (PostgreSQL, database sessions, the auth middleware, a template)
and nothing of the app: each page's share of the floor is what the app's own work costs."""

import os

import environ

SECRET_KEY = "bench-floor-only"  # noqa: S105 (a throwaway project, served on localhost for a benchmark)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.floor.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
# The app's database server and database, in a schema of its own (bench.run creates it): its tables never meet
# the app's.
DATABASES = {"default": environ.Env.db_url_config(os.environ["DATABASE_URL"])}
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["OPTIONS"] = {"options": "-c search_path=bench_floor"}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
    }
]
USE_TZ = True
TIME_ZONE = "America/New_York"
LOGIN_URL = "/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
