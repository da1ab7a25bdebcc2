"""The README's configuration table and chatbot.conf.DEFAULTS say the same: every setting
the app reads is listed, with the default the code uses."""

import re
from pathlib import Path

import pytest

from chatbot.conf import DEFAULTS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
TABLE = README[README.index("## Configuration (environment)") : README.index("## HTTP routes")]


def shown(value: object) -> set[str]:
    if isinstance(value, bool):
        return {str(value).lower()}
    if value == "":
        return {"none", "unset"}
    if isinstance(value, (int, float)):
        return {f"{value:g}", f"{value:,}"}
    return {str(value)}


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_every_setting_is_in_the_readme_with_its_default(name):
    found = re.search(rf"`{re.escape(name)}`(?: \[([^\]]*)\])?", TABLE)
    assert found, f"{name} is read by chatbot.conf but missing from the README's table"
    if found.group(1) is not None:
        assert found.group(1) in shown(DEFAULTS[name]), (name, found.group(1), DEFAULTS[name])


def test_the_table_names_no_chat_setting_the_app_does_not_read():
    listed = set(re.findall(r"`((?:CHATBOT|STREAM_CHAT|COZE|OPENAI)_[A-Z_]+)`", TABLE))
    assert listed <= set(DEFAULTS), listed - set(DEFAULTS)
