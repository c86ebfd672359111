"""The platform-neutral brain: one incoming message in, one :class:`~bot.decision.Decision` out.

Order of work for a message:

1. Ignore bots (this one included) and the bot's own messages.
2. Honour opt-outs (the chat's, then the author's) and a chat in mode ``off``, before any
   inference: the text of such a message never reaches the model.
3. Analyse the text (moods, fine emotions, reaction candidates, embedding).
4. Reactions (mode ``react`` or ``both``): sensitivity, confidence gate, platform constraints
   (:mod:`bot.policy`), then cooldowns and budgets (:mod:`bot.pacing`) unless the request was
   explicit (a command or an API call, not a message flowing past).
5. Suggestions (mode ``suggest`` or ``both``, or an explicit request): :mod:`bot.suggestions`.
6. Count the leading mood in the chat's daily stats (never the text).

Adapters call :meth:`MoodBot.adecide` (asynchronous, batched, never blocking the event loop);
the command line calls :meth:`MoodBot.decide_many`.

A batch is decided at the model's pace: :meth:`MoodBot.decide_many` reads the opt-outs of all
its chats and authors in one query and their chats' settings in another (step 2), ranks the
replies of all its messages together (step 5, :meth:`bot.suggestions.Suggester.suggest_many`)
and hands the store its mood counts at once (step 6). Steps 3 and 4 go message by message, in
order, as pacing needs. Every message gets exactly the decision it would get alone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.chats import Chats
from moodmoji.bot.config import Config, default_config
from moodmoji.bot.decision import (
    Candidate,
    Decision,
    Explanation,
    Gate,
    Reaction,
    Step,
    Suggestion,
    Tag,
)
from moodmoji.bot.grave_topics import grave_topic
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform
from moodmoji.bot.pacing import Pacer
from moodmoji.bot.platforms import PlatformRules
from moodmoji.bot.policy import ReactionPolicy, Sensitivity, assess, somber_hints
from moodmoji.bot.registry import Registry
from moodmoji.bot.store import Store, StoreError, open_store
from moodmoji.bot.suggestions import ReplyBank, Suggested, Suggester, SuggestionRequest
from moodmoji.inference.analyzer import Analysis, Analyzer
from moodmoji.inference.batcher import MicroBatcher
from moodmoji.inference.emoji_names import emoji_like
from moodmoji.inference.language import UNDETERMINED
from moodmoji.inference.settings import BatchSettings
from moodmoji.inference.vocabulary import EmojiVocabulary

logger = logging.getLogger(__name__)

__all__ = ["MoodBot", "Reading", "default_rules", "read"]


def _language_suggester(analyzer: Analyzer, language: str, bank: ReplyBank) -> Suggester:
    """The suggester of a language's reply bank, embedded by the bundle reading the language."""
    reader = analyzer.analyzer_for(language)
    return Suggester.from_embedder(bank, reader.embed_set if reader.can_embed else None)


def default_rules(config: Config | None = None) -> dict[Platform, PlatformRules]:
    """The reaction rules of every installed platform, as ``config`` (or the defaults) sets them.

    The platforms come from the adapter registry (:mod:`bot.registry`); the core brings only
    ``generic``.
    """
    return Registry.installed().rules(config if config is not None else default_config())


@dataclass(frozen=True)
class Reading:
    """An analysis in the bot's own types, with the message's sensitivity judged.

    Attributes:
        moods: Coarse mood tags, best first.
        emotions: Fine emotions the model decided on, best first.
        candidates: The model's reaction candidates, best first.
        sensitivity: How careful the bot must be (:func:`bot.policy.assess`).
        trigger: The learned probability that a reader would react at all, if the model has
            a trigger head.
        intents: Reply intents with their learned probabilities, best first (empty without
            an intent head).

    """

    moods: tuple[Tag, ...]
    emotions: tuple[Tag, ...]
    candidates: tuple[Candidate, ...]
    sensitivity: Sensitivity
    trigger: float | None = None
    intents: tuple[Tag, ...] = ()


def read(text: str, analysis: Analysis) -> Reading:
    """Turns the inference core's analysis of ``text`` into what the policies work on."""
    moods = tuple(Tag(m.mood, round(m.score, 4)) for m in analysis.moods)
    emotions = tuple(Tag(e.label, round(e.score, 4)) for e in analysis.emotions)
    candidates = tuple(Candidate(c.emoji, c.score, c.sources) for c in analysis.reactions)
    sensitivity = assess(
        moods, emotions, somber_hints(analysis.emotion_scores), grave_topic(text), analysis.caution
    )
    intents = tuple(Tag(i.label, round(i.score, 4)) for i in analysis.intents)
    trigger = None if analysis.trigger is None else round(analysis.trigger, 4)
    return Reading(moods, emotions, candidates, sensitivity, trigger, intents)


def _quiet(settings: ChatSettings, explicit: bool, suggest: bool | None) -> bool:
    """Whether the chat's mode leaves a message's suggestions out and nobody asked for them."""
    return suggest is None and not (explicit or settings.mode.suggests)


def answerable(text: str) -> bool:
    """Whether a message holds something to answer: two different letters or digits, or an emoji.

    Blank, invisible and one-character-repeated texts do not, so asking for suggestions on them
    gets none unless a reply clears the chat's threshold.
    """
    if emoji_like(text):
        return True
    return len({ch.casefold() for ch in text if unicodedata.category(ch)[0] in "LN"}) >= 2


@dataclass(frozen=True)
class _Gate:
    """Outcome of the checks made before any inference."""

    settings: ChatSettings
    skip: Decision | None = None


@dataclass(frozen=True)
class _Job:
    """A message that passed its gate, with its analysis and its chat's settings."""

    message: IncomingMessage
    analysis: Analysis
    settings: ChatSettings


@dataclass(frozen=True)
class _Reacted:
    """A message's reading and what step 4 made of it, waiting for its suggestions."""

    reading: Reading
    reactions: tuple[Reaction, ...]
    gate: Gate | None
    steps: tuple[Step, ...]


class MoodBot:
    """Decides reactions, mood tags and reply suggestions for chat messages.

    Args:
        analyzer: The inference core's analyzer.
        suggester: Reply suggestions.
        policy: Reaction policy.
        rules: Reaction rules per platform.
        defaults: Settings of a chat that changed nothing.
        store: Per-chat settings, opt-outs and mood stats; ``None`` keeps nothing (CLI).
            Private to the core: adapters reach it only through :attr:`chats`.
        pacer: Cooldowns and budgets.
        batch: Micro-batching of :meth:`adecide` calls.
        max_queue: Most messages waiting for the model in :meth:`adecide`; beyond that
            :class:`bot.errors.Overloaded` is raised at once instead of piling up.
        suggesters: Reply suggestions per language other than English (ISO 639-1 code ->
            suggester over that language's reply bank, or a function building it on the
            language's first message). ``suggester`` answers English and messages whose
            language is undetermined; a message in any other language without a suggester
            here gets no suggestion rather than an English one.

    Attributes:
        chats: Every chat operation of a platform command (settings, opt-outs, forget-me,
            mood stats, custom emoji), awaitable; see :class:`bot.chats.Chats`.

    """

    def __init__(
        self,
        analyzer: Analyzer,
        suggester: Suggester,
        policy: ReactionPolicy,
        rules: Mapping[Platform, PlatformRules],
        defaults: ChatSettings,
        store: Store | None = None,
        pacer: Pacer | None = None,
        batch: BatchSettings | None = None,
        max_queue: int = 1024,
        suggesters: Mapping[str, Suggester | Callable[[], Suggester]] | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.suggester = suggester
        self._suggesters = dict(suggesters or {})
        self._building = threading.Lock()
        self.policy = policy
        self.rules = dict(rules)
        self.defaults = defaults
        self._store = store
        self.chats = Chats(store, defaults)
        self.pacer = pacer if pacer is not None else Pacer()
        self._batch = batch or BatchSettings()
        self._max_queue = max_queue
        self._batcher: MicroBatcher[Analysis] | None = None
        self._batch_observers: list[Callable[[int, float], None]] = []

    @classmethod
    def from_analyzer(
        cls,
        analyzer: Analyzer,
        *,
        defaults: ChatSettings | None = None,
        store: Store | None = None,
        rules: Mapping[Platform, PlatformRules] | None = None,
        pacer: Pacer | None = None,
        bank: ReplyBank | None = None,
        vocabulary: EmojiVocabulary | None = None,
        batch: BatchSettings | None = None,
        max_queue: int = 1024,
        language_banks: Mapping[str, ReplyBank] | None = None,
    ) -> MoodBot:
        """Builds the bot around an analyzer, with the packaged reply banks and rules.

        The reply bank's 2,758 texts are embedded here, or read back from the analyzer's saved
        embeddings (the default model ships them; see :mod:`inference.embedding_cache`). When
        the analyzer routes other languages to a bundle of their own
        (:meth:`Analyzer.analyzer_for`), each language's reply bank (``language_banks``,
        default the packaged ones) is embedded by that bundle.
        """
        bank = bank if bank is not None else ReplyBank.load()
        embed = analyzer.embed_set if analyzer.can_embed else None
        suggester = Suggester.from_embedder(bank, embed)
        suggesters: dict[str, Callable[[], Suggester]] = {}
        banks = language_banks if language_banks is not None else ReplyBank.load_languages()
        for code, language_bank in banks.items():
            if analyzer.reads(code):  # only a bundle that reads the language ranks its replies
                suggesters[code] = functools.partial(
                    _language_suggester, analyzer, code, language_bank
                )
        return cls(
            analyzer,
            suggester,
            ReactionPolicy(vocabulary if vocabulary is not None else analyzer.ranker.vocabulary),
            rules if rules is not None else default_rules(),
            defaults or ChatSettings(),
            store=store,
            pacer=pacer,
            batch=batch,
            max_queue=max_queue,
            suggesters=suggesters,
        )

    @classmethod
    def from_config(
        cls, config: Config, *, model: Path | None = None, keep_state: bool = True
    ) -> MoodBot:
        """Builds the bot a config file describes: its model, settings store and defaults.

        Args:
            config: The loaded configuration.
            model: A bundle directory overriding ``model.path``.
            keep_state: Open the settings store at ``store.url`` (else ``store.path``);
                without it the bot keeps nothing (one-off commands such as ``moodmoji
                analyze``).

        Raises:
            InferenceError: The model bundle is missing or invalid (the message names the file),
                or the model server at ``inference.url`` cannot be used.
            StoreError: The settings store cannot be opened (the message names the file or
                the server).
        """
        from moodmoji.inference.default_model import (
            DEFAULT_MODEL_DIR,
            resolve_model_dir,
            resolve_multilingual_dir,
        )
        from moodmoji.inference.engine import Engine
        from moodmoji.inference.remote import RemoteEngine, RemoteSettings
        from moodmoji.inference.routing import RoutedAnalyzer

        settings = config.engine_settings()
        bundle = model or config.model.path
        inference = config.inference
        if inference.url is None:
            engine = Engine.from_path(resolve_model_dir(bundle), settings)
        else:  # the model runs on a Ray Serve deployment (moodmoji serve-model)
            remote = RemoteSettings(
                inference.url,
                timeout_s=inference.timeout_s,
                retries=inference.retries,
                parallel_requests=inference.parallel_requests,
            )
            local = Path(bundle) if bundle is not None else DEFAULT_MODEL_DIR
            engine = RemoteEngine.connect(remote, local).as_engine()
        analyzer = Analyzer.from_engine(engine)
        multilingual = (
            resolve_multilingual_dir(config.model.multilingual_path)
            if config.model.multilingual
            else None
        )
        if multilingual is not None:  # other languages: their own bundle, loaded on first use
            path = multilingual
            analyzer = RoutedAnalyzer.from_analyzers(
                analyzer, lambda: Analyzer.from_engine(Engine.from_path(path, settings))
            )
        return cls.from_analyzer(
            analyzer,
            defaults=config.bot.chat_settings(),
            store=(
                open_store(config.store.location, pool_size=config.store.pool_size)
                if keep_state
                else None
            ),
            rules=default_rules(config),
            batch=settings.batch,
            max_queue=config.inference.max_queue,
        )

    # ------------------------------------------------------------------ deciding

    def decide(
        self,
        message: IncomingMessage,
        context: ChatContext | None = None,
        *,
        explicit: bool = False,
        suggest: bool | None = None,
    ) -> Decision:
        """Decides about one message, running the model in the calling thread.

        Args:
            message: The message.
            context: What the adapter knows about the chat.
            explicit: Someone asked (a command, an API call): no pacing, no mood count, and
                reactions and suggestions even when the chat's mode leaves them out.
            suggest: Whether to rank reply suggestions; ``None`` follows the chat's mode (or
                ``explicit``). Adapters pass ``False`` for messages flowing past when they
                never show suggestions unasked, which saves most of a decision's time.

        """
        return self.decide_many([message], context, explicit=explicit, suggest=suggest)[0]

    def decide_many(
        self,
        messages: Sequence[IncomingMessage],
        context: ChatContext | None = None,
        *,
        explicit: bool = False,
        suggest: bool | None = None,
    ) -> list[Decision]:
        """Decides about several messages with one model run for all that need one.

        Arguments as for :meth:`decide`.
        """
        gates = self._gates(messages, context)
        todo = [i for i, g in enumerate(gates) if g.skip is None]
        analyses = self._analyze([messages[i].text for i in todo])
        jobs = [
            _Job(messages[i], analysis, gates[i].settings)
            for i, analysis in zip(todo, analyses, strict=True)
        ]
        concluded = iter(self._conclude_many(jobs, context, explicit, suggest))
        return [gate.skip if gate.skip is not None else next(concluded) for gate in gates]

    async def adecide(
        self,
        message: IncomingMessage,
        context: ChatContext | None = None,
        *,
        explicit: bool = False,
        suggest: bool | None = None,
    ) -> Decision:
        """Decides about one message without blocking the event loop (arguments as :meth:`decide`).

        Concurrent calls are batched into shared model runs; store access runs in a thread.

        Raises:
            QueueFull, BatchFailed, BatcherClosed: From the batcher (see
                :mod:`inference.batcher`); the adapter decides to drop the message.
        """
        gate = await asyncio.to_thread(self._gate, message, context)
        if gate.skip is not None:
            return gate.skip
        if self._batcher is None:
            self._batcher = MicroBatcher(self._analyze, self._batch, max_queue=self._max_queue)
        analysis = await self._batcher.submit(message.text)
        (decision,) = await asyncio.to_thread(
            self._conclude_many,
            [_Job(message, analysis, gate.settings)],
            context,
            explicit,
            suggest,
        )
        return decision

    def add_batch_observer(self, observer: Callable[[int, float], None]) -> None:
        """Calls ``observer(batch_size, seconds)`` after every model run (for metrics).

        The observer runs in the thread of the model run and must be quick and never raise.
        """
        self._batch_observers.append(observer)

    @property
    def queue_depth(self) -> int:
        """Messages waiting for the model in :meth:`adecide` now."""
        return self._batcher.stats.queue_depth if self._batcher is not None else 0

    def _analyze(self, texts: Sequence[str]) -> list[Analysis]:
        """One model run, timed for the batch observers."""
        if not texts:
            return []
        started = time.perf_counter()
        analyses = self.analyzer.analyze(list(texts))
        elapsed = time.perf_counter() - started
        for observer in self._batch_observers:
            observer(len(texts), elapsed)
        return analyses

    async def aclose(self) -> None:
        """Stops the batcher and closes the store."""
        if self._batcher is not None:
            await self._batcher.aclose()
        if self._store is not None:
            self._store.close()

    @property
    def platforms(self) -> tuple[Platform, ...]:
        """The platforms whose reaction rules this bot knows (``generic`` and the adapters')."""
        return tuple(self.rules)

    def _rules_for(self, platform: Platform, steps: list[Step]) -> PlatformRules:
        """The platform's rules; a platform no adapter registered gets the generic ones."""
        rules = self.rules.get(platform)
        if rules is not None:
            return rules
        steps.append(Step("platform", f"no rules for {platform}: the generic rules apply"))
        return self.rules.get(Platform.GENERIC) or PlatformRules.generic()

    # ------------------------------------------------------------------ settings

    def _settings_for(self, platform: Platform | str, chat_id: str) -> ChatSettings:
        """A chat's effective settings: the defaults with its stored overrides."""
        if self._store is None:
            return self.defaults
        return self._store.chat_settings(str(platform), chat_id, self.defaults)

    # ------------------------------------------------------------------ steps

    def _gate(self, message: IncomingMessage, context: ChatContext | None) -> _Gate:
        """The checks made before inference, for one message (see :meth:`_gates`)."""
        return self._gates([message], context)[0]

    def _gates(
        self, messages: Sequence[IncomingMessage], context: ChatContext | None
    ) -> list[_Gate]:
        """The checks made before inference: bots, opt-outs, a chat in mode ``off``.

        The store is asked once per platform of the batch, for all its chats and authors.
        """
        gates: dict[int, _Gate] = {}
        asking: dict[str, list[int]] = {}
        for i, message in enumerate(messages):
            if message.author_is_bot or (context and message.author_id == context.self_id):
                gates[i] = _Gate(self.defaults, Decision.skip("ignored", "the author is a bot"))
            elif self._store is None:
                gates[i] = _Gate(self.defaults)
            else:
                asking.setdefault(str(message.platform), []).append(i)
        for platform, indexes in asking.items():
            found = self._stored_gates(platform, [messages[i] for i in indexes])
            gates.update(zip(indexes, found, strict=True))
        return [gates[i] for i in range(len(messages))]

    def _stored_gates(self, platform: str, messages: Sequence[IncomingMessage]) -> list[_Gate]:
        """The opt-outs and settings of messages of one platform, read from the store at once."""
        assert self._store is not None
        try:
            opt_outs = self._store.opt_outs_of(
                platform, [m.chat_id for m in messages], [m.author_id for m in messages]
            )
            settings = self._store.chat_settings_of(
                platform,
                [m.chat_id for m in messages if opt_outs.of(m.chat_id, m.author_id) is None],
                self.defaults,
            )
        except StoreError as exc:
            # Fail closed: without the opt-outs the messages must not reach the model.
            for message in messages:
                logger.warning("message %s skipped: %s", message.message_id, exc.problem)
            unavailable = Decision.skip(
                "store-unavailable",
                "the settings store could not be read, so opt-outs could not be checked; "
                "the message was not analysed",
            )
            return [_Gate(self.defaults, unavailable) for _ in messages]
        gates = []
        for message in messages:
            opt_out = opt_outs.of(message.chat_id, message.author_id)
            if opt_out is not None:
                who = "this chat" if opt_out.kind == "chat" else "the author"
                skip = Decision.skip("opt-out", f"{who} opted out; the message was not analysed")
                gates.append(_Gate(self.defaults, skip))
                continue
            chat = settings[message.chat_id]
            if not chat.mode.reacts and not chat.mode.suggests:
                skip = Decision.skip("mode-off", "moodmoji is off in this chat")
                gates.append(_Gate(chat, skip))
            else:
                gates.append(_Gate(chat))
        return gates

    def conclude(
        self,
        message: IncomingMessage,
        analysis: Analysis,
        context: ChatContext | None = None,
        *,
        explicit: bool = False,
        suggest: bool | None = None,
    ) -> Decision:
        """Turns an analysis of ``message`` into a decision, with the chat's settings.

        The checks made before inference (bots, opt-outs, mode off) are the caller's; use
        :meth:`decide` for the whole path.
        """
        settings = self._settings_for(message.platform, message.chat_id)
        job = _Job(message, analysis, settings)
        return self._conclude_many([job], context, explicit, suggest)[0]

    def _conclude_many(
        self,
        jobs: Sequence[_Job],
        context: ChatContext | None,
        explicit: bool,
        suggest: bool | None = None,
    ) -> list[Decision]:
        """Steps 4 to 6 for analysed messages: reactions in order, then the batch's replies."""
        reacted = [self._reactions(job, context, explicit) for job in jobs]
        asking = {
            i: self._suggestion_request(job, done.reading, explicit, suggest)
            for i, (job, done) in enumerate(zip(jobs, reacted, strict=True))
            if suggest is not False and not _quiet(job.settings, explicit, suggest)
        }
        ranked = self._rank_replies(jobs, asking)
        decisions = [
            self._decision(job, done, ranked.get(i), _quiet(job.settings, explicit, suggest))
            for i, (job, done) in enumerate(zip(jobs, reacted, strict=True))
        ]
        if not explicit:
            self._count_moods([job.message for job in jobs], decisions)
        return decisions

    def _rank_replies(
        self, jobs: Sequence[_Job], asking: Mapping[int, SuggestionRequest]
    ) -> dict[int, Suggested]:
        """Step 5 for the messages that asked: each ranked by the replies of its language.

        English and undetermined messages get the default reply bank; another language gets
        its own bank, or no suggestion when none is written in it. An undetermined message
        that the multilingual bundle read (a short Cyrillic one: Russian or Ukrainian) gets
        none either: its language is not known, and it is not English.
        """
        by_suggester: dict[int, tuple[Suggester, list[int]]] = {}
        ranked: dict[int, Suggested] = {}
        for i in asking:
            guess = jobs[i].analysis.language
            language = guess.code
            if not guess.known and self.analyzer.reads(guess):
                step = Step("language", f"{guess.script} text of no clear language: no suggestions")
                ranked[i] = ((), (), (step,))
                continue
            suggester = self._suggester_for(language)
            if suggester is None:
                step = Step("language", f"no replies written in {language}: no suggestions")
                ranked[i] = ((), (), (step,))
                continue
            by_suggester.setdefault(id(suggester), (suggester, []))[1].append(i)
        for suggester, indices in by_suggester.values():
            requests = [asking[i] for i in indices]
            ranked.update(zip(indices, suggester.suggest_many(requests), strict=True))
        return ranked

    @property
    def suggesters(self) -> dict[str, Suggester]:
        """The languages' own suggesters built so far (the others are built on first use)."""
        return {k: v for k, v in self._suggesters.items() if isinstance(v, Suggester)}

    @property
    def reply_languages(self) -> tuple[str, ...]:
        """Languages with replies of their own, besides English."""
        return tuple(sorted(self._suggesters))

    def _suggester_for(self, language: str) -> Suggester | None:
        """The suggester of a language: its own, the default's for English, else none.

        A language's own suggester is built on its first message (its reply bank embedded
        by the bundle that reads the language; the embeddings are cached for later starts).
        """
        if language in ("en", UNDETERMINED):
            return self.suggester
        found = self._suggesters.get(language)
        if found is None or isinstance(found, Suggester):
            return found
        with self._building:
            found = self._suggesters[language]
            if not isinstance(found, Suggester):
                started = time.perf_counter()
                found = self._suggesters[language] = found()
                logger.info(
                    "replies in %s ready in %.1f s", language, time.perf_counter() - started
                )
        return found

    def _reactions(self, job: _Job, context: ChatContext | None, explicit: bool) -> _Reacted:
        """Step 4 for one message: its reading, reactions and gate, and the steps so far."""
        reading = read(job.message.text, job.analysis)
        sensitivity = reading.sensitivity
        steps: list[Step] = []
        if sensitivity.reason:
            kind = "somber" if sensitivity.somber else "negative"
            steps.append(Step("sensitivity", f"{kind} message: {sensitivity.reason}"))
        settings = job.settings
        if not (explicit or settings.mode.reacts):
            steps.append(Step("mode", f"mode is {settings.mode}: no reactions"))
            return _Reacted(reading, (), None, tuple(steps))
        reactions = self._react(job.message, reading, settings, context, explicit, steps)
        gate = self.policy.gate(
            reading.candidates, sensitivity, settings.reaction_threshold, trigger=reading.trigger
        )
        return _Reacted(reading, reactions, gate, tuple(steps))

    @staticmethod
    def _suggestion_request(
        job: _Job, reading: Reading, explicit: bool, suggest: bool | None
    ) -> SuggestionRequest:
        """What step 5 ranks the replies of one message with."""
        settings = job.settings
        return SuggestionRequest(
            reading.moods,
            job.analysis.embedding,
            reading.sensitivity,
            threshold=settings.suggestion_threshold,
            limit=settings.max_suggestions,
            intents=reading.intents,
            asked=(explicit or suggest is True) and answerable(job.message.text),
        )

    @staticmethod
    def _decision(job: _Job, done: _Reacted, ranked: Suggested | None, quiet: bool) -> Decision:
        """One message's decision, from its reactions and (when ranked) its replies.

        ``quiet``: the chat's mode leaves suggestions out, and nobody asked for them.
        """
        settings = job.settings
        suggestions: tuple[Suggestion, ...] = ()
        replies: tuple[Suggestion, ...] = ()
        steps = done.steps
        if quiet:
            steps += (Step("mode", f"mode is {settings.mode}: no suggestions"),)
        elif ranked is not None:
            suggestions, replies, suggestion_steps = ranked
            steps += suggestion_steps
        why = Explanation(
            candidates=done.reading.candidates,
            thresholds={
                "reaction": settings.reaction_threshold,
                "suggestion": settings.suggestion_threshold,
            },
            steps=steps,
            replies=replies,
        )
        reading = done.reading
        language = job.analysis.language
        return Decision(
            done.reactions, reading.moods, reading.emotions, suggestions, why, gate=done.gate
        ).with_language(language.code, language.confidence, language.describe())

    def _count_moods(
        self, messages: Sequence[IncomingMessage], decisions: Sequence[Decision]
    ) -> None:
        """Step 6: counts the leading mood of messages flowing past (never the text)."""
        if self._store is None:
            return
        counts = [
            (str(message.platform), message.chat_id, decision.moods[0].label)
            for message, decision in zip(messages, decisions, strict=True)
            if decision.moods
        ]
        if not counts:
            return
        try:
            self._store.count_moods(counts)
        except StoreError as exc:  # a lost count must not cost the user the decision
            logger.warning(
                "the moods of %d message(s) were not counted: %s", len(counts), exc.problem
            )

    def _react(
        self,
        message: IncomingMessage,
        reading: Reading,
        settings: ChatSettings,
        context: ChatContext | None,
        explicit: bool,
        steps: list[Step],
    ) -> tuple[Reaction, ...]:
        """The policy's reactions, held back by pacing when the message merely flowed past."""
        chat_key = f"{message.platform}:{message.chat_id}"
        if not explicit:
            self.pacer.observe(chat_key, settings)
        custom = dict(settings.custom_emoji)
        if context and context.custom_emoji:
            custom.update(context.custom_emoji)
        reactions, reaction_steps = self.policy.choose(
            reading.candidates,
            reading.sensitivity,
            settings.reaction_threshold,
            self._rules_for(message.platform, steps),
            mood=reading.moods[0].label if reading.moods else None,
            available=context.available_reactions if context else None,
            custom_emoji=custom,
            trigger=reading.trigger,
        )
        steps.extend(reaction_steps)
        if not reactions or explicit:
            return reactions
        held = self.pacer.hold(chat_key, message.author_id, settings)
        if held is not None:
            steps.append(held)
            return ()
        self.pacer.record(chat_key, message.author_id)
        return reactions
