from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture
def demo(db):
    """The demo shops, customers (demo@ / other@example.com) and the admin, as `make demo`."""
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()
