"""The adapter registry: a third-party adapter, installed as a package, is found and used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moodmoji.bot.config import ConfigSection, default_config
from moodmoji.bot.messages import Platform
from moodmoji.bot.platforms import PlatformRules
from moodmoji.bot.registry import AdapterInfo, Registry, RegistryError

SLACK_ADAPTER = """
import argparse

from moodmoji.bot.config import ConfigSection
from moodmoji.bot.messages import Platform
from moodmoji.bot.platforms import PlatformRules
from moodmoji.bot.registry import AdapterInfo


class SlackSection(ConfigSection):
    token_env: str = "MOODMOJI_SLACK_TOKEN"
    max_reactions: int = 2


def rules(config):
    return PlatformRules(Platform("slack"), max_reactions=config.slack.max_reactions)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", required=True)


def run(args, config):
    print("slack ran in", args.channel, "with the token from", config.slack.token_env)
    return 0


ADAPTER = AdapterInfo(
    name="slack",
    summary="run the Slack bot (a third-party adapter)",
    section=SlackSection,
    platform=Platform("slack"),
    rules=rules,
    extra="slack",
    command="slack",
    runner="slack_adapter",
    arguments=arguments,
    install="app.use(moodmoji_slack)",
)
"""


@pytest.fixture
def third_party(tmp_path: Path) -> dict[str, str]:
    """A folder on PYTHONPATH holding a Slack adapter package and its entry point."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "slack_adapter.py").write_text(SLACK_ADAPTER, encoding="utf-8")
    info = site / "moodmoji_slack-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: moodmoji-slack\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[moodmoji.adapters]\nslack = slack_adapter:ADAPTER\nbroken = no_such_module:ADAPTER\n",
        encoding="utf-8",
    )
    return {**os.environ, "PYTHONPATH": str(site)}


def moodmoji(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moodmoji.tools.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_third_party_adapter_brings_its_command_section_and_rules(
    third_party: dict[str, str], tmp_path: Path
) -> None:
    listed = moodmoji(third_party, tmp_path, "--help")
    assert listed.returncode == 0
    assert "run the Slack bot (a third-party adapter)" in listed.stdout
    assert "adapter broken cannot be loaded: ModuleNotFoundError" in listed.stderr  # skipped

    (tmp_path / "config.yaml").write_text(
        "slack:\n  token_env: MY_SLACK\n  max_reactions: 1\n", encoding="utf-8"
    )
    ran = moodmoji(third_party, tmp_path, "slack", "--channel", "general")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "slack ran in general with the token from MY_SLACK"

    analysed = moodmoji(third_party, tmp_path, "analyze", "--platform", "slack", "We won!!")
    assert analysed.returncode == 0, analysed.stderr
    assert len(json.loads(analysed.stdout)["reactions"]) == 1  # slack.max_reactions
    generic = moodmoji(third_party, tmp_path, "analyze", "We won!!")
    assert len(json.loads(generic.stdout)["reactions"]) > 1  # generic allows 3

    (tmp_path / "config.yaml").write_text("slack:\n  max_reactons: 1\n", encoding="utf-8")
    refused = moodmoji(third_party, tmp_path, "slack", "--channel", "general")
    assert refused.returncode == 2
    assert "slack.max_reactons: unknown key, did you mean max_reactions?" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_installed_adapters_are_registered() -> None:
    registry = Registry.installed()
    assert [a.name for a in registry] == ["discord", "http", "telegram"]
    assert registry.platforms() == (Platform.GENERIC, Platform.DISCORD, Platform.TELEGRAM)
    assert set(registry.commands()) == {"discord", "serve", "telegram"}
    assert {a.extra for a in registry} == {"discord", "http", "telegram"}
    rules = registry.rules(default_config())
    assert rules[Platform.TELEGRAM].max_reactions == 1 and rules[Platform.TELEGRAM].allowed
    assert rules[Platform.DISCORD].custom_emoji_allowed


class _Section(ConfigSection):
    level: int = 1


def _adapter(name: str, **fields: object) -> AdapterInfo:
    return AdapterInfo(name=name, summary=name, **fields)  # type: ignore[arg-type]


def test_two_adapters_cannot_claim_the_same_name_platform_or_command() -> None:
    def rules(config: object) -> PlatformRules:
        return PlatformRules.generic()

    one = _adapter("one", platform=Platform("chatx"), rules=rules, command="x", runner="m")
    with pytest.raises(RegistryError, match="one and one both claim the name one"):
        Registry([one, one])
    with pytest.raises(RegistryError, match="both claim the platform chatx"):
        Registry([one, _adapter("two", platform=Platform("chatx"), rules=rules)])
    with pytest.raises(RegistryError, match="both claim the command x"):
        Registry([one, _adapter("three", command="x", runner="n")])
    with pytest.raises(RegistryError, match="claims generic"):
        Registry([_adapter("four", platform=Platform.GENERIC, rules=rules)])
    with pytest.raises(ValueError, match="a platform needs rules"):
        _adapter("five", platform=Platform("chaty"))
    with pytest.raises(ValueError, match="not a platform name"):
        _adapter("Bad Name")


def test_a_section_missing_from_a_config_gives_its_defaults() -> None:
    adapter = _adapter("extra", section=_Section)
    assert adapter.section_of(default_config()) == _Section()
    assert Registry([adapter]).sections() == {"extra": _Section}
