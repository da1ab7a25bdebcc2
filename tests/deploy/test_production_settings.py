"""The production block at the end of config/settings.py, loaded as fly loads it: from the
environment, in a fresh process (settings are read once per process)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "DJANGO_SECURE": "true",
    "SECRET_KEY": "prod-like-" + "k" * 60,
    "ALLOWED_HOSTS": "evershop-fly.fly.dev",
}

DUMP = """
import json, django
from django.conf import settings
django.setup()
names = ["SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT",
         "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
         "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "MIDDLEWARE", "DEBUG"]
out = {n: getattr(settings, n, None) for n in names}
out["CSP"] = getattr(settings, "CONTENT_SECURITY_POLICY", None)
out["CSP_RO"] = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
print(json.dumps(out, default=list))
"""


def clean_env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "STREAM_", "CSP_", "SECURE_", "DEBUG", "PYTEST"))
    }
    env.update(extra)
    return env


def load(**extra):
    result = subprocess.run(
        [sys.executable, "-c", DUMP], cwd=ROOT, env=clean_env(**extra), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_turns_on_https_only_cookies_hsts_and_csp():
    s = load(**PROD_ENV)
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_HSTS_SECONDS"] == 31536000
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert any(re.match(p, "health/ready") for p in s["SECURE_REDIRECT_EXEMPT"])
    directives = s["CSP"]["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["connect-src"] == ["'self'"]  # Stream off: nothing else to reach
    assert s["MIDDLEWARE"][:4] == [
        "config.request_id.RequestIdMiddleware",
        "chatbot.health.HealthCheckMiddleware",
        "chatbot.middleware.ChatErrorsMiddleware",
        "django.middleware.security.SecurityMiddleware",
    ]
    assert "csp.middleware.CSPMiddleware" in s["MIDDLEWARE"]


def test_stream_origins_are_allowed_when_stream_is_on():
    s = load(**PROD_ENV, STREAM_CHAT_ENABLED="true", STREAM_CHAT_BASE_URL="https://chat-edge.example.com/v1")
    connect = s["CSP"]["DIRECTIVES"]["connect-src"]
    assert "https://chat.stream-io-api.com" in connect
    assert "wss://chat.stream-io-api.com" in connect
    assert "https://chat-edge.example.com" in connect
    assert "wss://chat-edge.example.com" in connect


def test_debug_or_no_flag_keeps_the_demo_on_plain_http():
    for extra in ({"DJANGO_SECURE": "false"}, {"DEBUG": "true"}):
        s = load(**{**PROD_ENV, **extra})
        assert s["SECURE_SSL_REDIRECT"] is False
        assert s["SESSION_COOKIE_SECURE"] is False
        assert s["CSP"] is None
        assert "csp.middleware.CSPMiddleware" not in s["MIDDLEWARE"]


def test_csp_can_be_report_only():
    s = load(**PROD_ENV, CSP_REPORT_ONLY="true")
    assert s["CSP"] is None
    assert s["CSP_RO"]["DIRECTIVES"]["default-src"] == ["'self'"]


def test_check_deploy_is_clean_but_for_the_opt_in_preload():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean_env(**PROD_ENV, SECURE_HSTS_PRELOAD="true"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
