"""A command whose optional extra is not installed says which extra to install, without a
traceback, and exits 1."""

from __future__ import annotations

import sys

import pytest

from moodmoji.tools.cli import main


@pytest.mark.parametrize(
    ("command", "library", "extra"),
    [
        (["serve"], "fastapi", "http"),
        (["telegram"], "telegram", "telegram"),
        (["discord"], "discord", "discord"),
    ],
)
def test_missing_extra_names_the_pip_extra(
    command: list[str],
    library: str,
    extra: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # As if the library were not installed: importing it raises ImportError(name=library).
    monkeypatch.setitem(sys.modules, library, None)
    for name in list(sys.modules):
        if name.startswith(
            ("moodmoji.adapters.http", "moodmoji.adapters.telegram", "moodmoji.adapters.discord")
        ):
            monkeypatch.delitem(sys.modules, name)
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err == (
        f"moodmoji: error: `moodmoji {command[0]}` needs the {extra} extra: "
        f"pip install 'moodmoji[{extra}]'\n"
    )
