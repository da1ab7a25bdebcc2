"""A bare Django project for bench/concurrency.py's baseline: one async SSE view and one
trivial JSON view, no middleware, no database — the stack the chat is built on, doing
nothing of the chat's work, so the bench can say how much of its capacity the chat keeps."""

SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.bare_sse.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
