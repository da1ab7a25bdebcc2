"""Fixtures for the storefront tests: CSV files on disk, the demo data, signed-in clients."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture
def write_file(tmp_path):
    """``write_file("sku,name,price\\n...")`` → path of a new file; ``data=`` for raw bytes."""
    counter = {"n": 0}

    def write(text=None, *, data=None, name=None, encoding="utf-8"):
        counter["n"] += 1
        path = tmp_path / (name or f"file{counter['n']}.csv")
        path.write_bytes(data if data is not None else text.encode(encoding))
        return path

    return write


@pytest.fixture
def run_import():
    """Runs import_catalog; returns (stdout, stderr, error or None)."""
    from django.core.management.base import CommandError

    def run(*args, **options):
        out, err = StringIO(), StringIO()
        options.setdefault("no_progress", True)
        try:
            call_command("import_catalog", *[str(a) for a in args], stdout=out, stderr=err, **options)
        except CommandError as exc:
            return out.getvalue(), err.getvalue(), exc
        return out.getvalue(), err.getvalue(), None

    return run


@pytest.fixture
def demo(db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_user(demo, django_user_model):
    return django_user_model.objects.get(email="demo@example.com")


@pytest.fixture
def other_user(demo, django_user_model):
    return django_user_model.objects.get(email="other@example.com")
