"""Fixtures shared by the whole suite: tiny bundles, and the real default model loaded once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from moodmoji.adapters.discord.info import discord_rules
from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.core import MoodBot, default_rules
from moodmoji.bot.messages import Platform
from moodmoji.bot.pacing import Pacer
from moodmoji.bot.platforms import PlatformRules
from moodmoji.bot.policy import ReactionPolicy
from moodmoji.bot.store import SettingsStore
from moodmoji.bot.suggestions import ReplyBank, Suggester
from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.default_model import resolve_model_dir
from moodmoji.inference.settings import BatchSettings
from tests.inference.tiny_bundle import build_tiny_bundle

BotFactory = Callable[..., MoodBot]


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keeps saved embeddings of test runs out of the user's cache directory."""
    folder = tmp_path_factory.mktemp("moodmoji-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOODMOJI_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real bundle (ONNX lexicon model + tokenizer); treat it as read-only."""
    return build_tiny_bundle(tmp_path_factory.mktemp("bundles") / "tiny")


@pytest.fixture()
def bundle_copy(tmp_path: Path) -> Path:
    """A fresh tiny bundle that a test may break."""
    return build_tiny_bundle(tmp_path / "bundle")


@pytest.fixture(scope="session")
def default_analyzer() -> Analyzer:
    """The analyzer of the embedded default model."""
    return Analyzer.from_path(resolve_model_dir(None))


@pytest.fixture(scope="session")
def default_suggester(default_analyzer: Analyzer) -> Suggester:
    """The packaged reply bank, embedded by the default model."""
    return Suggester.from_embedder(ReplyBank.load(), default_analyzer.embed_set)


@pytest.fixture()
def make_bot(default_analyzer: Analyzer, default_suggester: Suggester) -> BotFactory:
    """Builds a bot from the shared parts; keyword arguments replace any part."""

    def build(
        *,
        store: SettingsStore | None = None,
        defaults: ChatSettings | None = None,
        pacer: Pacer | None = None,
        generic_max: int = 3,
        discord_max: int = 1,
        batch: BatchSettings | None = None,
        max_queue: int = 1024,
    ) -> MoodBot:
        return MoodBot(
            default_analyzer,
            default_suggester,
            ReactionPolicy(default_analyzer.ranker.vocabulary),
            {
                **default_rules(),
                Platform.GENERIC: PlatformRules.generic(generic_max),
                Platform.DISCORD: discord_rules(max_reactions=discord_max),
            },
            defaults or ChatSettings(),
            store=store,
            pacer=pacer,
            batch=batch,
            max_queue=max_queue,
        )

    return build


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """Undoes what an in-process ``moodmoji`` run does to the root logger.

    ``configure_logging`` replaces the root handlers with one writing to the ``sys.stderr`` of
    the moment (a test's captured stream, closed after the test); left in place, later tests
    would log into a closed file.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
