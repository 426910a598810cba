"""Settings for renda, read from the environment.

Embedded default: SQLite under var/, tasks in-process, DEBUG on for local use.
Production: see docs/deploy.md (PostgreSQL via DATABASE_URL, Redis via REDIS_URL,
Celery worker and beat, gunicorn behind nginx).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("RENDA_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)


def private_file(path: Path) -> Path:
    """``path``, created empty and readable by this user only if it does not exist yet (the secret
    key, the embedded database: another account on the machine must not read them)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
EMBEDDED = os.environ.get("RENDA_EMBEDDED", "1") == "1"  # 0 in production (docs/deploy.md)
_secret_file = VAR_DIR / "secret_key"
if os.environ.get("SECRET_KEY"):
    SECRET_KEY = os.environ["SECRET_KEY"]
elif DEBUG or EMBEDDED:
    # Embedded default: a random key made once per installation and kept in var/ (0600).
    if not private_file(_secret_file).read_text().strip():
        _secret_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = _secret_file.read_text().strip()
else:  # pragma: no cover - production must set it
    raise RuntimeError("SECRET_KEY 未设置：生产环境必须通过环境变量提供 SECRET_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "renda.core",
    "renda.regions",
    "renda.accounts",
    "renda.org",
    "renda.audit",
    "renda.notify",
    "renda.opinions",
    "renda.codes",
    "renda.suggestions",
    "renda.meetings",
    "renda.voting",
    "renda.projects",
    "renda.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A citizen's upload too large, or from an address out of submissions, is refused before its body is read.
    "renda.opinions.middleware.IntakeUploadGuard",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "renda.core.middleware.RendaErrorMiddleware",
    # axes must be last: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "renda.urls"
WSGI_APPLICATION = "renda.wsgi.application"
ASGI_APPLICATION = "renda.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "renda" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "renda.accounts.context_processors.scope",
                "renda.notify.context_processors.unread",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{private_file(VAR_DIR / 'renda.sqlite3')}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the embedded server take concurrent readers and
    # serialise writers without "database is locked" errors; secure_delete zeroes what is
    # deleted (the sealed ballots once a vote is counted) instead of leaving it in free pages.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login lockout (django-axes): 5 failures per username+IP lock for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
# Failed sign-ins from one address across usernames (password spraying), per hour. High enough for
# an office whose staff share one address behind NAT.
LOGIN_FAILURES_PER_IP_HOUR = int(os.environ.get("LOGIN_FAILURES_PER_IP_HOUR", "30"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Behind nginx every request comes from 127.0.0.1: lockouts must key on the client's address,
# which nginx passes in X-Real-IP (docs/deploy.md). Without a proxy REMOTE_ADDR is the client.
AXES_CLIENT_IP_CALLABLE = "renda.accounts.client_ip.client_ip"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at every start when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("RENDA_COLLECTSTATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ROSTER_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
ROSTER_MAX_ROWS = 50_000

# Sessions and cookies.
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "renda.site.views.csrf_failure"  # in Chinese, not Django's English page
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG and "DATABASE_URL" in os.environ)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4): only our own scripts and styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Background work. Without REDIS_URL tasks run in-process (embedded default).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Celery's Django fixup closes the DB connection after every task unless told to reuse it: without
# this each notification opened a new PostgreSQL connection (bench/README.md, intake).
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

CACHES = {
    "default": (
        {
            # Django's RedisCache, answering as an empty cache while Redis is down (core/cache.py).
            "BACKEND": "renda.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            # Parallel test workers share one Redis: keep their keys apart.
            "KEY_PREFIX": os.environ.get("PYTEST_XDIST_WORKER", ""),
            # An unreachable Redis costs a request one second at most, then the breaker skips it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Notifications: console in the embedded default; HttpSmsBackend in production.
NOTIFY_BACKEND = os.environ.get("NOTIFY_BACKEND", "renda.notify.backends.ConsoleBackend")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_SECRET = os.environ.get("SMS_GATEWAY_SECRET", "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "renda@localhost")

# The county's grassroots governance platform (基层治理四平台): routed cases are pushed to
# GOVERNANCE_WEBHOOK_URL signed with GOVERNANCE_OUTBOUND_SECRET; its status updates come back signed
# with GOVERNANCE_INBOUND_SECRET (a secret per direction: one leaked cannot forge the other way).
# Each signature covers a timestamp, refused outside GOVERNANCE_SIGNATURE_WINDOW seconds.
GOVERNANCE_WEBHOOK_URL = os.environ.get("GOVERNANCE_WEBHOOK_URL", "")
GOVERNANCE_INBOUND_SECRET = os.environ.get("GOVERNANCE_INBOUND_SECRET", "")
GOVERNANCE_OUTBOUND_SECRET = os.environ.get("GOVERNANCE_OUTBOUND_SECRET", "")
GOVERNANCE_SIGNATURE_WINDOW = int(os.environ.get("GOVERNANCE_SIGNATURE_WINDOW", "300"))
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# The hash chain of audit events is keyed with this so that a copied database
# cannot be re-chained by someone without the key.
# Embedded installations keep the public default (their chains were made with it); production
# refuses to start without a key of its own, as for SECRET_KEY, and `check --deploy` says so.
DEFAULT_AUDIT_CHAIN_KEY = "renda-audit-v1"
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
if not AUDIT_CHAIN_KEY:
    if not (DEBUG or EMBEDDED):  # pragma: no cover - production must set it
        raise RuntimeError("AUDIT_CHAIN_KEY 未设置：生产环境必须通过环境变量提供审计链密钥（见 docs/deploy.md）")
    AUDIT_CHAIN_KEY = DEFAULT_AUDIT_CHAIN_KEY

# The audit chain head is anchored here, outside the database (renda/audit/anchors.py): keep the
# file off the database host or copy it away (docs/deploy.md); verify_audit reads it.
AUDIT_ANCHOR_FILE = os.environ.get("AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit_anchors.log"))

# Phone ballots are sealed (libsodium sealed boxes) to a key derived from this secret and a salt
# of the vote's own: the database alone (a copy, a backup, a curious administrator) cannot open
# them, and at close the salt is erased. Embedded installations keep a random key in var/ (0600);
# production refuses to start without BALLOT_SEAL_KEY, and `check --deploy` says when it is weak.
_ballot_key_file = VAR_DIR / "ballot_seal_key"
BALLOT_SEAL_KEY = os.environ.get("BALLOT_SEAL_KEY", "")
if not BALLOT_SEAL_KEY:
    if not (DEBUG or EMBEDDED):  # pragma: no cover - production must set it
        raise RuntimeError("BALLOT_SEAL_KEY 未设置：生产环境必须通过环境变量提供选票封存密钥（见 docs/deploy.md）")
    if not private_file(_ballot_key_file).read_text().strip():
        _ballot_key_file.write_text(secrets.token_urlsafe(32))
    BALLOT_SEAL_KEY = _ballot_key_file.read_text().strip()
# Citizens' phone numbers (and the addresses messages go to) are encrypted at rest with a key
# derived from this secret (renda/core/personal.py). Embedded installations keep a random key in
# var/ (0600); production refuses to start without PERSONAL_DATA_KEY. Not in backups: keep it
# with the other keys, or the numbers are lost.
_personal_key_file = VAR_DIR / "personal_data_key"
PERSONAL_DATA_KEY = os.environ.get("PERSONAL_DATA_KEY", "")
if not PERSONAL_DATA_KEY:
    if not (DEBUG or EMBEDDED):  # pragma: no cover - production must set it
        raise RuntimeError(
            "PERSONAL_DATA_KEY 未设置：生产环境必须通过环境变量提供个人信息加密密钥（见 docs/deploy.md）"
        )
    if not private_file(_personal_key_file).read_text().strip():
        _personal_key_file.write_text(secrets.token_urlsafe(32))
    PERSONAL_DATA_KEY = _personal_key_file.read_text().strip()
# Phone ballots are published merged with the paper batches only when there are at least this
# many: fewer could be recovered by subtracting the tellers' paper totals from the result.
VOTE_MIN_PHONE_BALLOTS = int(os.environ.get("VOTE_MIN_PHONE_BALLOTS", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # In-process (eager) tasks would log a line per notification.
        "celery": {"level": "WARNING"},
        "kombu": {"level": "ERROR"},
    },
}
