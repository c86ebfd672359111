"""Messages routed by language: the English default, and a multilingual bundle for the rest.

The default bundle is English (MiniLM); a message in another language gets its moods and
reactions from a second bundle whose encoder reads many languages (see
``docs/languages.md``). :class:`RoutedAnalyzer` identifies each message's language
(:mod:`inference.language`), runs each group of a batch on its bundle, and returns the analyses
in the order of the texts, each naming its language. Languages the multilingual bundle does
not cover stay with the default, and so do undetermined messages (emoji only, too short, unsure)
unless their letters are in a script English is not written in and the multilingual bundle
reads (:data:`MULTILINGUAL_SCRIPTS`): a short Cyrillic message that may be Russian or Ukrainian
is read by the model that reads both, not by the English one.

Example::

    analyzer = RoutedAnalyzer.from_analyzers(english, multilingual, MULTILINGUAL_LANGUAGES)
    (analysis,) = analyzer.analyze(["Я так рада, меня взяли на работу!"])
    analysis.language.code, analysis.reactions[0].emoji   # "ru", "🎉"
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence

from moodmoji.inference.analyzer import Analysis, Analyzer
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.language import LanguageGuess, detect

logger = logging.getLogger(__name__)

__all__ = ["MULTILINGUAL_LANGUAGES", "MULTILINGUAL_SCRIPTS", "RoutedAnalyzer"]

MULTILINGUAL_LANGUAGES: frozenset[str] = frozenset(
    {"ar", "de", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "uk", "zh"}
)
"""Languages the multilingual bundle reads (its encoder's 16 less English, plus Ukrainian)."""

MULTILINGUAL_SCRIPTS: frozenset[str] = frozenset(
    {"arabic", "cyrillic", "han", "hangul", "kana", "thai"}
)
"""Scripts (:func:`inference.language.script_of`) whose undetermined messages the multilingual
bundle reads: English is not written in them and the bundle's languages are."""


class RoutedAnalyzer(Analyzer):
    """An analyzer that hands each message to the bundle of its language.

    It is the default analyzer to everything that asks (its engine, ranker, embeddings and
    cache are the default bundle's), so the bot's English path is unchanged; only
    :meth:`analyze` routes.

    Args:
        primary: The default (English) analyzer: English, undetermined and other messages.
        multilingual: The analyzer of ``languages``, or a function that loads it: then it is
            loaded on the first message in one of them (a bot that only ever sees English
            never pays its memory).
        languages: ISO 639-1 codes routed to ``multilingual``.
        scripts: Scripts whose undetermined messages go to ``multilingual`` too.
    """

    def __init__(
        self,
        primary: Analyzer,
        multilingual: Analyzer | Callable[[], Analyzer],
        languages: Collection[str],
        scripts: Collection[str] = (),
    ) -> None:
        super().__init__(
            primary.engine, primary.moods, primary.ranker, primary.topics, primary.cache
        )
        self.primary = primary
        self._multilingual = multilingual
        self._loading = threading.Lock()
        self.languages = frozenset(languages)
        self.scripts = frozenset(scripts)

    @property
    def multilingual(self) -> Analyzer:
        """The analyzer of the routed languages (loaded now if it was not yet)."""
        found = self._multilingual
        if isinstance(found, Analyzer):
            return found
        with self._loading:
            found = self._multilingual
            if not isinstance(found, Analyzer):
                started = time.perf_counter()
                try:
                    found = found()
                except InferenceError as exc:  # the bundle names its file; English goes on
                    logger.error(
                        "the multilingual model cannot be loaded, so every language is read "
                        "by the default model: %s",
                        exc,
                    )
                    found, self.languages, self.scripts = self.primary, frozenset(), frozenset()
                else:
                    logger.info(
                        "multilingual model loaded in %.1f s", time.perf_counter() - started
                    )
                self._multilingual = found
        return found

    @property
    def multilingual_loaded(self) -> bool:
        """Whether the multilingual analyzer is loaded."""
        return isinstance(self._multilingual, Analyzer)

    @classmethod
    def from_analyzers(
        cls,
        primary: Analyzer,
        multilingual: Analyzer | Callable[[], Analyzer],
        languages: Collection[str] = MULTILINGUAL_LANGUAGES,
        scripts: Collection[str] = MULTILINGUAL_SCRIPTS,
    ) -> RoutedAnalyzer:
        """Routes ``languages`` to ``multilingual``, everything else to ``primary``.

        Undetermined messages whose letters are in one of ``scripts`` go to ``multilingual``.
        """
        return cls(primary, multilingual, languages, scripts)

    def analyzer_for(self, language: str | LanguageGuess) -> Analyzer:
        """The analyzer that reads messages in ``language`` (a code, or a message's guess)."""
        return self.multilingual if self.reads(language) else self.primary

    def reads(self, language: str | LanguageGuess) -> bool:
        """Whether a language code, or a message's guess, goes to the multilingual analyzer.

        Answered without loading it.
        """
        if isinstance(language, str):
            return language in self.languages
        if language.known:
            return language.code in self.languages
        return language.script in self.scripts

    def analyze(
        self, texts: Sequence[str], languages: Sequence[LanguageGuess] | None = None
    ) -> list[Analysis]:
        """Analyses texts, each on the bundle of its language, in at most two engine runs."""
        guesses = list(languages) if languages is not None else [detect(t) for t in texts]
        routed: dict[int, list[int]] = {}
        for i, guess in enumerate(guesses):
            routed.setdefault(int(self.reads(guess)), []).append(i)
        out: list[Analysis | None] = [None] * len(texts)
        for owner, indices in routed.items():
            reader = self.multilingual if owner else self.primary
            done = reader.analyze([texts[i] for i in indices], [guesses[i] for i in indices])
            for i, analysis in zip(indices, done, strict=True):
                out[i] = analysis
        return [analysis for analysis in out if analysis is not None]
