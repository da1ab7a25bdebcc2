"""Each security rule has its file in tests/security/; where a rule's tests were written with
the feature they guard, the rule's file names them (``REFERENCES``) instead of copying them,
and checks the named tests still exist, so the index cannot silently rot."""

from __future__ import annotations

import importlib


def missing(references: list[str]) -> list[str]:
    """``["tests.api.test_isolation::test_x", …]`` → the ones that no longer exist."""
    gone = []
    for ref in references:
        module_name, _, name = ref.partition("::")
        module = importlib.import_module(module_name)
        if not callable(getattr(module, name, None)):
            gone.append(ref)
    return gone
