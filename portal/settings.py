"""Settings for the trial portal. Every deploy-time difference comes from the environment."""

import os
import re
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from portal.cache import LOCMEM, REDIS, cache_settings
from portal.database import database_config, replica_configs
from portal.env import envbool, envint, envlist, envsecret, envurl


def envrate(name: str, default: str) -> str:
    """A request rate such as ``120/m`` (per s, m, h or d), as django-ratelimit and DRF read it."""
    raw = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"[0-9]+/[smhd]", raw):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate such as 120/m (a number per s, m, h or d)")
    return raw


BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envsecret("SECRET_KEY", debug=DEBUG, debug_default="insecure-debug-only-key")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from our static files, not a CDN
    "axes",  # login throttling: its models record failed attempts
    "csp",  # only for its system checks, which catch django-csp 3's settings that 4.0 would ignore
    "django_ratelimit",  # only for its system checks on the cache (see SILENCED_SYSTEM_CHECKS)
    "trials",
]

MIDDLEWARE = [
    "portal.long_lived.FreezeLongLivedObjects",  # first: freezes once the whole response is made
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.database_outage.DatabaseOutageMiddleware",  # the only process_exception here: database down -> 503
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes checks every login first and refuses it while the username+IP is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": database_config(BASE_DIR, conn_max_age=envint("CONN_MAX_AGE", 60)),
    **replica_configs(conn_max_age=envint("CONN_MAX_AGE", 60)),
}
# With replicas, public pages and the API read the catalogue from them, all else uses the primary,
# and a browser that wrote reads the primary for REPLICA_PIN_SECONDS more (portal/db_router.py).
REPLICA_PIN_SECONDS = envint("REPLICA_PIN_SECONDS", 10)
DATABASE_ROUTERS = ["portal.db_router.ReplicaRouter"] if len(DATABASES) > 1 else []
if DATABASE_ROUTERS:
    MIDDLEWARE.insert(0, "portal.db_router.ReplicaReadsMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Production hardening; each can be relaxed from the environment for local HTTP.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
# Behind our TLS proxy the client's address is the last X-Forwarded-For entry (portal.client_ip).
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4): our pages, the admin and Swagger UI load scripts and
# styles from our own static files only; no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Swagger UI's and the admin's icons are data: URIs
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from
# one address, that pair is locked out for AXES_COOLOFF_MINUTES, even with the right password.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "portal.client_ip.client_ip"

# Uploads bigger than this go to a temporary file rather than memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
# Curators' uploads in admin: the largest file accepted (a CT.gov study is ~17 KB; a zip of
# 10,000 studies ~40 MB), and the size up to which an import runs in the request instead of
# in the background worker.
IMPORT_UPLOAD_MAX_BYTES = envint("IMPORT_UPLOAD_MAX_BYTES", 100 * 1024 * 1024)
IMPORT_INLINE_MAX_BYTES = envint("IMPORT_INLINE_MAX_BYTES", 512 * 1024)

# Background work (admin imports) runs in `manage.py db_worker`, queued in PostgreSQL.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"trials": {"level": envlist("TRIALS_LOG_LEVEL", ["INFO"])[0]}},
}

TRIALS_PAGE_SIZE = envint("TRIALS_PAGE_SIZE", 20)

# Facet counts and result pages come from an in-memory snapshot of the catalogue ("memory",
# trials.engine), caught up with the trials that changed, reloaded in a background thread when too
# many did (PostgreSQL answering meanwhile); "postgresql" answers every search with SQL alone (the reference).
SEARCH_ENGINE = os.environ.get("SEARCH_ENGINE", "memory").strip() or "memory"
if SEARCH_ENGINE not in {"memory", "postgresql"}:
    raise ImproperlyConfigured(f"SEARCH_ENGINE must be memory or postgresql, not {SEARCH_ENGINE!r}")
SEARCH_ENGINE_BACKGROUND = envbool("SEARCH_ENGINE_BACKGROUND", True)
# Where the snapshot's arrays are kept for the other workers and the next start (trials.engine.stored);
# empty: each worker reads its own from PostgreSQL.
SEARCH_SNAPSHOT_DIR = os.environ.get("SEARCH_SNAPSHOT_DIR", str(BASE_DIR / "var" / "search-snapshots"))
# The vocabularies built from data/vocab, pickled for the next process (trials.vocab.stored).
VOCAB_CACHE_DIR = os.environ.get("VOCAB_CACHE_DIR", str(BASE_DIR / "var" / "vocab-cache"))
# Whole answers of the search page and the API list, kept under the catalogue's version (trials.page_cache):
# the same search asked again is a cache read. 0 turns it off.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 600)

# Facet counts are cached per search, under the catalogue's version (trials.search_index bumps it
# whenever trials change), so a cached count is never stale; the rate limits' counters have a cache of
# their own. With REDIS_URL both are shared by every worker (and machine); without it each worker keeps
# its own, and a client may make up to (workers x limit) requests. See portal/cache.py and README.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CACHES = cache_settings(REDIS_URL, max_entries=envint("FACET_CACHE_ENTRIES", 5000))
FACET_CACHE_SECONDS = envint("FACET_CACHE_SECONDS", 3600)

# Rate limits per client address (portal.rate_limits): the HTML search page, place suggestions and
# the feed, the exports (each streams a whole search), and the API (DRF throttling). RATE_LIMITS=off
# turns all of them off, e.g. for a load test from one address.
RATE_LIMITS_ENABLED = envbool("RATE_LIMITS", True)
SEARCH_RATE_LIMIT = envrate("SEARCH_RATE_LIMIT", "120/m")
EXPORT_RATE_LIMIT = envrate("EXPORT_RATE_LIMIT", "20/m")
API_RATE_LIMIT = envrate("API_RATE_LIMIT", "120/m")
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_FAIL_OPEN = True  # a cache that cannot be reached counts nothing and limits no one
# django-ratelimit's checks know neither LocMemCache as acceptable (E003: not shared) nor Django's own
# RedisCache, which is shared and increments atomically (W001: "not officially supported"; its list
# predates Django 4.0's backend). Per-worker counting without REDIS_URL is a choice made knowingly
# (above, and in README): LocMemCache increments atomically within its process, so each worker's limit
# holds. Only these checks are silenced, and only for these two backends.
SILENCED_SYSTEM_CHECKS = {
    LOCMEM: ["django_ratelimit.E003", "django_ratelimit.W001"],
    REDIS: ["django_ratelimit.W001"],
}.get(CACHES[RATELIMIT_USE_CACHE]["BACKEND"], [])

# The JSON API (trials/api/): public and read-only, JSON only; no sessions, so no CSRF and no
# query for a user. A search page holds TRIALS_PAGE_SIZE trials unless ``page_size`` asks (up to 100).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "trials.api.views.error_as_json",
    # API_RATE_LIMIT per client address; the class reads the settings on each request (RATE_LIMITS=off).
    "DEFAULT_THROTTLE_CLASSES": ["portal.rate_limits.ApiRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Trial Portal API",
    "DESCRIPTION": "Search the catalogue of clinical trials with the search page's filters and facets, "
    "and read each trial's canonical JSON. Data: ClinicalTrials.gov (U.S. National Library of Medicine).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SORT_OPERATION_PARAMETERS": False,  # the FilterSet's order: q first
    "ENUM_NAME_OVERRIDES": {
        "AgencyClassEnum": "trials.choices.AgencyClass",
        "ActualOrEstimatedEnum": "trials.choices.ActualOrEstimated",
        "SiteStatusEnum": "trials.choices.RecruitmentStatus",
    },
}

# ClinicalTrials.gov API v2, read by ``import_trials --ctgov`` / ``--ctgov-since``. Tests point it at a local replay.
CTGOV_API_URL = envurl("CTGOV_API_URL", "https://clinicaltrials.gov/api/v2")
CTGOV_API_TIMEOUT = envint("CTGOV_API_TIMEOUT", 60)  # seconds to wait for one response
if CTGOV_API_TIMEOUT < 1:
    raise ImproperlyConfigured(f"CTGOV_API_TIMEOUT={CTGOV_API_TIMEOUT} must be at least 1 (seconds)")
