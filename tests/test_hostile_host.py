"""The chat in a host with hostile DRF defaults (tests/hostile_host/settings.py) answers
every route exactly as in the demo: same statuses, same JSON envelope, same identities."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_host.journey import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db(transaction=True)
def test_every_chat_route_answers_as_in_the_demo_under_hostile_drf_settings():
    demo = json.loads(json.dumps(run()))  # tuples → lists, as the other side's JSON
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.hostile_host.settings", "DATABASE_URL": ""}
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile_host.journey"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    hostile = json.loads(done.stdout.strip().splitlines()[-1])
    assert hostile == demo
    answers = dict(demo)
    assert answers["token"]["status"] == 200 and answers["token"]["userRole"] == "visitor"
    assert answers["token signed in"]["userRole"] == "customer"
    assert answers["bad json"]["error"][1] == "invalid_request" or answers["bad json"]["status"] == 400
    assert answers["carried over"]["texts"] == ["a tent?"]
