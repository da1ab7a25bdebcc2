"""Settings for the demo shop hosting the chatbot app.

Every value comes from the environment (django-environ); the names are the ones in
DESIGN.md. With nothing set you get the embedded defaults: SQLite file under the project,
local-memory cache, the local chat engine and the local shop assistant.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from chatbot.conf import DEFAULTS as CHATBOT_DEFAULTS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is a convenience for development; real deployments use the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Mail (the chat's staff notifications and emailed staff answers): one URL, django-environ's
# scheme — smtp://user:pass@host:587 (smtps:// for TLS), consolemail:// (the default: printed
# to the server's log), filemail:///path/to/dir (one file per email; the browser tests read
# them), memorymail://.
_email = env.email_url("EMAIL_URL", default="consolemail://")
if _email.get("EMAIL_FILE_PATH") and not str(_email["EMAIL_FILE_PATH"]).startswith("/"):
    # django-environ drops the leading slash of filemail:///abs/path.
    _email["EMAIL_FILE_PATH"] = "/" + str(_email["EMAIL_FILE_PATH"])
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="chat@localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Sign-in throttle (storefront and admin): failed attempts per (username, address).
    "axes",
    # Only its configuration checks; the middleware below serves the files.
    "servestatic",
    "rest_framework",
    "drf_spectacular",
    "storefront",
    "chatbot",
]

MIDDLEWARE = [
    # First: every response, even a health check or an error from later middleware, carries
    # the request id.
    "config.request_id.RequestIdMiddleware",
    # Before SecurityMiddleware and host validation: fly's checks use the machine's private
    # address as Host over plain HTTP (see chatbot.health.HealthCheckMiddleware).
    "chatbot.health.HealthCheckMiddleware",
    # Before host validation and body reading: the chat's routes answer those failures as
    # JSON, not as Django's logged HTML 400.
    "chatbot.middleware.ChatErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (after SecurityMiddleware: nosniff/HSTS on them too). Async file
    # responses: under ASGI no "must consume synchronous iterators" warning and no thread
    # per download (whitenoise's FileResponse had both). It is async-only, so under WSGI (the
    # test client, a sync server) Django runs the middleware above it on their async paths.
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything looks a shop, category or product up: %00 is a 400, not a 500 on PostgreSQL.
    "storefront.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Swaps the answer of a locked-out sign-in for the lockout page.
    "axes.middleware.AxesMiddleware",
    # Innermost, and sync-only: under ASGI it makes everything from ServeStatic down run as
    # one sync block in one thread (one hop in, one back for the view), not an async
    # middleware each hopping to a thread for its process_request and process_response
    # (about a dozen hops a request). After LocaleMiddleware: the shop's language wins.
    "storefront.middleware.ShopMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "storefront.context_processors.shop",
            ],
        },
    },
]

ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    # An empty DATABASE_URL means "not set" (CI and the Makefile clear it that way).
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool("DB_POOL", default=True):
    # A bounded pool per process: every reply job runs in its own thread, and a
    # connection per thread would exhaust PostgreSQL's max_connections (100 by default)
    # long before the threads run out. Threads borrow a connection and give it back.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DB_POOL_MAX", default=20),
        "timeout": env.int("DB_POOL_TIMEOUT", default=30),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Reply jobs write from worker threads while requests write too: IMMEDIATE takes the
    # write lock up front (no lock-upgrade deadlock that ends in "database is locked") and
    # the timeout waits out a busy writer. (WAL via init_command was tried: it made every
    # new connection contend, and reply latency at 50 conversations went from ~1 ms to
    # ~70 ms; bench/reply_latency.py.)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

# How long a thread of the ASGI server keeps the GIL while another waits (config/asgi.py
# applies it; Python's default is 5 ms). Milliseconds, above 0 and at most 100.
try:
    WEB_GIL_SWITCH_MS = env.float("WEB_GIL_SWITCH_MS", default=1.0)
except ValueError:
    WEB_GIL_SWITCH_MS = 0.0
if not 0 < WEB_GIL_SWITCH_MS <= 100:
    raise ImproperlyConfigured(
        f"WEB_GIL_SWITCH_MS={os.environ.get('WEB_GIL_SWITCH_MS')!r}: "
        "give milliseconds above 0 and at most 100."
    )

REDIS_URL = env.str("REDIS_URL", default=CHATBOT_DEFAULTS["REDIS_URL"])
REDIS_MAX_CONNECTIONS = env.int("REDIS_MAX_CONNECTIONS", default=CHATBOT_DEFAULTS["REDIS_MAX_CONNECTIONS"])
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache that treats Redis being down as a cache miss: the shop and
            # the chat keep answering (chatbot/cache.py; bench/faults.py, phase "redis").
            "BACKEND": "chatbot.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "shop",
            # Every streaming reply runs in its own thread and reads the cache (stop flag):
            # a blocking pool makes a thread wait for a connection instead of failing the
            # reply with "Too many connections".
            "OPTIONS": {
                "pool_class": "redis.BlockingConnectionPool",
                "max_connections": REDIS_MAX_CONNECTIONS,
                "timeout": 20,
                # A Redis that is down must be found out fast, not after the OS's minutes.
                "socket_connect_timeout": 2,
            },
        }
    }
    # Sessions read through the shared cache, each copy kept at most a minute
    # (config/sessions.py: why, and why not without Redis).
    SESSION_ENGINE = "config.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # In the database, read with one prepared statement (config/session_db.py: why).
    SESSION_ENGINE = "config.session_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "storefront:login"

# Sign-in throttle (django-axes): after SIGNIN_FAILURE_LIMIT failed attempts for one
# username from one client address, that pair is refused for SIGNIN_LOCKOUT_MINUTES with a
# page that says so (429). Both the shop's email sign-in and the admin's login go through
# Django's authenticate(), which the first backend guards. The address is the chat's own
# (chatbot.clientaddr: the proxy's header only from trusted proxies, IPv6 per /64), so
# one rule decides who a client is.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGNIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.signin_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "config.signin_throttle.lockout_response"
# No "AXES: BEGIN" banner: the seed names the start-up lines a deploy should show.
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "storefront" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_BACKEND = env.str(
    "STATICFILES_BACKEND",
    default="django.contrib.staticfiles.storage.StaticFilesStorage",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": STATICFILES_BACKEND},
}
# Static files are served by servestatic. With a manifest storage (production, and `make
# demo` even with DEBUG on) it serves the collected files: hashed names with a ten-year
# immutable Cache-Control, gzip/brotli variants chosen by Accept-Encoding. Without one (a
# developer's plain setup, the unit tests) it finds files through the finders.
SERVESTATIC_USE_MANIFEST = "Manifest" in STATICFILES_BACKEND
SERVESTATIC_USE_FINDERS = env.bool("SERVESTATIC_USE_FINDERS", default=DEBUG and not SERVESTATIC_USE_MANIFEST)
SERVESTATIC_AUTOREFRESH = env.bool("SERVESTATIC_AUTOREFRESH", default=DEBUG and not SERVESTATIC_USE_MANIFEST)
# Unhashed files (/favicon.ico and the like): cacheable for a minute, also with DEBUG on.
SERVESTATIC_MAX_AGE = 60
# Files served at the site's root: /favicon.ico, so browsers asking for it find one.
SERVESTATIC_ROOT = BASE_DIR / "static" / "root"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "chatbot.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chatbot API",
    "DESCRIPTION": "Routes of the chatbot app: token, messages, history, events, webhooks.",
    "VERSION": "1.0.0",
}

# --- The chatbot app (names fixed by DESIGN.md; chatbot.conf reads them) ---
# Any chat setting may come from the environment, typed like its default; the defaults
# themselves are written once, in chatbot.conf.DEFAULTS (the README's table lists them).
for _name, _default in CHATBOT_DEFAULTS.items():
    if _name not in os.environ:
        continue
    if isinstance(_default, bool):
        globals()[_name] = env.bool(_name)
    elif isinstance(_default, int):
        globals()[_name] = env.int(_name)
    elif isinstance(_default, float):
        globals()[_name] = env.float(_name)
    else:
        globals()[_name] = env.str(_name, multiline=_name == "COZE_OAUTH_PRIVATE_KEY")
# The demo's own choice (the app has no default adapter: a host names its own).
CHATBOT_SHOP_ADAPTER = env.str("CHATBOT_SHOP_ADAPTER", default="storefront.chat_adapter.StorefrontAdapter")
STREAM_CHAT_ENABLED = globals().get("STREAM_CHAT_ENABLED", CHATBOT_DEFAULTS["STREAM_CHAT_ENABLED"])
STREAM_CHAT_BASE_URL = globals().get("STREAM_CHAT_BASE_URL", CHATBOT_DEFAULTS["STREAM_CHAT_BASE_URL"])

# LOG_FORMAT=json (set in fly.toml) writes one JSON object per line with the request id;
# the demo keeps the readable plain format.
LOG_FORMAT = "json" if env.str("LOG_FORMAT", default="plain").lower() == "json" else "plain"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# =========================================================================================
# Production hardening — owned by the deploy area (docs/deploy.md). Keep this block last:
# it only tightens what is above.
# It switches on with DJANGO_SECURE=true (fly.toml sets it) and never while DEBUG is on, so
# the demo over plain http on localhost keeps working.
# =========================================================================================
DJANGO_SECURE = env.bool("DJANGO_SECURE", default=False) and not DEBUG
if DJANGO_SECURE:
    # fly-proxy terminates TLS and passes the original scheme in X-Forwarded-Proto. The
    # machine is reachable only through the proxy, which overwrites that header, so it can
    # be trusted; without it Django thinks every request is http and redirects forever.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # fly's health checks arrive over plain http from inside its network. HealthCheck-
    # Middleware answers them before SecurityMiddleware; this keeps them working even if
    # someone moves that middleware.
    SECURE_REDIRECT_EXEMPT = [r"^health(/ready)?/?$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    # Every host under the app's name is served by fly-proxy over TLS, so subdomains are
    # safe to include; preloading is a commitment browsers cache for months: opt-in only.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")

# Content-Security-Policy through django-csp (Django 5.2 has none built in). On with
# DJANGO_SECURE unless CSP_ENABLED says otherwise; CSP_REPORT_ONLY=true sends it as
# Content-Security-Policy-Report-Only to try a change without breaking pages.
if env.bool("CSP_ENABLED", default=DJANGO_SECURE):
    from urllib.parse import urlsplit as _urlsplit

    from csp.constants import NONE as _CSP_NONE
    from csp.constants import SELF as _CSP_SELF
    from csp.constants import UNSAFE_INLINE as _CSP_UNSAFE_INLINE

    _connect_src = [_CSP_SELF]
    if STREAM_CHAT_ENABLED:
        # The bundled stream-chat client talks REST to its base URL and opens its websocket
        # on the same host (it derives wss:// from https://). chat.stream-io-ws.com is the
        # websocket host some Stream set-up guides name; allowing it costs nothing.
        _stream_origins = {"https://chat.stream-io-api.com", "wss://chat.stream-io-api.com"}
        _stream_origins.add("wss://chat.stream-io-ws.com")
        if STREAM_CHAT_BASE_URL:
            _base = _urlsplit(STREAM_CHAT_BASE_URL)
            _stream_origins.add(f"{_base.scheme}://{_base.netloc}")
            _stream_origins.add(f"{_base.scheme.replace('http', 'ws', 1)}://{_base.netloc}")
        _connect_src += sorted(_stream_origins)
    _csp = {
        "DIRECTIVES": {
            "default-src": [_CSP_SELF],
            # The widget is a script tag with data-* attributes, never inline code.
            "script-src": [_CSP_SELF],
            # The widget styles its shadow DOM with <style> elements, which CSP treats as
            # inline styles; they cannot reach the page, which is what CSP guards here.
            "style-src": [_CSP_SELF, _CSP_UNSAFE_INLINE],
            # Product pictures and Stream avatars can live on any https CDN.
            "img-src": [_CSP_SELF, "data:", "https:"],
            "font-src": [_CSP_SELF, "data:"],
            "connect-src": _connect_src,
            "object-src": [_CSP_NONE],
            "base-uri": [_CSP_SELF],
            "form-action": [_CSP_SELF],
            "frame-ancestors": [_CSP_NONE],
        }
    }
    if env.bool("CSP_REPORT_ONLY", default=False):
        CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp
    else:
        CONTENT_SECURITY_POLICY = _csp
    # Outside django-axes' middleware, so its lockout page carries the policy too.
    MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"), "csp.middleware.CSPMiddleware")
