"""Settings for the demo shop hosting the chatbot app.

Every value comes from the environment (django-environ); the names are the ones in
DESIGN.md. With nothing set you get the embedded defaults: SQLite file under the project,
local-memory cache, the local chat engine and the local shop assistant.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is a convenience for development; real deployments use the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "storefront",
    "chatbot",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After LocaleMiddleware: the shop's language wins over the browser's.
    "storefront.middleware.ShopMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "shop",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "storefront:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "storefront" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

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
CHATBOT_ENABLED = env.bool("CHATBOT_ENABLED", default=True)
CHATBOT_SHOP_ID = env.str("CHATBOT_SHOP_ID", default="demo")
CHATBOT_ASSISTANT = env.str("CHATBOT_ASSISTANT", default="auto")
CHATBOT_NODE_URL = env.str("CHATBOT_NODE_URL", default="")
CHATBOT_SSO_SECRET = env.str("CHATBOT_SSO_SECRET", default="")
CHATBOT_WEBHOOK_SECRET = env.str("CHATBOT_WEBHOOK_SECRET", default="")
CHATBOT_SHOP_ADAPTER = "storefront.chat_adapter.StorefrontAdapter"
STREAM_CHAT_ENABLED = env.bool("STREAM_CHAT_ENABLED", default=False)
STREAM_CHAT_API_KEY = env.str("STREAM_CHAT_API_KEY", default="")
STREAM_CHAT_API_SECRET = env.str("STREAM_CHAT_API_SECRET", default="")
STREAM_CHAT_BASE_URL = env.str("STREAM_CHAT_BASE_URL", default="")
COZE_API_BASE = env.str("COZE_API_BASE", default="https://api.coze.cn")
COZE_BOT_ID = env.str("COZE_BOT_ID", default="")
COZE_OAUTH_APP_ID = env.str("COZE_OAUTH_APP_ID", default="")
COZE_OAUTH_KEY_ID = env.str("COZE_OAUTH_KEY_ID", default="")
COZE_OAUTH_PRIVATE_KEY = env.str("COZE_OAUTH_PRIVATE_KEY", default="", multiline=True)
COZE_OAUTH_PRIVATE_KEY_FILE = env.str("COZE_OAUTH_PRIVATE_KEY_FILE", default="")
COZE_API_TOKEN = env.str("COZE_API_TOKEN", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
