"""The Dockerfile's own steps, run here without Docker: collectstatic with the production
storage, migrate a fresh database, then `bin/serve` with production-like settings, probed
over real HTTP. What fly runs is what this test runs, minus the container."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_STORAGE = "servestatic.storage.CompressedManifestStaticFilesStorage"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            # The headers as they came, looked up without regard to case (gunicorn sends
            # them lower-cased; a dict of them would not find "Cache-Control").
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """Build steps + a running server; yields (base_url, static_root, timings, log_path)."""
    work = tmp_path_factory.mktemp("image")
    static_root = work / "staticfiles"
    port = free_port()
    venv_bin = str(Path(sys.executable).parent)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "STREAM_", "COZE_", "CHATBOT_", "OPENAI_", "REDIS_", "PYTEST"))
    }
    env.update(
        {
            "PATH": f"{venv_bin}{os.pathsep}{env.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            # Plain http on loopback; the production block is covered by test_settings.
            "DJANGO_SECURE": "false",
            "CSP_ENABLED": "true",
            "SECRET_KEY": "image-test-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
            "STATIC_ROOT": str(static_root),
            "STATICFILES_BACKEND": MANIFEST_STORAGE,
            "LOG_FORMAT": "json",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "GUNICORN_GRACEFUL_TIMEOUT": "5",
            "CHATBOT_ASSISTANT": "local",
            "STREAM_CHAT_ENABLED": "false",
        }
    )
    timings: dict[str, float] = {}
    for name, args in {
        "collectstatic": ["collectstatic", "--noinput"],
        "migrate": ["migrate", "--noinput"],
    }.items():
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        timings[name] = time.perf_counter() - started
        assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"

    log_path = work / "serve.log"
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        server = subprocess.Popen(
            [str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"bin/serve exited:\n{log_path.read_text()}"
            try:
                if get(f"{base_url}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no /health within 60 s:\n{log_path.read_text()}"
            time.sleep(0.2)
        timings["serve_until_healthy"] = time.perf_counter() - started
        yield {
            "url": base_url,
            "static_root": static_root,
            "timings": timings,
            "log": log_path,
            "server": server,
        }
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print("image step timings (s):", json.dumps({k: round(v, 2) for k, v in timings.items()}))


def test_health_answers_json(image):
    status, headers, body = get(f"{image['url']}/health")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-ID"]


def test_readiness_sees_the_migrated_database(image):
    status, _, body = get(f"{image['url']}/health/ready")
    assert status == 200, body
    assert json.loads(body)["checks"]["database"]["status"] == "ok"


def test_request_id_comes_back(image):
    _, headers, _ = get(f"{image['url']}/health", {"X-Request-ID": "probe-7"})
    assert headers["X-Request-ID"] == "probe-7"


def test_unknown_host_is_refused_but_health_is_not(image):
    # ALLOWED_HOSTS=127.0.0.1: a page under another Host is a 400, /health still answers.
    assert get(f"{image['url']}/health", {"Host": "10.0.0.7:8000"})[0] == 200
    assert get(f"{image['url']}/", {"Host": "10.0.0.7:8000"})[0] == 400


def test_pages_carry_the_content_security_policy(image):
    _, headers, _ = get(f"{image['url']}/api/chatbot/schema")
    policy = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def _manifest(static_root: Path) -> dict[str, str]:
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


def _assert_served_forever(image, logical_name: str) -> None:
    hashed = _manifest(image["static_root"])[logical_name]
    assert hashed != logical_name, "the manifest storage must add a content hash"
    status, headers, body = get(f"{image['url']}/static/{hashed}", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert body
    cache = headers["Cache-Control"]
    assert "max-age=315360000" in cache
    assert "immutable" in cache
    assert (image["static_root"] / (hashed + ".gz")).exists(), "pre-compressed at build time"


def test_hashed_admin_static_file_is_cached_for_a_year(image):
    _assert_served_forever(image, "admin/css/base.css")


@pytest.mark.parametrize("name", ["loader.js", "panel.js", "stream-transport.js"])
def test_hashed_widget_file_is_cached_for_a_year(image, name):
    if not (ROOT / "chatbot" / "static" / "chatbot" / name).exists():
        pytest.skip(f"chatbot/static/chatbot/{name} is not built yet (widget: npm run build)")
    _assert_served_forever(image, f"chatbot/{name}")


def test_unhashed_static_names_are_short_lived(image):
    status, headers, _ = get(f"{image['url']}/static/admin/css/base.css")
    assert status == 200
    assert "immutable" not in headers["Cache-Control"]


def test_logs_are_json_lines_and_the_access_log_is_on(image):
    get(f"{image['url']}/health")
    time.sleep(0.3)
    lines = [line for line in image["log"].read_text().splitlines() if line.strip()]
    assert any("GET /health" in line for line in lines), "access log on stdout"
    app_lines = [line for line in lines if line.startswith("{")]
    for line in app_lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message", "request_id"} <= set(record)


def test_sigterm_stops_the_server_within_the_graceful_timeout(image):
    server = image["server"]
    started = time.perf_counter()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    elapsed = time.perf_counter() - started
    image["timings"]["sigterm_to_exit"] = elapsed
    assert elapsed < 10
