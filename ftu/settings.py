"""FTU Hub settings: one module, driven by the environment.

With no variables set it runs the *embedded default*: SQLite (WAL) under ``var/``, the
in-memory channel layer, a local cache, Celery eager, console e-mail, keys generated on
first run and kept in ``var/``.  ``FTU_ENV=production`` makes every external setting
required and refuses to start when one is missing or malformed.  ``DATABASE_URL`` and
``REDIS_URL`` may also be set outside production (the test suite runs on both).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

FTU_ENV = env.str("FTU_ENV", default="embedded")
if FTU_ENV not in {"embedded", "production"}:
    raise ImproperlyConfigured("FTU_ENV must be 'embedded' or 'production'.")
PRODUCTION = FTU_ENV == "production"
DATA_DIR = Path(env.str("FTU_DATA_DIR", default=str(BASE_DIR / "var")))


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is required when FTU_ENV=production.")
    return value


def _local_secret(filename: str, make: callable) -> str:  # type: ignore[valid-type]
    """Read (or create on first run) a secret kept outside git under DATA_DIR."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


# --- secrets ---------------------------------------------------------------------------
if PRODUCTION:
    SECRET_KEY = _required("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
    _field_keys = _required("FIELD_ENCRYPTION_KEYS")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret(
        "secret_key", lambda: secrets.token_urlsafe(64)
    )
    _field_keys = os.environ.get("FIELD_ENCRYPTION_KEYS") or _local_secret(
        "field_encryption_keys", lambda: Fernet.generate_key().decode()
    )

# Newest key first; older keys only decrypt (rotate_field_keys re-encrypts with the first).
FIELD_ENCRYPTION_KEYS = [k.strip() for k in _field_keys.split(",") if k.strip()]
for _i, _key in enumerate(FIELD_ENCRYPTION_KEYS):
    try:
        Fernet(_key)
    except Exception as exc:  # noqa: BLE001 - any decoding error means a malformed key
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS: key #{_i + 1} is not a valid Fernet key."
        ) from exc
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must hold at least one key.")
# Keyed hashes for blind-index columns: BLIND_INDEX_KEY, or else the OLDEST field key (the last
# listed), never SECRET_KEY.  Set BLIND_INDEX_KEY explicitly before a rotation drops that key:
# a changed key silently breaks every exact-match search (duplicates, the identity guard).
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="") or FIELD_ENCRYPTION_KEYS[-1]

# Off unless asked for (DEBUG=1 on a developer's machine): the demo shows the hub's own error
# pages, as production does, never Django's technical ones.
DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when FTU_ENV=production.")

if PRODUCTION:
    ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names (no '*').")
else:
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"https://{h}" for h in ALLOWED_HOSTS if h != "testserver"]
)

# --- applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_filters",
    "django_htmx",
    "csp",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "ftu",
    "agencies",
    "referrals",
    "raids",
    "meetings",
    "notifications",
]

MIDDLEWARE = [
    "ftu.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "ftu.middleware.SessionLimitsMiddleware",
    "ftu.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "ftu.urls"
WSGI_APPLICATION = "ftu.wsgi.application"
ASGI_APPLICATION = "ftu.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "ftu.context_processors.site",
            ],
        },
    },
]

# --- data --------------------------------------------------------------------------------
if PRODUCTION:
    try:
        _db = env.db_url_config(_required("DATABASE_URL"))
    except ImproperlyConfigured:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ImproperlyConfigured("DATABASE_URL is malformed.") from exc
    if _db.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production.")
elif os.environ.get("DATABASE_URL"):
    _db = env.db_url_config(os.environ["DATABASE_URL"])
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "ftu.sqlite3"),
        "OPTIONS": {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write
            # lock at BEGIN so two writers queue instead of failing mid-transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
if _db.get("ENGINE") == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})
    # psycopg 3 connection pool; persistent connections must stay off with a pool.
    _db["OPTIONS"].setdefault("pool", {"min_size": 2, "max_size": env.int("DB_POOL_MAX", 20)})
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default="test_ftu")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _required("REDIS_URL") if PRODUCTION else os.environ.get("REDIS_URL", "")
# Parallel test workers share one Redis: keep their groups and cache keys apart.
_REDIS_PREFIX = env.str("FTU_CHANNEL_PREFIX", "ftu") + os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://.")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _REDIS_PREFIX,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # One PUBLISH per group: measured ~5x faster for fan-out than the list-based
            # layer (PERFORMANCE.md).  At-most-once either way: the database is the queue.
            # Notifications use one group for all server processes (notifications/fanout.py).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # A distinct prefix per test run keeps parallel runs on one Redis apart.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": _REDIS_PREFIX},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ftu-embedded",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            # Every notification batch goes through the one hub channel of the process
            # (notifications/fanout.py): the default capacity of 100 could drop a burst.
            "CONFIG": {"capacity": 10_000},
        }
    }
    CELERY_BROKER_URL = "memory://"

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_EAGER", default=not PRODUCTION)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Kolkata"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- e-mail ------------------------------------------------------------------------------
if PRODUCTION:
    try:
        _email = env.email_url_config(_required("EMAIL_URL"))
    except ImproperlyConfigured:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ImproperlyConfigured("EMAIL_URL is malformed.") from exc
    vars().update(_email)
elif os.environ.get("EMAIL_URL"):
    vars().update(env.email_url_config(os.environ["EMAIL_URL"]))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FTU Hub <noreply@ftu.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- accounts ----------------------------------------------------------------------------
AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ftu.passwords.ContextWordsValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ],
)
LOGIN_URL = "account_login"
LOGIN_URL_PATH = "/accounts/login/"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute limit, enforced by ftu.middleware too
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- security headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- i18n --------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("hi", _("Hindi"))]
# locale_vendor/ holds Hindi for third-party pages (allauth ships none); makemessages
# writes only to locale/.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["ftu.formats"]

# --- static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Embedded, WhiteNoise serves the files straight from the apps (no collectstatic needed);
# production serves the collected, compressed, hashed copies.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env.str("FTU_MEDIA_ROOT", default=str(DATA_DIR / "uploads")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# --- logging -----------------------------------------------------------------------------
DEFAULT_EXCEPTION_REPORTER_FILTER = "ftu.logging.ScrubbingExceptionReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "ftu.logging.RequestIdFilter"},
        "redact": {"()": "ftu.logging.RedactingFilter"},
    },
    "formatters": {"json": {"()": "ftu.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING", "propagate": True},
        "daphne": {"level": "WARNING"},
    },
}

# --- the embedded demo -------------------------------------------------------------------
# Seeded demo users may skip MFA enrolment; every page then says so.  Refused in production.
FTU_DEMO_SKIP_MFA = env.bool("FTU_DEMO_SKIP_MFA", default=not PRODUCTION)
if PRODUCTION and FTU_DEMO_SKIP_MFA:
    raise ImproperlyConfigured("FTU_DEMO_SKIP_MFA cannot be switched on in production.")
FTU_DISTRICT = env.str("FTU_DISTRICT", default="Meerut")
SITE_NAME = "FTU Hub"

# --- django-allauth (accounts, MFA, sessions) ----------------------------------------------
ACCOUNT_ADAPTER = "agencies.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[FTU Hub] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "5/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_ADAPTER = "agencies.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TRUST_ENABLED = False
MFA_TOTP_ISSUER = "FTU Hub"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
USERSESSIONS_TRACK_ACTIVITY = True

# django-axes: a database-backed lockout that survives a cache outage.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 6
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_VERBOSE = False


# --- audit kit (logging hygiene) -----------------------------------------------------------
# Error reports (mail to ADMINS) hide exception messages, query values and the referer too.
DEFAULT_EXCEPTION_REPORTER = "ftu.logging.ScrubbingExceptionReporter"

# --- accounts: invitations, enforced MFA, lockout (issue 3) --------------------------------
# After the session limits (an expired session is logged out first), before no-store.
MIDDLEWARE.insert(
    MIDDLEWARE.index("ftu.middleware.SessionLimitsMiddleware") + 1,
    "ftu.middleware.MFARequiredMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.locale.LocaleMiddleware"),
    "ftu.middleware.PreferredLanguageMiddleware",
)
INVITATION_VALID_HOURS = 72
# allauth passes ``email=`` to authenticate(): tell axes where the account name is.
AXES_USERNAME_CALLABLE = "agencies.adapters.axes_username"

# --- notifications ---
from celery.schedules import crontab  # noqa: E402

# The hub's address for absolute links in e-mail, SMS and calendar files (no trailing slash).
FTU_SITE_URL = env.str("FTU_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The outbox: attempts before giving up, and backoff base/cap in seconds (base · 2^(n-1)).
FTU_OUTBOX_MAX_ATTEMPTS = env.int("FTU_OUTBOX_MAX_ATTEMPTS", default=6)
FTU_OUTBOX_RETRY_BASE = env.int("FTU_OUTBOX_RETRY_BASE", default=60)
FTU_OUTBOX_RETRY_MAX = env.int("FTU_OUTBOX_RETRY_MAX", default=3600)
FTU_OUTBOX_LEASE = 300  # a claimed message is re-tried by the sweep if its worker died
# SMS: console in the demo; in production the HTTP gateway when FTU_SMS_GATEWAY_URL is set,
# otherwise "disabled" (every SMS fails visibly on the convenor's outbox page).
FTU_SMS_GATEWAY_URL = env.str("FTU_SMS_GATEWAY_URL", default="")
FTU_SMS_GATEWAY_TOKEN = env.str("FTU_SMS_GATEWAY_TOKEN", default="")
FTU_SMS_SENDER_ID = env.str("FTU_SMS_SENDER_ID", default="FTUHUB")
FTU_SMS_GATEWAY_TIMEOUT = 10
FTU_SMS_BACKEND = env.str(
    "FTU_SMS_BACKEND",
    default=(
        "notifications.sms.ConsoleBackend"
        if not PRODUCTION
        else "notifications.sms.HttpGatewayBackend"
        if FTU_SMS_GATEWAY_URL
        else "notifications.sms.DisabledBackend"
    ),
)
# Websocket replay: at most this many rows per hello (the client then reads the inbox).
FTU_NOTIFY_REPLAY_MAX = 1000
# How often (at most) an open socket re-checks its session and account, on ping.
FTU_SOCKET_RECHECK_SECONDS = 60
# The embedded ticker (a thread in the server process) replaces beat when Celery is eager.
FTU_EMBEDDED_TICK = env.bool(
    "FTU_EMBEDDED_TICK", default=not PRODUCTION and CELERY_TASK_ALWAYS_EAGER
)
CELERY_BEAT_SCHEDULE = {
    "tick-every-minute": {"task": "ftu.tick", "schedule": 60.0},
    "outbox-every-minute": {"task": "notifications.process_outbox", "schedule": 60.0},
    # CELERY_TIMEZONE is Asia/Kolkata: 08:00 IST.
    "digest-daily-0800-ist": {
        "task": "notifications.send_digests",
        "schedule": crontab(hour=8, minute=0),
    },
}

# --- operations: proxies, metrics, backups, retention (issue #10, docs/deploy.md) ----------
import ipaddress  # noqa: E402


def _networks(name: str, values: list[str]) -> list[str]:
    """Validate a list of addresses or networks (``10.0.0.5``, ``10.0.0.0/24``, ``::1``)."""
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {value!r} is not an address or network.") from exc
    return values


# Reverse proxies (nginx) whose X-Real-IP names the client: REMOTE_ADDR is rewritten only for
# requests that come from one of these, so audit rows, lockouts and /metrics see the client.
FTU_TRUSTED_PROXIES = _networks("FTU_TRUSTED_PROXIES", env.list("FTU_TRUSTED_PROXIES", default=[]))
MIDDLEWARE.insert(0, "ftu.proxy.TrustedProxyMiddleware")

# Prometheus: request latency and counts from django-prometheus, the hub's own metrics in
# ftu/metrics.py.  /metrics answers only the scrapers listed here (nobody in production
# unless listed; loopback in the embedded default) and 404 to everyone else.
INSTALLED_APPS.append("django_prometheus")
MIDDLEWARE.insert(0, "django_prometheus.middleware.PrometheusBeforeMiddleware")
MIDDLEWARE.append("django_prometheus.middleware.PrometheusAfterMiddleware")
PROMETHEUS_EXPORT_MIGRATIONS = False
FTU_METRICS_ALLOWED_IPS = _networks(
    "FTU_METRICS_ALLOWED_IPS",
    env.list("FTU_METRICS_ALLOWED_IPS", default=[] if PRODUCTION else ["127.0.0.1", "::1"]),
)
# host:port where the Celery worker serves its metrics (task failures, tick gauges); empty: off.
FTU_METRICS_WORKER_ADDR = env.str("FTU_METRICS_WORKER_ADDR", default="")

# Backups (manage.py backup_db / restore_db): the key is NOT needed by the web, websocket or
# worker machines; set it only where backups are made or restored, never next to the
# database or the field keys.  A key file (mode 0600) is preferred over the variable.
FTU_BACKUP_DIR = Path(env.str("FTU_BACKUP_DIR", default=str(DATA_DIR / "backups")))
BACKUP_ENCRYPTION_KEY_FILE = env.str("BACKUP_ENCRYPTION_KEY_FILE", default="")
BACKUP_ENCRYPTION_KEY = os.environ.get("BACKUP_ENCRYPTION_KEY", "").strip()
if BACKUP_ENCRYPTION_KEY and (
    BACKUP_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS or BACKUP_ENCRYPTION_KEY == SECRET_KEY
):
    raise ImproperlyConfigured(
        "BACKUP_ENCRYPTION_KEY must be a key of its own (not a field key, not SECRET_KEY)."
    )

# Retention: audit and access logs are kept at least 365 days; manage.py purge_audit does
# nothing unless this is set (to 365 or more).
FTU_AUDIT_RETENTION_DAYS = env.int("FTU_AUDIT_RETENTION_DAYS", default=None)
if FTU_AUDIT_RETENTION_DAYS is not None and FTU_AUDIT_RETENTION_DAYS < 365:
    raise ImproperlyConfigured("FTU_AUDIT_RETENTION_DAYS must be at least 365.")
# The worker logs through LOGGING above (JSON lines, request ids, redaction), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Installations (and parallel CI runs) sharing one Redis keep their Celery queues apart, as
# FTU_CHANNEL_PREFIX already keeps their cache keys and channel groups apart.
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{_REDIS_PREFIX}:"}

# --- dashboard ---
INSTALLED_APPS += ["dashboard"]

# --- retention of closed cases ---
# A closed case's protected identity is erased this many days after closing, unless under a
# legal hold (referrals/retention.py, run by the tick and manage.py erase_closed_identities).
# 0 means never; anything else must be at least 365 days.
FTU_CASE_IDENTITY_RETENTION_DAYS = env.int("FTU_CASE_IDENTITY_RETENTION_DAYS", default=3 * 365)
if FTU_CASE_IDENTITY_RETENTION_DAYS != 0 and FTU_CASE_IDENTITY_RETENTION_DAYS < 365:
    raise ImproperlyConfigured(
        "FTU_CASE_IDENTITY_RETENTION_DAYS must be 0 (never erase) or at least 365."
    )
