"""Settings for the Recovery Coaching case-management app.

One module, configured from the environment (see README.md for every variable).
Development: DEBUG=true, no DATABASE_URL (embedded PostgreSQL), no REDIS_URL
(Celery tasks run in-process). Production: DEBUG=false and the secrets set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from recovery_program import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.boolean("DEBUG", default=False)


def _development_secret_key() -> str:
    """Generated once per checkout and kept under var/, so sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env.listing("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.listing("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env.string("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # single-use recovery codes
    "pgtrigger",
    "pghistory",
    "axes",
    "csp",
    "django_htmx",
    "template_partials",
    "django_filters",
    "recovery_program",
    "staff",
    "patients",
    "coaching",
    "supervision",
    "referrals",
    "workspace",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language before login: the one picked on the login page, else the browser's.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After login, the language she chose on her account page.
    "staff.middleware.LanguageMiddleware",
    # A session ends some hours after login, however active.
    "staff.middleware.SessionLifetimeMiddleware",
    # Times are typed, shown and reckoned in the zone of her program.
    "staff.middleware.ProgramTimeZoneMiddleware",
    # A form sent after her session ended: a script is told so (401), a page goes to log in and back to the form.
    "recovery_program.middleware.SessionEndedMiddleware",
    # A page whose query ran past STATEMENT_TIMEOUT_MS says it took too long (503), not "server error".
    "recovery_program.middleware.TookTooLongMiddleware",
    # Pages of a logged-in user hold patient data: no browser or proxy keeps them.
    "recovery_program.middleware.NoStoreForStaffMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Someone with two-step login set up must give her code before anything else.
    "staff.middleware.TwoStepMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records the acting user and request on every history row.
    "pghistory.middleware.HistoryMiddleware",
    # Last, so that a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "workspace.urls"
WSGI_APPLICATION = "recovery_program.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recovery_program.context_processors.ui_strings",
                "csp.context_processors.nonce",
                "workspace.context_processors.navigation",
                "staff.context_processors.on_call_line",
            ],
        },
    },
]
# Form fields and widgets render through Jinja2 (Django's own templates for them, django/forms/jinja2): the same
# HTML, a third of the time. A page with a long pick list (the log form: a checkbox and a note for each of her
# women) spent most of its time drawing them.
FORM_RENDERER = "django.forms.renderers.Jinja2"

# Database: PostgreSQL only. With no DATABASE_URL, an embedded server under var/.
DATABASE_URL = env.string("DATABASE_URL")
EMBEDDED_DATABASE = DATABASE_URL is None
if EMBEDDED_DATABASE:
    from recovery_program.embedded_db import embedded_database_url

    DATABASE_URL = embedded_database_url(VAR_DIR)
    os.environ["DATABASE_URL"] = DATABASE_URL  # child processes use the same server
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL.")
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.integer("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A statement that runs longer is cancelled, so that no request holds a web worker for seconds; the page says it
# took too long (recovery_program.middleware.TookTooLongMiddleware). gunicorn.conf.py sets it for web processes;
# 0, the default elsewhere (commands, workers, tests), is no limit.
STATEMENT_TIMEOUT_MS = env.integer("STATEMENT_TIMEOUT_MS", 0)
# No JIT compilation: PostgreSQL compiles any query its planner costs above jit_above_cost, which a report's or a
# deep list's query passes at state scale; compiling took 89 ms of a 127 ms report query (docs/performance.md),
# more than it saves on queries that read an index for milliseconds.
# The planner's price of a random page read: 1.1, not PostgreSQL's 4 (made for spinning disks). On SSDs, or with
# the working set in memory, 4 made it scan a whole table of women to join a few hundred open concerns (16 ms
# where reading each by its key takes 2; docs/performance.md).
RANDOM_PAGE_COST = env.string("DB_RANDOM_PAGE_COST", "1.1")
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c jit=off -c random_page_cost={RANDOM_PAGE_COST}".strip()
if STATEMENT_TIMEOUT_MS:
    _options["options"] = f"{_options['options']} -c statement_timeout={STATEMENT_TIMEOUT_MS}"
# A streaming replica for the long reads (reports, program figures, downloads), when there is one: only views that
# ask read it (recovery_program/routers.py); its reads are not part of the request's transaction.
REPLICA_DATABASE_URL = env.string("REPLICA_DATABASE_URL")
REPLICA_MAX_LAG_SECONDS = env.integer("REPLICA_MAX_LAG_SECONDS", 60)
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = environ.Env.db_url_config(REPLICA_DATABASE_URL) | {
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # Out of reach, it is passed over (the primary answers) after at most this long.
        "OPTIONS": {"options": _options["options"], "connect_timeout": 2},
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["recovery_program.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Staff accounts
AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    # Locks an account out after repeated failed logins.
    "axes.backends.AxesStandaloneBackend",
    # Username or e-mail address, case-insensitive.
    "staff.backends.UsernameOrEmailBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: anonymous people reach nothing

# Two-step login (a code from an authenticator app). Everyone must set it up before using the app, unless
# TWO_STEP_REQUIRED is turned off (it is off by default only in development, DEBUG on); anyone can turn it on.
TWO_STEP_REQUIRED = env.boolean("TWO_STEP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = "Recovery Coaching"
# django-otp's own throttle slows the device, that is the real user too, for anyone's wrong codes; wrong codes
# instead end the session that types them (staff.views.two_step).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Lockout (staff/lockout.py): an account after AXES_FAILURE_LIMIT wrong passwords, whatever spelling of her username
# or e-mail was typed; an address after AXES_ADDRESS_FAILURE_LIMIT, higher, as a clinic may share one address.
AXES_HANDLER = "staff.lockout.AccountAndAddressHandler"
AXES_USERNAME_CALLABLE = "staff.lockout.account_username"
AXES_CLIENT_IP_CALLABLE = "staff.lockout.client_address"
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5)
AXES_ADDRESS_FAILURE_LIMIT = env.integer("AXES_ADDRESS_FAILURE_LIMIT", 50)
if not 1 <= AXES_FAILURE_LIMIT <= AXES_ADDRESS_FAILURE_LIMIT:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT must be at least 1 and at most AXES_ADDRESS_FAILURE_LIMIT.")
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sessions: a shared or lost phone must not stay logged in.
SESSION_ENGINE = "staff.sessions"
SESSION_COOKIE_AGE = env.integer("SESSION_IDLE_MINUTES", 30) * 60
# Activity keeps a session alive, but it is written at most once a minute (staff.middleware.SessionLifetimeMiddleware),
# not on every request: the idle timeout runs from her last minute of activity.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_SECONDS = 60
SESSION_ABSOLUTE_HOURS = env.integer("SESSION_ABSOLUTE_HOURS", 12)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Security. With DEBUG off these default to the strict values that
# `manage.py check --deploy` wants; each can be turned off for a deployment
# behind a proxy that terminates TLS differently.
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.boolean("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
BEHIND_PROXY = env.boolean("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Nothing from outside: no CDN, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Internationalisation and time. Each person reads the app in her own language (User.language; before login, the
# browser's or the one she picked on the login page). Another language is a catalogue under locale/ and a line here.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.string("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# Static files, served by WhiteNoise (no CDN: the app runs on closed networks).
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded files (training certificates, signed consents, service agreements): never in the web root, served only
# through a checked view (recovery_program/storage.py). With OBJECT_STORAGE_BUCKET set, in that private bucket of an
# S3-compatible store (MinIO, AWS S3...), so that any web node serves what another saved; otherwise in the folder
# PRIVATE_MEDIA_ROOT (`make run`, the tests, one node). OBJECT_STORAGE_URL is the store's endpoint (empty: AWS);
# without keys, boto3 finds its own (an instance role). Objects are written private and encrypted at rest by the
# store: OBJECT_STORAGE_ENCRYPTION is "AES256" (keys the store keeps) or "aws:kms" (with OBJECT_STORAGE_KMS_KEY_ID).
PRIVATE_MEDIA_ROOT = Path(env.string("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
OBJECT_STORAGE_BUCKET = env.string("OBJECT_STORAGE_BUCKET", "")
OBJECT_STORAGE_URL = env.string("OBJECT_STORAGE_URL", "")
OBJECT_STORAGE_REGION = env.string("OBJECT_STORAGE_REGION", "us-east-1")
OBJECT_STORAGE_ACCESS_KEY_ID = env.string("OBJECT_STORAGE_ACCESS_KEY_ID", "")
OBJECT_STORAGE_SECRET_ACCESS_KEY = env.secret("OBJECT_STORAGE_SECRET_ACCESS_KEY") or ""
OBJECT_STORAGE_ENCRYPTION = env.string("OBJECT_STORAGE_ENCRYPTION", "AES256")
OBJECT_STORAGE_KMS_KEY_ID = env.string("OBJECT_STORAGE_KMS_KEY_ID", "")
if OBJECT_STORAGE_ENCRYPTION not in ("AES256", "aws:kms"):
    raise ImproperlyConfigured('OBJECT_STORAGE_ENCRYPTION must be "AES256" or "aws:kms": files are never kept plain.')
if bool(OBJECT_STORAGE_ACCESS_KEY_ID) != bool(OBJECT_STORAGE_SECRET_ACCESS_KEY):
    raise ImproperlyConfigured("OBJECT_STORAGE_ACCESS_KEY_ID and OBJECT_STORAGE_SECRET_ACCESS_KEY go together.")
if OBJECT_STORAGE_URL and not OBJECT_STORAGE_BUCKET:
    raise ImproperlyConfigured("OBJECT_STORAGE_URL is set but OBJECT_STORAGE_BUCKET is not: name the bucket.")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# Backups (`make backup`, recovery_program/backup.py): where the archives go, and how long they are kept (every
# archive for BACKUP_KEEP_DAYS days, and the first of each month for BACKUP_KEEP_MONTHS months).
BACKUP_DIR = Path(env.string("BACKUP_DIR", str(VAR_DIR / "backups")))
# The access log is kept in the database this many years (HIPAA keeps documentation six), then archived to files
# by `manage.py access_log_archive` (docs/design.md, "History, the access log and background work").
ACCESS_LOG_RETENTION_YEARS = env.integer("ACCESS_LOG_RETENTION_YEARS", 6)
ACCESS_LOG_ARCHIVE_DIR = Path(env.string("ACCESS_LOG_ARCHIVE_DIR", str(VAR_DIR / "access-log-archive")))
BACKUP_KEEP_DAYS = env.integer("BACKUP_KEEP_DAYS", 35)
BACKUP_KEEP_MONTHS = env.integer("BACKUP_KEEP_MONTHS", 12)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# E-mail: console in development; SMTP from EMAIL_URL in production.
_email_url = env.secret("EMAIL_URL")
if _email_url:
    globals().update(environ.Env.email_url_config(_email_url))
else:
    # EMAIL_BACKEND may name another backend, e.g. recovery_program.messaging.OutboxEmailBackend.
    EMAIL_BACKEND = env.string("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Text messages for paging: console in development, the database outbox in tests, a provider in production.
SMS_BACKEND = env.string("SMS_BACKEND", "recovery_program.messaging.ConsoleSMSBackend")
SMS_URL = env.string("SMS_URL", "")
SMS_TOKEN = env.secret("SMS_TOKEN") or ""
# Twilio (SMS_BACKEND=recovery_program.twilio.TwilioSMSBackend): the account, its auth token (which also checks
# the signature of delivery receipts), optionally an API key to send with instead, and From or a messaging service.
TWILIO_ACCOUNT_SID = env.string("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env.secret("TWILIO_AUTH_TOKEN") or ""
TWILIO_API_KEY_SID = env.string("TWILIO_API_KEY_SID", "")
TWILIO_API_KEY_SECRET = env.secret("TWILIO_API_KEY_SECRET") or ""
TWILIO_FROM = env.string("TWILIO_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = env.string("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_BASE = env.string("TWILIO_API_BASE", "https://api.twilio.com")
if SMS_BACKEND.endswith(".TwilioSMSBackend") and not (
    TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and (TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID)
):
    raise ImproperlyConfigured(
        "Texts through Twilio need TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
        "and TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID."
    )
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Recovery Coaching <no-reply@localhost>")
# A page that cannot be sent is tried this many times, waiting PAGE_RETRY_SECONDS and then twice as long
# each time; then it is marked failed, the next supervisor is paged and supervisors see it.
PAGE_MAX_ATTEMPTS = env.integer("PAGE_MAX_ATTEMPTS", 5)
PAGE_RETRY_SECONDS = env.integer("PAGE_RETRY_SECONDS", 30)
# After every supervisor was paged, nobody having the concern, every supervisor is paged again each
# program.escalation_minutes, this many times in all (counting the first); then the concern waits on their home pages.
PAGE_EVERYONE_ROUNDS = env.integer("PAGE_EVERYONE_ROUNDS", 4)
if PAGE_MAX_ATTEMPTS < 1 or PAGE_RETRY_SECONDS < 1 or PAGE_EVERYONE_ROUNDS < 1:
    raise ImproperlyConfigured("PAGE_MAX_ATTEMPTS, PAGE_RETRY_SECONDS and PAGE_EVERYONE_ROUNDS must be at least 1.")

# An outbox e-mail (a password link, a notice) that cannot be sent is tried this many times, waiting
# MESSAGE_RETRY_SECONDS and then twice as long each time; then it is marked failed (recovery_program.outbox).
MESSAGE_MAX_ATTEMPTS = env.integer("MESSAGE_MAX_ATTEMPTS", 5)
MESSAGE_RETRY_SECONDS = env.integer("MESSAGE_RETRY_SECONDS", 60)
if MESSAGE_MAX_ATTEMPTS < 1 or MESSAGE_RETRY_SECONDS < 1:
    raise ImproperlyConfigured("MESSAGE_MAX_ATTEMPTS and MESSAGE_RETRY_SECONDS must be at least 1.")

# Celery. With no REDIS_URL, tasks run in-process (said at start-up).
REDIS_URL = env.string("REDIS_URL")
# Django's cache: nothing in the app uses it (sessions, lockout, one-time keys and locks are all in PostgreSQL), but
# whatever comes to use it must be shared by every web node and worker: Redis when there is one. Without REDIS_URL
# (`make run`, one process) it stays in memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.string("CACHE_KEY_PREFIX", "recovery"),
        }
    }
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
# Queues: texts, e-mails and the sweep have their own, each taken by workers of its own (bin/run,
# docker-compose.yml), so that a slow text provider holds up neither the e-mail fallback nor the sweep; the rest
# go to the default queue. Every name starts with CELERY_QUEUE: `make test` gives each run its own, so that two
# runs on one machine never take each other's tasks. A worker started without -Q takes them all.
CELERY_QUEUE = env.string("CELERY_QUEUE", "celery")
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE
TASK_QUEUES_BY_KIND = {
    kind: f"{CELERY_QUEUE}.{kind}" if kind != "default" else CELERY_QUEUE
    for kind in ("default", "sms", "email", "sweep")
}
# Each queue's workers write a heartbeat of their own (recovery_program.health); the default's take the sweep's too.
WORKER_HEARTBEATS = {"default": "worker", "sms": "worker_texts", "email": "worker_email"}
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in TASK_QUEUES_BY_KIND.values()]
CELERY_TASK_ROUTES = {
    "supervision.tasks.deliver_text": {"queue": TASK_QUEUES_BY_KIND["sms"]},
    "supervision.tasks.deliver_email": {"queue": TASK_QUEUES_BY_KIND["email"]},
    "supervision.tasks.sweep_pages": {"queue": TASK_QUEUES_BY_KIND["sweep"]},
    "recovery_program.tasks.deliver_message": {"queue": TASK_QUEUES_BY_KIND["email"]},
    "recovery_program.tasks.sweep_messages": {"queue": TASK_QUEUES_BY_KIND["sweep"]},
}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
# A broker that hangs must not hang the request that enqueues a task after its commit: every call is bounded,
# publishing is retried briefly, and then given up (the outbox row and the minute sweep carry the work).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_BEAT_SCHEDULER = "recovery_program.celery:HeartbeatScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True  # a task that needs its result asks for it
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE

# Logs never carry clinical content: only ids, actions and the kind of an error (recovery_program/logs.py).
# Every handler takes the filter; a logger with handlers of its own lists one of these.
_NO_CLINICAL_CONTENT = ["no_clinical_content"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_clinical_content": {"()": "recovery_program.logs.NoClinicalContent"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": _NO_CLINICAL_CONTENT},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": _NO_CLINICAL_CONTENT,
        },
    },
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (a console when DEBUG is on, e-mails to ADMINS) are replaced: its records go to
        # the root's console.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.request": {"level": "ERROR", "propagate": True},
        # SQL with its parameters (logged when DEBUG is on) is clinical text.
        "django.db.backends": {"level": "INFO", "propagate": True},
    },
}
ADMINS: list[tuple[str, str]] = []  # no error e-mails: they could carry clinical content
DEFAULT_EXCEPTION_REPORTER_FILTER = "recovery_program.logs.ClinicalExceptionReporterFilter"
