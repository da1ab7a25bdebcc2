"""The layers of chatbot/, read from the imports (every import statement, including the
ones inside functions): the vocabulary imports nothing of the app; engines and assistants
never import each other (the pipeline is where they meet); engines never reach into the
web layer; nothing in the app imports the host shop."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "chatbot"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (``from x import y`` counts x and x.y)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): imports_of(p) for p in APP.rglob("*.py") if "migrations" not in p.parts}


def offenders(source_prefix: str, forbidden_prefixes: tuple[str, ...]) -> list[str]:
    bad = []
    for module, imported in MODULES.items():
        if module == source_prefix or module.startswith(source_prefix + "."):
            for name in imported:
                if any(name == f or name.startswith(f + ".") for f in forbidden_prefixes):
                    bad.append(f"{module} imports {name}")
    return sorted(bad)


def test_the_import_reader_sees_real_imports():
    # A guard against a test that cannot fail: known edges must be found.
    assert "chatbot.vocabulary" in MODULES["chatbot.engines.base"]
    assert "chatbot.engines" in MODULES["chatbot.pipeline"]
    assert "chatbot.assistants" in MODULES["chatbot.pipeline"]


def test_the_vocabulary_imports_nothing_of_the_app():
    assert offenders("chatbot.vocabulary", ("chatbot",)) == []


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("chatbot.engines", ("chatbot.assistants",)),
        ("chatbot.assistants", ("chatbot.engines",)),
        # Engines need nothing of the web layer (the message JSON is chatbot.wire).
        ("chatbot.engines", ("chatbot.views", "chatbot.serializers")),
    ],
)
def test_the_seams_stay_apart(source, forbidden):
    assert offenders(source, forbidden) == []


def test_nothing_in_the_app_imports_the_host():
    assert offenders("chatbot", ("storefront", "config")) == []
