"""The analyzer: texts in, moods, fine-grained emotions and ranked reactions out.

It is what the bot layer consumes. One engine run per batch serves every part: the mood fusion
(:mod:`inference.moods`), the topical matcher (:mod:`inference.topics`, when the bundle has an
embedding head) and the reaction ranker (:mod:`inference.reactions`).

Example::

    analyzer = Analyzer.from_path(resolve_model_dir(None))
    (analysis,) = analyzer.analyze(["This pizza is absolutely incredible"])
    analysis.mood, [c.emoji for c in analysis.reactions]
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from moodmoji.inference.embedding_cache import EmbeddingCache
from moodmoji.inference.engine import Engine
from moodmoji.inference.language import NOT_READ, LanguageGuess, detect
from moodmoji.inference.manifest import HeadKind, HeadRole
from moodmoji.inference.moods import MoodFusion, MoodScore
from moodmoji.inference.reactions import ReactionCandidate, ReactionRanker
from moodmoji.inference.results import LabelScore, Prediction
from moodmoji.inference.settings import EngineSettings
from moodmoji.inference.topics import (
    FloatArray,
    TopicGate,
    TopicMatch,
    TopicMatcher,
    embed,
    embedding_head,
)
from moodmoji.inference.vocabulary import EmojiVocabulary

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Analysis:
    """What the model makes of one message.

    Attributes:
        moods: The eight coarse moods with their shares, best first (empty when the bundle has
            no mood-mapped head).
        emotions: Fine-grained emotion labels the model decided on, best first (GoEmotions
            labels for the default model).
        reactions: Ranked, mood-safe reaction candidates; empty means "do not react".
        topics: Gated topical emoji matches (already part of ``reactions``' fusion).
        prediction: The raw per-head prediction.
        embedding: The L2-normalised sentence embedding, when the bundle has an embedding head.
        emotion_scores: Every fine emotion label's probability, decided on or not (the
            bot's caution rules read it).
        trigger: The learned probability that a reader would react at all (``None`` when the
            bundle has no trigger head).
        intents: Every reply intent with its learned probability, best first (empty when the
            bundle has no intent head).
        readers: Real readers' reactions (love, haha, wow, sad, angry) as a distribution,
            best first (empty when the bundle has no reader head).
        caution: The probability from which a somber ``emotion_scores`` label calls for care,
            when the bundle sets its own (its manifest's ``caution``); ``None``: the bot's.
        language: The message's language (:mod:`inference.language`); ``und`` when it could
            not be told, or when the analysis was made without the text.
    """

    moods: tuple[MoodScore, ...]
    emotions: tuple[LabelScore, ...]
    reactions: tuple[ReactionCandidate, ...]
    topics: tuple[TopicMatch, ...]
    prediction: Prediction
    embedding: FloatArray | None = None
    emotion_scores: Mapping[str, float] = field(default_factory=dict)
    trigger: float | None = None
    intents: tuple[LabelScore, ...] = ()
    readers: tuple[LabelScore, ...] = ()
    language: LanguageGuess = NOT_READ
    caution: float | None = None

    @property
    def mood(self) -> str | None:
        """The leading coarse mood, if the bundle gives moods."""
        return self.moods[0].mood if self.moods else None

    @property
    def reaction(self) -> str | None:
        """The best reaction emoji, or ``None`` to abstain."""
        return self.reactions[0].emoji if self.reactions else None


class Analyzer:
    """Runs an engine and turns its predictions into analyses.

    Args:
        engine: The engine.
        moods: Mood fusion for the engine's bundle.
        ranker: Reaction ranker for the engine's bundle.
        topics: Topical matcher (``None`` when the bundle has no embedding head).
        cache: Saved embeddings of fixed text sets (see :meth:`embed_set`); ``None`` saves
            nothing.
    """

    def __init__(
        self,
        engine: Engine,
        moods: MoodFusion,
        ranker: ReactionRanker,
        topics: TopicMatcher | None = None,
        cache: EmbeddingCache | None = None,
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.moods = moods
        self.ranker = ranker
        self.topics = topics
        self._embedding = embedding_head(engine)
        self._emotion_heads = tuple(
            h.name
            for h in engine.manifest.heads
            if h.kind is not HeadKind.EMBEDDING and h.mood and h.kind is HeadKind.SIGMOID
        ) or tuple(h.name for h in engine.manifest.heads if h.mood)
        self._emotion_heads = (
            tuple(name for name in self._emotion_heads if engine.manifest.head(name).role is None)
            or self._emotion_heads
        )
        manifest = engine.manifest
        self._roles = {role: manifest.role(role) for role in HeadRole}
        self._language_heads = manifest.language_heads

    @classmethod
    def from_engine(
        cls,
        engine: Engine,
        vocabulary: EmojiVocabulary | None = None,
        cache: EmbeddingCache | None = None,
    ) -> Analyzer:
        """Builds the analyzer of an engine, with the bundle's topic gate if it has one.

        Args:
            engine: The engine.
            vocabulary: Emoji vocabulary; the packaged one when omitted.
            cache: Saved embeddings; by default the bundle's shipped ones and the user cache
                directory (see :mod:`inference.embedding_cache`).
        """
        vocabulary = vocabulary or EmojiVocabulary.load()
        if cache is None:
            model = hashlib.sha256(
                f"{engine.bundle.fingerprint}|{engine.hygiene}".encode()
            ).hexdigest()
            cache = EmbeddingCache.for_bundle(engine.bundle.path, model)
        topics = None
        if embedding_head(engine) is not None:
            gate = TopicGate.for_bundle(engine.bundle.path)
            topics = TopicMatcher.from_engine(engine, vocabulary, gate, cache)
        return cls(
            engine,
            MoodFusion(engine.manifest),
            ReactionRanker(engine.manifest, vocabulary),
            topics,
            cache,
        )

    @classmethod
    def from_path(cls, path: Path | str, settings: EngineSettings | None = None) -> Analyzer:
        """Loads a bundle and builds its analyzer."""
        return cls.from_engine(Engine.from_path(path, settings))

    def explain(
        self,
        prediction: Prediction,
        text: str | None = None,
        language: LanguageGuess | None = None,
    ) -> Analysis:
        """Turns one prediction into an analysis.

        With the ``text`` the prediction was made of, the analysis names its language too
        (``language``, when the caller has already identified it). A head with a language
        head for that language (``by_language`` in the manifest) is read from it.
        """
        language = language or (detect(text) if text is not None else NOT_READ)
        # an unsure guess still picks the emotion head of its likeliest language
        prediction = prediction.in_language(
            self.engine.manifest.heads_for(language.likely or language.code),
            self._language_heads,
        )
        moods = self.moods.fuse(prediction)
        topics: tuple[TopicMatch, ...] = ()
        vector = prediction[self._embedding].embedding if self._embedding is not None else None
        if self.topics is not None and vector is not None and self.ranker.learned is None:
            topics = self.topics.candidates(vector)
        emotions = tuple(
            LabelScore(label, prediction[name].score_of(label))
            for name in self._emotion_heads
            for label in prediction[name].predicted
        )
        scores: dict[str, float] = {}
        for name in self._emotion_heads:
            for item in prediction[name].scores:
                scores[item.label] = max(scores.get(item.label, 0.0), item.score)
        trigger_head = self._roles[HeadRole.TRIGGER]
        trigger = (
            float(prediction[trigger_head.name].scores[0].score)
            if trigger_head is not None
            else None
        )
        return Analysis(
            moods=moods,
            emotions=tuple(sorted(emotions, key=lambda e: -e.score)),
            reactions=self.ranker.rank(prediction, moods, topics),
            topics=topics,
            prediction=prediction,
            embedding=vector,
            emotion_scores=scores,
            trigger=trigger,
            intents=self._ranked(prediction, HeadRole.INTENT),
            readers=self._ranked(prediction, HeadRole.READER),
            language=language,
            caution=self.engine.manifest.caution,
        )

    def _ranked(self, prediction: Prediction, role: HeadRole) -> tuple[LabelScore, ...]:
        """Every label of the head with ``role`` and its probability, best first."""
        head = self._roles[role]
        if head is None:
            return ()
        return tuple(sorted(prediction[head.name].scores, key=lambda item: -item.score))

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """L2-normalised sentence embeddings of ``texts``.

        Raises:
            InferenceError: The bundle has no embedding head (see :attr:`can_embed`).
        """
        return embed(self.engine, texts)

    def embed_set(self, texts: Sequence[str]) -> FloatArray:
        """Like :meth:`embed`, for a fixed set of texts embedded at every start (a reply bank).

        The result is saved in the analyzer's cache and read back by later starts.
        """
        if self.cache is None:
            return self.embed(texts)
        return self.cache.embed(texts, self.embed)

    @property
    def can_embed(self) -> bool:
        """Whether the bundle has an embedding head."""
        return self._embedding is not None

    def analyze(
        self, texts: Sequence[str], languages: Sequence[LanguageGuess] | None = None
    ) -> list[Analysis]:
        """Analyses texts in one engine run; odd text is a normal input.

        Args:
            texts: The messages.
            languages: Their languages, when already identified (else identified here).
        """
        predictions = self.engine.predict(texts)
        guesses = languages if languages is not None else [None] * len(texts)
        return [self.explain(p, t, g) for p, t, g in zip(predictions, texts, guesses, strict=True)]

    def analyzer_for(self, language: str | LanguageGuess) -> Analyzer:
        """The analyzer that reads messages in ``language`` (one analyzer reads them all)."""
        del language
        return self

    def reads(self, language: str | LanguageGuess) -> bool:
        """Whether ``language`` has a bundle of its own, apart from this one's (never)."""
        del language
        return False
