"""Test settings: the same site, with fast hashing and no real secrets."""

from .settings import *  # noqa: F403
from .settings import CACHES, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECRET_KEY = "test-secret-key"
DEBUG = False
# Tests must never reach a vendor: everything external runs against local doubles.
CHATBOT_ASSISTANT = "local"
STREAM_CHAT_ENABLED = False
if not REDIS_URL:
    CACHES = CACHES
