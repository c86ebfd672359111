"""The adapter registry: how the core and the command line learn which platforms exist.

Each adapter package exports one small :class:`AdapterInfo` (its config section model, its
platform's reaction rules, its pip extra, how to run it standalone and how to add it to a bot
one already has) and registers it under the ``moodmoji.adapters`` entry-point group::

    [project.entry-points."moodmoji.adapters"]
    slack = "moodmoji_slack.platform:ADAPTER"

so a third party can ship a Slack or Matrix adapter as a package of its own, and ``moodmoji``
finds it once installed. The module an entry point names must import without the platform's
own library (the command line lists an adapter whose extra is not installed, and says which
extra to install).

The core never names a platform: :class:`~bot.messages.Platform` is a registry key, and
``generic`` (the HTTP API, the command line) is the one platform the core brings itself.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from moodmoji.bot.messages import Platform
from moodmoji.bot.platforms import PlatformRules

if TYPE_CHECKING:
    from moodmoji.bot.config import Config, ConfigSection

logger = logging.getLogger(__name__)

__all__ = ["ENTRY_POINT_GROUP", "AdapterInfo", "Registry", "RegistryError"]

#: The entry-point group adapter packages register their :class:`AdapterInfo` under.
ENTRY_POINT_GROUP = "moodmoji.adapters"


class RegistryError(Exception):
    """Two adapters claim the same name, platform, config section or command."""


@dataclass(frozen=True)
class AdapterInfo:
    """What an adapter package tells the core and the command line about itself.

    Attributes:
        name: The registry key and the name of its config section (``telegram``).
        summary: One line for ``moodmoji --help`` and the docs.
        section: The model of its config section, a :class:`~bot.config.ConfigSection`.
        platform: The platform whose messages it brings, if it brings its own (the HTTP API
            serves every platform's rules and has none of its own).
        rules: Builds its platform's reaction rules from the whole configuration.
        extra: The pip extra that installs its platform library (``moodmoji[telegram]``).
        command: The ``moodmoji`` subcommand that runs it standalone (``telegram``, ``serve``).
        runner: The module behind ``command``: it defines ``run(args, config) -> int`` and
            may import the platform library.
        arguments: Adds the command's own options to its parser (importable without the
            platform library, so that ``--help`` works before the extra is installed).
        install: How to add it to a bot one already has (one line for the docs and ``--help``).
    """

    name: str
    summary: str
    section: type[ConfigSection] | None = None
    platform: Platform | None = None
    rules: Callable[[Config], PlatformRules] | None = None
    extra: str | None = None
    command: str | None = None
    runner: str | None = None
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    install: str = ""

    def __post_init__(self) -> None:
        Platform(self.name)  # the same shape as a platform name
        if (self.platform is None) != (self.rules is None):
            raise ValueError(f"adapter {self.name}: a platform needs rules, and rules a platform")
        if (self.command is None) != (self.runner is None):
            raise ValueError(f"adapter {self.name}: a command needs a runner module")

    def section_of(self, config: Config) -> Any:
        """This adapter's section of ``config`` (its defaults when the config has none)."""
        found = getattr(config, self.name, None)
        if found is None and self.section is not None:
            return self.section()
        return found


def _generic_rules(config: Config) -> PlatformRules:
    return PlatformRules.generic(config.platforms.generic_max_reactions)


class Registry:
    """The adapters known to this installation.

    Args:
        adapters: The adapters; names, platforms, sections and commands must be unique.

    Raises:
        RegistryError: Two adapters claim the same name, platform or command.
    """

    def __init__(self, adapters: Iterable[AdapterInfo]) -> None:
        self._adapters: dict[str, AdapterInfo] = {}
        claimed: dict[str, str] = {}
        for adapter in adapters:
            claims = [f"name {adapter.name}"]
            if adapter.platform is not None:
                claims.append(f"platform {adapter.platform}")
            if adapter.command is not None:
                claims.append(f"command {adapter.command}")
            for claim in claims:
                if claim in claimed:
                    raise RegistryError(
                        f"adapters {claimed[claim]} and {adapter.name} both claim the {claim}"
                    )
                claimed[claim] = adapter.name
            self._adapters[adapter.name] = adapter
        if f"platform {Platform.GENERIC}" in claimed:
            raise RegistryError(f"adapter {claimed[f'platform {Platform.GENERIC}']} claims generic")

    @classmethod
    def installed(cls) -> Registry:
        """The adapters registered by installed packages (read once per process).

        An entry point that cannot be loaded is logged and left out; the others work.
        """
        return _installed()

    def __iter__(self) -> Iterator[AdapterInfo]:
        return iter(self._adapters.values())

    def __len__(self) -> int:
        return len(self._adapters)

    def __contains__(self, name: object) -> bool:
        return name in self._adapters

    def __getitem__(self, name: str) -> AdapterInfo:
        """The adapter called ``name``.

        Raises:
            KeyError: No such adapter is installed.
        """
        return self._adapters[name]

    def platforms(self) -> tuple[Platform, ...]:
        """``generic`` and every platform an adapter brings, in registry order."""
        own = (a.platform for a in self if a.platform is not None)
        return (Platform.GENERIC, *own)

    def rules(self, config: Config) -> dict[Platform, PlatformRules]:
        """The reaction rules of every platform, as ``config`` sets them."""
        rules = {Platform.GENERIC: _generic_rules(config)}
        for adapter in self:
            if adapter.platform is not None and adapter.rules is not None:
                rules[adapter.platform] = adapter.rules(config)
        return rules

    def sections(self) -> Mapping[str, type[ConfigSection]]:
        """Config section name -> its model, for every adapter with a section."""
        return {a.name: a.section for a in self if a.section is not None}

    def commands(self) -> Mapping[str, AdapterInfo]:
        """``moodmoji`` subcommand -> the adapter it runs."""
        return {a.command: a for a in self if a.command is not None}


@cache
def _installed() -> Registry:
    found: list[AdapterInfo] = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        try:
            adapter = point.load()
        except Exception as exc:  # a broken third-party package must not stop the bot
            logger.warning(
                "adapter %s cannot be loaded: %s: %s", point.name, type(exc).__name__, exc
            )
            continue
        if not isinstance(adapter, AdapterInfo):
            logger.warning("adapter %s is not an AdapterInfo; left out", point.name)
            continue
        found.append(adapter)
    return Registry(found)
