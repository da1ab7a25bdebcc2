"""Test settings: the same site, with fast hashing, inline reply jobs and no vendors."""

from pathlib import Path

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
DEBUG = False
# Reply jobs run in the request: tests wrap each test in one transaction that worker
# threads could not see.
CHATBOT_REPLY_MODE = "inline"
# Tests never reach a vendor: each test that needs Stream/Coze/OpenAI sets it up against
# a local double.
CHATBOT_ASSISTANT = "local"
STREAM_CHAT_ENABLED = False
COZE_API_TOKEN = ""
COZE_BOT_ID = ""
OPENAI_BASE_URL = ""
STATICFILES_DIRS = [d for d in STATICFILES_DIRS if d.exists()]  # noqa: F405
# servestatic warns when STATIC_ROOT is missing; tests serve through the finders.
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405
