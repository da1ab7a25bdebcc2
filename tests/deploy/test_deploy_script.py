"""deploy-stream-chat.sh against a fake flyctl (records its argv) and a local HTTP server
standing in for the deployed site. Real curl, real bash; nothing leaves the machine."""

import json
import os
import shutil
import subprocess
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.support.http_server import ThreadedServer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy-stream-chat.sh"

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("curl") is None, reason="needs bash and curl"
)

# A digest stands in for anything secret-looking the fake fly prints: it must never be echoed.
SENTINEL = "digest-sentinel-7f3a"
TOKEN_VALUE = "user-token-sentinel-91b2"

ALL_SECRETS = [
    "CHATBOT_ENABLED",
    "CHATBOT_SHOP_ID",
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "STREAM_CHAT_ENABLED",
    "STREAM_CHAT_API_KEY",
    "STREAM_CHAT_API_SECRET",
    "COZE_BOT_ID",
    "COZE_OAUTH_APP_ID",
    "COZE_OAUTH_KEY_ID",
    "COZE_OAUTH_PRIVATE_KEY",
]

FAKE_FLYCTL = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_FLY_LOG"
case "$1" in
    auth)
        if [[ "${FAKE_FLY_LOGGED_IN:-1}" == 1 ]]; then echo "owner@shop.example"; exit 0; fi
        echo "Error: No access token available. Please login with 'flyctl auth login'" >&2
        exit 1
        ;;
    secrets) cat "$FAKE_FLY_SECRETS" ;;
    deploy) exit "${FAKE_FLY_DEPLOY_RC:-0}" ;;
esac
"""


class Site:
    """What the deployed site answers; each test changes what it needs."""

    def __init__(self):
        self.health_status = 200
        self.ready_status = 200
        self.ready_body = {"status": "ok", "checks": {"database": {"status": "ok"}}}
        self.token_status = 200
        self.set_csrf_cookie = True
        self.widget_page = "/"
        self.token_requests = []


def make_handler(site):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/health":
                self._send(site.health_status, {"status": "ok" if site.health_status == 200 else "down"})
            elif self.path == "/health/ready":
                self._send(site.ready_status, site.ready_body)
            elif self.path in ("/", site.widget_page):
                on_widget_page = site.set_csrf_cookie and self.path == site.widget_page
                headers = [("Set-Cookie", "csrftoken=csrf-abc; Path=/")] if on_widget_page else []
                self._send(200, {"page": "home"}, headers)
            else:
                self._send(404, {})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            site.token_requests.append(
                {
                    "path": self.path,
                    "csrf_header": self.headers.get("X-CSRFToken"),
                    "cookie": self.headers.get("Cookie", ""),
                    "referer": self.headers.get("Referer"),
                    "body": body,
                }
            )
            ok = (
                self.path == "/api/chatbot/stream-chat-token"
                and self.headers.get("X-CSRFToken") == "csrf-abc"
                and "csrftoken=csrf-abc" in self.headers.get("Cookie", "")
                and (self.headers.get("Referer") or "").startswith("http://127.0.0.1:")
            )
            if not ok:
                self._send(403, {"error": {"code": "csrf_failed", "message": "CSRF verification failed."}})
            elif site.token_status != 200:
                self._send(site.token_status, {"error": {"code": "chat_disabled", "message": "Chat is off."}})
            else:
                self._send(200, {"token": TOKEN_VALUE, "apiKey": "public-key", "userId": "guest-1"})

    return Handler


@pytest.fixture
def site():
    state = Site()
    with ThreadedServer(make_handler(state)) as server:
        state.url = server.url
        yield state


@pytest.fixture
def fly(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "flyctl"
    fake.write_text(FAKE_FLYCTL)
    fake.chmod(0o755)
    log = tmp_path / "fly.log"
    log.touch()
    secrets = tmp_path / "secrets.json"

    class Fly:
        def set_secrets(self, names):
            secrets.write_text(
                json.dumps(
                    [{"Name": n, "Digest": SENTINEL, "CreatedAt": "2026-11-01T00:00:00Z"} for n in names]
                )
            )

        def calls(self):
            return log.read_text().splitlines()

        def env(self, **extra):
            env = {
                "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                "HOME": str(tmp_path),
                "FAKE_FLY_LOG": str(log),
                "FAKE_FLY_SECRETS": str(secrets),
                "DEPLOY_HEALTH_TIMEOUT": "3",
                "DEPLOY_HEALTH_INTERVAL": "1",
            }
            env.update(extra)
            return env

    fly = Fly()
    fly.set_secrets(ALL_SECRETS)
    return fly


def run_script(env, *args):
    result = subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    result.output = result.stdout + result.stderr
    return result


def test_help_lists_the_options(fly):
    result = run_script(fly.env(), "--help")
    assert result.returncode == 0
    for option in ("--app", "--dry-run", "--skip-checks", "--base-url"):
        assert option in result.stdout
    assert fly.calls() == []


def test_dry_run_prints_every_command_and_runs_none(fly, site):
    result = run_script(fly.env(), "--dry-run", "--app", "shop-staging", "--base-url", site.url)
    assert result.returncode == 0, result.output
    lines = result.stdout.splitlines()
    assert "+ flyctl auth whoami" in lines
    assert "+ flyctl secrets list --app shop-staging --json" in lines
    assert "+ flyctl deploy --app shop-staging --strategy rolling" in lines
    assert any(line.startswith("+ curl") and line.endswith(f"{site.url}/health") for line in lines)
    assert any(line.startswith("+ curl") and "/api/chatbot/stream-chat-token" in line for line in lines)
    assert fly.calls() == []
    assert site.token_requests == []


def test_dry_run_works_without_flyctl_installed(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = run_script(env, "--dry-run")
    assert result.returncode == 0, result.output
    assert "+ flyctl deploy --app evershop-fly --strategy rolling" in result.stdout


def test_app_defaults_to_fly_app_env(fly):
    result = run_script(fly.env(FLY_APP="from-env"), "--dry-run")
    assert "+ flyctl deploy --app from-env --strategy rolling" in result.stdout


def test_missing_secrets_are_listed_by_name_and_nothing_is_deployed(fly, site):
    fly.set_secrets([n for n in ALL_SECRETS if n not in {"STREAM_CHAT_API_SECRET", "COZE_OAUTH_KEY_ID"}])
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url)
    assert result.returncode != 0
    assert "STREAM_CHAT_API_SECRET" in result.stderr
    assert "COZE_OAUTH_KEY_ID" in result.stderr
    assert "COZE_API_TOKEN" in result.stderr  # the alternative is named
    assert "SECRET_KEY\n" not in result.stderr  # present ones are not listed as missing
    assert SENTINEL not in result.output
    assert not any(call.startswith("deploy") for call in fly.calls())


def test_a_coze_personal_token_replaces_the_oauth_set(fly, site):
    fly.set_secrets([n for n in ALL_SECRETS if not n.startswith("COZE_OAUTH")] + ["COZE_API_TOKEN"])
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url)
    assert result.returncode == 0, result.output


def test_optional_secrets_are_reported_but_not_required(fly, site):
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url)
    assert result.returncode == 0, result.output
    assert "optional secrets not set: CHATBOT_NODE_URL CHATBOT_SSO_SECRET" in result.stdout


def test_not_logged_in_stops_before_anything_else(fly, site):
    result = run_script(fly.env(FAKE_FLY_LOGGED_IN="0"), "--base-url", site.url)
    assert result.returncode != 0
    assert "not logged in" in result.stderr
    assert fly.calls() == ["auth whoami"]


def test_a_good_deploy_runs_the_checklist(fly, site):
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url)
    assert result.returncode == 0, result.output
    assert fly.calls() == [
        "auth whoami",
        "secrets list --app shop --json",
        "deploy --app shop --strategy rolling",
    ]
    assert "GET /health: 200 ok" in result.stdout
    assert "POST /api/chatbot/stream-chat-token: 200 with token and apiKey" in result.stdout
    (request,) = site.token_requests
    assert request["csrf_header"] == "csrf-abc"
    assert request["referer"] == f"{site.url}/"
    assert TOKEN_VALUE not in result.output
    assert SENTINEL not in result.output
    # Rollback is always printed, with the real flyctl syntax.
    assert "flyctl secrets set CHATBOT_ENABLED=false --app shop" in result.stdout
    assert "flyctl releases --app shop --image" in result.stdout


def test_a_failing_health_check_exits_non_zero_with_rollback(fly, site):
    site.health_status = 503
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url)
    assert result.returncode != 0
    assert "/health did not answer 200 within 3s (last status: 503)" in result.stderr
    assert "flyctl secrets set CHATBOT_ENABLED=false --app shop" in result.stdout
    assert "flyctl releases --app shop --image" in result.stdout
    assert "flyctl deploy --app shop --image <image-of-last-good-release> --strategy rolling" in result.stdout
    assert site.token_requests == []


def test_nothing_listening_counts_as_unhealthy(fly, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_script(fly.env(), "--app", "shop", "--base-url", f"http://127.0.0.1:{port}")
    assert result.returncode != 0
    assert "last status: 000" in result.stderr


def test_a_failing_readiness_check_fails_the_deploy(fly, site):
    site.ready_status = 503
    site.ready_body = {"status": "error", "checks": {"database": {"status": "error"}}}
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url)
    assert result.returncode != 0
    assert "GET /health/ready answered 503" in result.stderr


def test_a_degraded_vendor_only_warns(fly, site):
    site.ready_body = {"status": "degraded", "checks": {"coze": {"status": "error"}}}
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url)
    assert result.returncode == 0, result.output
    assert "degraded" in result.stderr


def test_a_refused_token_route_fails_with_its_error_code(fly, site):
    site.token_status = 503
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url)
    assert result.returncode != 0
    assert "stream-chat-token answered 503" in result.stderr
    assert "chat_disabled" in result.stderr
    assert "CHATBOT_ENABLED=false" in result.stdout


def test_no_csrf_cookie_is_explained(fly, site):
    site.set_csrf_cookie = False
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url)
    assert result.returncode != 0
    assert "csrftoken" in result.stderr


def test_the_widget_page_can_be_chosen(fly, site):
    # The demo's / is a landing page without the chat; a shop page has it.
    site.widget_page = "/s/demo/"
    assert run_script(fly.env(), "--app", "shop", "--base-url", site.url).returncode != 0
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url, "--page", "/s/demo/")
    assert result.returncode == 0, result.output
    assert site.token_requests[-1]["referer"] == f"{site.url}/s/demo/"


def test_a_failed_deploy_prints_rollback(fly, site):
    result = run_script(fly.env(FAKE_FLY_DEPLOY_RC="1"), "--app", "shop", "--base-url", site.url)
    assert result.returncode != 0
    assert "flyctl deploy failed" in result.stderr
    assert "flyctl releases --app shop --image" in result.stdout


def test_skip_checks_deploys_without_touching_the_site(fly, site):
    site.health_status = 503
    result = run_script(fly.env(), "--app", "shop", "--base-url", site.url, "--skip-checks")
    assert result.returncode == 0, result.output
    assert "deploy --app shop --strategy rolling" in fly.calls()
    assert site.token_requests == []


def test_flyctl_binary_can_be_overridden(fly, site, tmp_path):
    other = tmp_path / "bin" / "fly-custom"
    shutil.copy(tmp_path / "bin" / "flyctl", other)
    result = run_script(fly.env(FLYCTL=str(other)), "--app", "shop", "--base-url", site.url)
    assert result.returncode == 0, result.output
    assert f"{other} secrets set CHATBOT_ENABLED=false --app shop" in result.stdout


@pytest.mark.parametrize("bad", ["--app", "--app=Bad_Name", "--nope"])
def test_bad_arguments_are_refused(fly, bad):
    result = run_script(fly.env(), bad)
    assert result.returncode != 0
    assert fly.calls() == []
