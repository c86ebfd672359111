"""The JSON bodies of the API, as pydantic models (they make the OpenAPI document).

Limits that come from the config (text length, batch size) are checked by the routes and written
into the OpenAPI document by :func:`adapters.http.app.create_app`, so the document shows the
limits the running server enforces.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from moodmoji.bot.chat_settings import Mode
from moodmoji.bot.messages import Platform
from moodmoji.bot.registry import Registry

__all__ = [
    "AnalyzeRequest",
    "BatchRequest",
    "BatchResponse",
    "CandidateOut",
    "DecisionOut",
    "DeletionOut",
    "ExplanationOut",
    "GateOut",
    "HealthOut",
    "MoodCountsOut",
    "OptOutOut",
    "ReactionOut",
    "ReadyOut",
    "ReplyOut",
    "SettingsChange",
    "SettingsOut",
    "StepOut",
    "SuggestionOut",
    "TagOut",
]


def _known_platform(platform: Platform) -> Platform:
    """Refuses a platform that no installed adapter registered (the registry's keys)."""
    known = Registry.installed().platforms()
    if platform not in known:
        raise PydanticCustomError(
            "unknown_platform",
            "Input should be a platform of this server: {known}",
            {"known": ", ".join(known)},
        )
    return platform


KnownPlatform = Annotated[Platform, AfterValidator(_known_platform)]
"""A platform name that an installed adapter registered (``generic`` always)."""


class AnalyzeRequest(BaseModel):
    """One message to analyse."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The message text; may be empty or odd.")
    platform: KnownPlatform = Field(
        default=Platform.GENERIC,
        description="Whose reaction rules apply: generic (any emoji, up to "
        "platforms.generic_max_reactions), discord, or telegram (one reaction from Telegram's "
        "list).",
    )
    chat_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="The chat it was written in: its settings and opt-out apply. Needed when "
        "explicit is false.",
    )
    author_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Who wrote it: their opt-out applies.",
    )
    message_id: str | None = Field(default=None, min_length=1, max_length=128)
    author_is_bot: bool = Field(
        default=False, description="Messages of bots are not analysed (a skipped decision)."
    )
    explicit: bool = Field(
        default=True,
        description="true: a request to analyse this message (platform rules apply; pacing "
        "does not; nothing is counted). false: a message flowing past in a live chat: the "
        "chat's mode, cooldowns and budgets apply and its mood is counted in the chat's stats.",
    )
    available_reactions: list[str] | None = Field(
        default=None,
        max_length=512,
        description="Telegram: the emoji this chat allows (ChatFullInfo.available_reactions).",
    )
    custom_emoji: dict[str, str] | None = Field(
        default=None,
        description="Discord: mood or emoji -> the server's custom emoji <:name:id>.",
    )


class BatchRequest(BaseModel):
    """Several messages, analysed together (one model run where they fit in one)."""

    model_config = ConfigDict(extra="forbid")

    messages: list[AnalyzeRequest] = Field(description="The messages, answered in this order.")


class ReactionOut(BaseModel):
    """A reaction to set."""

    emoji: str
    score: float = Field(
        description="Its candidate's confidence (the reaction head's score). Not the value "
        "compared with the reaction threshold: that is the decision's gate.score."
    )


class GateOut(BaseModel):
    """The confidence gate: the value compared with the reaction threshold."""

    basis: str = Field(
        description="trigger: score is the learned probability that a reader would react at "
        "all; best-candidate (a model without a trigger head): score is the best candidate's "
        "confidence, raised by runners-up that agree on its mood."
    )
    score: float = Field(description="The value compared with the threshold.")
    threshold: float = Field(description="The chat's reaction_threshold.")
    passed: bool = Field(description="score >= threshold.")


class TagOut(BaseModel):
    """A mood or emotion label with its score."""

    label: str
    score: float


class SuggestionOut(BaseModel):
    """A suggested reply."""

    text: str
    intent: str


class CandidateOut(BaseModel):
    """A reaction candidate as the model ranked it, before any rule."""

    emoji: str
    score: float
    sources: list[str]


class StepOut(BaseModel):
    """One thing a rule did or checked."""

    rule: str
    detail: str


class ReplyOut(BaseModel):
    """A reply considered, before diversity and gating."""

    text: str
    intent: str
    score: float


class ExplanationOut(BaseModel):
    """Why the decision came out as it did."""

    candidates: list[CandidateOut]
    thresholds: dict[str, float]
    steps: list[StepOut]
    replies: list[ReplyOut]
    skipped: str | None = Field(
        default=None, description="Why the message was not analysed (opt-out, mode-off, ignored)."
    )


class DecisionOut(BaseModel):
    """What moodmoji would do about one message."""

    mood: str | None = Field(description="The leading coarse mood; null when not analysed.")
    reactions: list[ReactionOut] = Field(description="Reactions, best first; empty: abstain.")
    gate: GateOut | None = Field(
        default=None,
        description="The value that passed (or failed) the reaction threshold; null when no "
        "gate was checked (not analysed, no reactions asked for, no candidate left).",
    )
    moods: list[TagOut] = Field(description="Coarse moods with their shares, best first.")
    emotions: list[TagOut] = Field(description="Fine emotions the model decided on.")
    suggestions: list[SuggestionOut] = Field(description="Up to three replies.")
    language: str = Field(
        default="und",
        description="The message's language, an ISO 639-1 code such as ru; und when it could "
        "not be told (too short, emoji only, unsure) or the message was not analysed.",
    )
    language_confidence: float = Field(
        default=0.0, description="The language identifier's probability for language (0..1)."
    )
    why: ExplanationOut


class BatchResponse(BaseModel):
    """One decision per message, in request order."""

    results: list[DecisionOut]


class HealthOut(BaseModel):
    """The process answers."""

    status: str = "ok"


class ReadyOut(BaseModel):
    """Whether the model is loaded and takes work, and whether the settings store does."""

    ready: bool
    queue_depth: int
    store: str | None = Field(
        default=None,
        description="Why the settings store takes no writes now (another process holds it).",
    )


class SettingsChange(BaseModel):
    """Settings to change; a field set to null goes back to the default, one left out stays.

    Values are checked by the settings store (422 when one is out of range).
    """

    model_config = ConfigDict(extra="forbid")

    mode: Mode | None = Field(default=None, description="react | suggest | both | off")
    reaction_threshold: float | None = Field(default=None, description="0..1")
    suggestion_threshold: float | None = Field(default=None, description="0..1")
    max_suggestions: int | None = Field(default=None, description="0..3")
    chat_cooldown_s: float | None = Field(default=None, description="0..86400")
    user_cooldown_s: float | None = Field(default=None, description="0..86400")
    budget_reactions: int | None = Field(default=None, description="0..10000")
    budget_window_s: float | None = Field(default=None, description="> 0, up to 86400")
    budget_share: float | None = Field(default=None, description="0..1")
    custom_emoji: dict[str, str] | None = Field(
        default=None, description="mood or emoji -> <:name:id> (Discord)"
    )


class SettingsOut(BaseModel):
    """A chat's settings."""

    platform: Platform
    chat_id: str
    settings: dict[str, Any] = Field(description="The effective settings.")
    overrides: dict[str, Any] = Field(description="What this chat changed from the defaults.")


class DeletionOut(BaseModel):
    """How many stored rows a deletion removed."""

    chats: int
    opt_outs: int
    mood_rows: int
    total: int


class OptOutOut(BaseModel):
    """Whether a user or chat opted out."""

    platform: Platform
    kind: str = Field(description="user or chat")
    id: str
    opted_out: bool
    since: str | None = Field(default=None, description="When, ISO 8601 in UTC.")


class MoodCountsOut(BaseModel):
    """A chat's leading moods per UTC day (counted for messages sent with explicit false)."""

    platform: Platform
    chat_id: str
    days: dict[str, dict[str, int]]
