"""ASGI entry point: open chat event streams hold no threads under uvicorn workers."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.asgi_handler import get_asgi_application

application = get_asgi_application()
