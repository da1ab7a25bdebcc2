"""ASGI entry point: open chat event streams hold no threads under uvicorn workers."""

import gc
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings

from config.asgi_handler import get_asgi_application

application = get_asgi_application()

# The cyclic garbage collector, tuned for a server holding thousands of open streams.
# With Python's defaults (700, 10, 10) a full collection ran every few seconds while
# streams opened, each walking every live object with the event loop stopped: in
# bench/concurrency.py's 500 and 1,000 levels, 39 full collections of 20-555 ms, 10.6 s of
# the server's 57 s of CPU, and the source of both p99s (delivery and token route). Objects
# made while loading the app never become garbage: frozen, the collector skips them. Larger
# young generations, full collections considered a tenth as often: one full collection in
# the same levels, the server's CPU at 1,000 streams 41 -> 31 s.
gc.collect()
gc.freeze()
gc.set_threshold(5_000, 10, 100)

# How long a thread keeps the GIL while another waits for it (Python's default: 5 ms).
# The event loop thread (every open stream's sends) and the request threads (Django's sync
# code: every token, message and history call) take turns at it; a request that needs
# several turns waited up to 5 ms of the loop's work at each. bench/concurrency.py's 500
# level (one worker, 500 replies streaming), four runs each, alternated, median (range):
# token route p50 27.7 ms (13.7-34.3) and p99 113.8 (54.0-116.7) at 5 ms, 20.6 (16.0-22.3)
# and 65.1 (59.3-74.2) at 1 ms; delivery p99 34.0 (29.0-78.8) and 23.7 (16.1-46.5).
# bench/load.py's throughput did not move (1 ms: 110.0, 101.3 req/s; 5 ms: 112.5, 87.6).
sys.setswitchinterval(settings.WEB_GIL_SWITCH_MS / 1000)  # 1 ms unless configured
