"""Real app servers on loopback for end-to-end tests and benchmarks.

``LiveSite`` migrates a throwaway database (SQLite file unless ``DATABASE_URL`` is
given) and starts the same ASGI server the demo and production use, as subprocesses.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveSite:
    def __init__(self, env: dict[str, str] | None = None, database_url: str | None = None) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="chatbot-live-")
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url or f"sqlite:///{self.tmp.name}/db.sqlite3",
            "SECRET_KEY": "live-test-" + secrets.token_hex(8),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CHATBOT_REPLY_MODE": "async",
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.env.pop("PYTEST_CURRENT_TEST", None)
        self.servers: list[tuple[subprocess.Popen[bytes], str]] = []

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(
        self,
        workers: int = 1,
        extra_env: dict[str, str] | None = None,
        *,
        wsgi_threads: int = 0,
        serve: bool = False,
        uvicorn_graceful: float | None = 1,
        app: str = "config.asgi:application",
        port: int | None = None,
    ) -> str:
        """The ASGI server (uvicorn worker, as bin/serve runs it); with ``wsgi_threads``, a
        sync gunicorn (gthread) on the WSGI app instead; with ``serve``, ``bin/serve``
        itself (gunicorn managing uvicorn workers, as production). ``uvicorn_graceful``
        None leaves plain uvicorn with no graceful-shutdown timeout of its own (its
        default: it waits for every connection). ``port``: one chosen beforehand (a site
        that must know its own URL in its settings), else a free one."""
        port = port or free_port()
        env = {**self.env, **(extra_env or {})}
        if serve:
            env.update({"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers)})
            env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
            cmd = [str(ROOT / "bin" / "serve"), "--log-level", "warning"]
        elif wsgi_threads:
            cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
            cmd += ["--bind", f"127.0.0.1:{port}", "--worker-class", "gthread"]
            cmd += ["--workers", str(workers), "--threads", str(wsgi_threads), "--timeout", "120"]
            cmd += ["--graceful-timeout", "1", "--log-level", "warning", "--no-control-socket"]
        else:
            cmd = [sys.executable, "-m", "uvicorn", app]
            cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
            cmd += ["--log-level", "warning", "--no-access-log"]
            if uvicorn_graceful is not None:
                cmd += ["--timeout-graceful-shutdown", str(uvicorn_graceful)]
            # As bin/serve: idle connections outlive the client's pool, so a reused one is
            # never closed under a request that is being sent.
            cmd += ["--timeout-keep-alive", "75"]
        log = open(Path(self.tmp.name) / f"server-{port}.log", "wb")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {(Path(self.tmp.name) / f'server-{port}.log').read_text()}"
                )
            with contextlib.suppress(requests.RequestException):
                # /health answers whatever the chat's settings (a disabled chat answers 503).
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            proc.kill()
            raise RuntimeError("server did not start in 30 s")
        self.servers.append((proc, base))
        return base

    def log(self, base: str) -> str:
        port = base.rsplit(":", 1)[1]
        return (Path(self.tmp.name) / f"server-{port}.log").read_text(errors="replace")

    def close(self) -> None:
        for proc, _base in self.servers:
            proc.terminate()
        for proc, _base in self.servers:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.tmp.cleanup()

    def __enter__(self) -> LiveSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# A site whose shop is the in-memory one and whose assistant ticks (a delta every 100 ms),
# with short leases: for the tests that kill and stop servers mid-reply.
TICKING_ENV = {
    "CHATBOT_SHOP_ADAPTER": "tests.support.shops.MemoryShopAdapter",
    "CHATBOT_ASSISTANT": "tests.support.assistants.TickingAssistant",
    "CHATBOT_FAKE_TICK_MS": "100",
    "CHATBOT_REPLY_LEASE_SECONDS": "3",
    "REDIS_URL": "",
}


def wait_for(check: Any, timeout: float, step: float = 0.1) -> Any:
    """``check()``'s first true value within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s")


class Shopper:
    """A browser-like client: guest cookie, CSRF header, JSON routes."""

    def __init__(self, base: str, shop: str) -> None:
        self.base = base
        self.shop = shop
        self.session = requests.Session()
        self.csrf = secrets.token_hex(16)  # Django accepts a client-chosen 32-char token
        self.session.cookies.set("csrftoken", self.csrf, domain="127.0.0.1")

    def post(self, path: str, body: dict[str, Any], base: str | None = None) -> requests.Response:
        return self.session.post(
            (base or self.base) + path,
            json={"shop": self.shop, **body},
            headers={"X-CSRFToken": self.csrf, "Referer": (base or self.base) + "/"},
            timeout=10,
        )

    def token(self, base: str | None = None) -> dict[str, Any]:
        response = self.post("/api/chatbot/stream-chat-token", {}, base)
        response.raise_for_status()
        return response.json()


class EventReader:
    """Reads an SSE stream in a thread; ``events`` fills as they arrive."""

    def __init__(
        self, url: str, headers: dict[str, str] | None = None, session: requests.Session | None = None
    ) -> None:
        self.events: list[dict[str, Any]] = []
        self.ready = threading.Event()
        # The shopper's session: the stream is authorised by the same cookies as the routes.
        getter = session.get if session is not None else requests.get
        self.response = getter(url, stream=True, timeout=30, headers=headers or {})
        self.status = self.response.status_code
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        current: dict[str, Any] = {}
        with contextlib.suppress(Exception):
            for raw in self.response.iter_lines(decode_unicode=True):
                self.ready.set()
                if raw is None:
                    continue
                if raw == "":
                    if "event" in current:
                        current["received_at"] = time.time()
                        self.events.append(current)
                    current = {}
                elif raw.startswith("id: "):
                    current["id"] = raw[4:]
                elif raw.startswith("event: "):
                    current["event"] = raw[7:]
                elif raw.startswith("data: "):
                    current["data"] = json.loads(raw[6:])

    def wait_for(self, event_type: str, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event.get("event") == event_type:
                    return event
            time.sleep(0.02)
        raise AssertionError(
            f"no {event_type} within {timeout} s; got {[e.get('event') for e in self.events]}"
        )

    def log(self, base: str) -> str:
        port = base.rsplit(":", 1)[1]
        return (Path(self.tmp.name) / f"server-{port}.log").read_text(errors="replace")

    def close(self) -> None:
        self.response.close()


@contextlib.contextmanager
def reading(
    url: str, headers: dict[str, str] | None = None, session: requests.Session | None = None
) -> Iterator[EventReader]:
    reader = EventReader(url, headers, session)
    try:
        yield reader
    finally:
        reader.close()
