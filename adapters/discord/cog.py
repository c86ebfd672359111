"""The moodmoji Cog: automatic reactions, the "Suggest replies" menu and the slash commands.

Automatic reactions: :meth:`MoodCog.on_message` filters what moodmoji must not look at (the bot
itself, other bots, webhooks, system messages) and offers the rest to a bounded
:class:`~adapters.common.work_queue.WorkQueue`, so the gateway listener returns at once. Workers
ask the core for a decision (model runs are batched, never on the event loop) and add the
reactions, after checking the channel's permissions. A channel that answers 403 is left alone
for ``refusal_ttl_s``; 429s are waited out by discord.py itself, with no retries of ours.
Every call to Discord is given up after ``request_timeout_s`` (discord.py sets no timeout and
retries some 5xx answers for up to 25 s); a timeout or a network error is logged by its type.

The context menu is built in ``__init__`` and added to the tree in :meth:`MoodCog.cog_load`
(discord.py cannot define context menus inside a Cog); the slash commands are Cog app commands,
which discord.py adds and removes with the Cog. Nothing here syncs the command tree.

Answers follow the invoking user's Discord locale (``interaction.locale``; English for a
language without a catalogue). The command picker's texts are localised when the bot syncs its
tree: :meth:`MoodCog.cog_load` puts a :class:`~adapters.discord.translator.MoodTranslator` in
front of the tree's translator (and :meth:`MoodCog.cog_unload` puts the old one back).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Literal, TypeVar

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from moodmoji.adapters.common import answers
from moodmoji.adapters.common.i18n import Catalogue
from moodmoji.adapters.common.recent import RecentDecisions
from moodmoji.adapters.common.refusals import RefusalMemory
from moodmoji.adapters.common.work_queue import WorkQueue
from moodmoji.adapters.discord import texts
from moodmoji.adapters.discord.info import discord_section
from moodmoji.adapters.discord.links import parse_message_ref
from moodmoji.adapters.discord.reactions import missing_permissions, reaction_emoji
from moodmoji.adapters.discord.settings import DiscordSettings
from moodmoji.adapters.discord.translator import MoodTranslator, described
from moodmoji.bot.chats import ChatsUnavailable, NoStoreError
from moodmoji.bot.config import Config, load_config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.decision import Decision
from moodmoji.bot.errors import CoreError
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform

logger = logging.getLogger(__name__)

__all__ = ["SUGGEST_MENU", "AnyBot", "MoodCog"]

T = TypeVar("T")

PLATFORM = Platform.DISCORD
#: The name of the message context menu (Apps > Suggest replies).
SUGGEST_MENU = described("discord.menu.suggest").message
#: Message types that carry something a person wrote.
_USER_MESSAGES = (discord.MessageType.default, discord.MessageType.reply)
_NO_MENTIONS = discord.AllowedMentions.none()
_NETWORK_ERRORS = (TimeoutError, OSError, aiohttp.ClientError)
#: Discord's JSON error code for a reaction on a message whose author blocked the bot.
REACTION_BLOCKED = 90001


class _Failed(enum.Enum):
    """What :meth:`MoodCog._chats` returns when the operation failed (and was answered)."""

    FAILED = enum.auto()


_FAILED = _Failed.FAILED

#: A discord.py bot the Cog can join: ``AutoShardedBot`` is not a subclass of ``commands.Bot``.
AnyBot = commands.Bot | commands.AutoShardedBot


def _chat_id(channel: object) -> str:
    """The chat whose settings apply: a thread follows its parent channel."""
    if isinstance(channel, discord.Thread):
        return str(channel.parent_id)
    return str(getattr(channel, "id", ""))


class MoodCog(commands.Cog, name="moodmoji"):
    """moodmoji for a discord.py bot.

    Args:
        bot: The bot the Cog is added to.
        moodbot: The bot core, ready to decide.
        settings: Queue, workers and refusal memory.
        owns_moodbot: Close ``moodbot`` when the Cog is unloaded (it was built for the Cog).
        clock: Wall clock in seconds (the clock of Discord's message timestamps).

    """

    settings_group = app_commands.Group(
        name="moodmoji",
        description=described("discord.command.moodmoji"),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(
        self,
        bot: AnyBot,
        moodbot: MoodBot,
        settings: DiscordSettings | None = None,
        *,
        owns_moodbot: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot
        self.moodbot = moodbot
        self.settings = settings or DiscordSettings()
        self.recent = RecentDecisions()
        self.refusals = RefusalMemory(self.settings.refusal_ttl_s)
        self.queue: WorkQueue[discord.Message] = WorkQueue(
            self._handle,
            maxsize=self.settings.queue_size,
            workers=self.settings.workers,
            stale_after_s=self.settings.stale_after_s,
            clock=clock,
            name="moodmoji-discord",
        )
        self._owns_moodbot = owns_moodbot
        self.suggest_menu: app_commands.ContextMenu = app_commands.ContextMenu(
            name=described("discord.menu.suggest"), callback=self._suggest_replies
        )
        self._translator: MoodTranslator | None = None

    @classmethod
    async def from_config(
        cls, bot: AnyBot, config: Config | None = None, *, model: Path | None = None
    ) -> MoodCog:
        """Builds the Cog and its own bot core from the configuration file.

        The model is loaded in a worker thread (seconds), so the event loop keeps running.

        Args:
            bot: The bot the Cog is for.
            config: The configuration; ``load_config()`` (``./config.yaml`` or the defaults)
                when ``None``.
            model: A bundle directory overriding ``model.path``.

        Raises:
            ConfigError: The configuration file is invalid.
            InferenceError: The model bundle is missing or invalid.
            StoreError: The settings store cannot be opened.

        """
        config = config if config is not None else load_config()
        moodbot = await asyncio.to_thread(MoodBot.from_config, config, model=model)
        settings = DiscordSettings.from_config(discord_section(config))
        return cls(bot, moodbot, settings, owns_moodbot=True)

    # ------------------------------------------------------------------ lifecycle

    async def cog_load(self) -> None:
        """Adds the context menu and the command translator, and starts the workers."""
        self.bot.tree.add_command(self.suggest_menu)
        previous = self.bot.tree.translator
        if not isinstance(previous, MoodTranslator):
            self._translator = MoodTranslator(previous)
            await self.bot.tree.set_translator(self._translator)
        self.queue.start()
        if not self.bot.intents.message_content:
            logger.warning("discord: %s", texts.NO_CONTENT_NOTE)

    async def cog_unload(self) -> None:
        """Removes the context menu, stops the workers and closes a core built for the Cog."""
        self.bot.tree.remove_command(self.suggest_menu.name, type=self.suggest_menu.type)
        if self._translator is not None and self.bot.tree.translator is self._translator:
            # set_translator unloads ours, which unloads the one it stood in front of: load it
            # again by handing it back to the tree.
            await self.bot.tree.set_translator(self._translator.fallback)
        self._translator = None
        await self.queue.aclose()
        if self._owns_moodbot:
            await self.moodbot.aclose()
        stats = self.queue.stats
        logger.info(
            "discord: stopped (%d messages handled, %d failed, %d dropped full, %d stale)",
            stats.processed,
            stats.failed,
            stats.dropped_full,
            stats.dropped_stale,
        )

    # ------------------------------------------------------------------ automatic reactions

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Queues a person's message for a decision; returns at once."""
        if not self._wanted(message):
            return
        if not self.queue.offer(message, born=message.created_at.timestamp()):
            logger.debug("discord: message %s not queued (full, stale or closing)", message.id)

    def _wanted(self, message: discord.Message) -> bool:
        me = self.bot.user
        return (
            self.bot.intents.message_content
            and me is not None
            and message.author.id != me.id
            and not message.author.bot
            and message.webhook_id is None
            and message.type in _USER_MESSAGES
            and bool(message.content)
        )

    async def _handle(self, message: discord.Message) -> None:
        """One queued message: decide, remember the decision, react."""
        incoming = self._incoming(message)
        try:
            decision = await self.moodbot.adecide(incoming, self._context(), suggest=False)
        except CoreError as exc:
            logger.warning(
                "discord: no decision for message %s (%s)", message.id, type(exc).__name__
            )
            return
        self.recent.remember(PLATFORM, incoming.chat_id, incoming.message_id, decision)
        if decision.reactions:
            await self._react(message, decision)

    async def _react(self, message: discord.Message, decision: Decision) -> None:
        channel_key = str(message.channel.id)
        author_key = f"user:{message.author.id}"
        refused = self.refusals.refused(channel_key) or self.refusals.refused(author_key)
        if refused is not None:
            logger.debug("discord: message %s: refused earlier (%s)", message.id, refused)
            return
        missing = missing_permissions(self._my_permissions(message))
        if missing:
            logger.debug(
                "discord: channel %s lacks %s; not reacting", channel_key, ", ".join(missing)
            )
            return
        if self.queue.is_stale(message.created_at.timestamp()):
            self.queue.count_stale()
            return
        for reaction in decision.reactions:
            emoji = reaction_emoji(reaction, self._usable)
            if emoji is None:
                continue
            try:
                await self._bounded(message.add_reaction(emoji))
            except discord.Forbidden as exc:
                self._refused(exc, channel_key, author_key)
                return
            except discord.HTTPException as exc:
                # 404: the message is gone; 400: Discord does not know the emoji. Not retried.
                logger.info(
                    "discord: reaction on message %s failed (%s, code %s)",
                    message.id,
                    exc.status,
                    exc.code,
                )
                return
            except (discord.DiscordException, *_NETWORK_ERRORS) as exc:
                logger.warning(
                    "discord: reaction on message %s failed (%s)", message.id, type(exc).__name__
                )
                return
            logger.debug("discord: reacted to message %s in %s", message.id, channel_key)

    def _refused(self, exc: discord.Forbidden, channel_key: str, author_key: str) -> None:
        """Remembers a 403 so that it is not met again: Discord counts 403s toward IP bans."""
        if exc.code == REACTION_BLOCKED:
            # The author blocked the bot: only their messages are off limits, not the channel.
            self.refusals.refuse(author_key, f"403 code {exc.code}")
            logger.info(
                "discord: a member blocked the bot's reactions; leaving their messages alone "
                "for %.0f s",
                self.refusals.ttl_s,
            )
            return
        self.refusals.refuse(channel_key, f"403 code {exc.code}")
        logger.warning(
            "discord: channel %s refused a reaction (403, code %s); leaving it alone for %.0f s",
            channel_key,
            exc.code,
            self.refusals.ttl_s,
        )

    def _my_permissions(self, message: discord.Message) -> discord.Permissions:
        channel = message.channel
        if message.guild is not None:
            me: object = message.guild.me
        else:
            me = self.bot.user
        if me is None:
            return discord.Permissions.none()
        return channel.permissions_for(me)  # type: ignore[arg-type]

    def _usable(self, emoji_id: int) -> bool:
        emoji = self.bot.get_emoji(emoji_id)
        return emoji is not None and emoji.is_usable()

    def _incoming(self, message: discord.Message) -> IncomingMessage:
        reference = message.reference
        return IncomingMessage(
            PLATFORM,
            chat_id=_chat_id(message.channel),
            message_id=str(message.id),
            author_id=str(message.author.id),
            text=message.content,
            author_is_bot=message.author.bot or message.webhook_id is not None,
            reply_to_id=str(reference.message_id) if reference and reference.message_id else None,
            raw=message,
        )

    def _context(self) -> ChatContext:
        me = self.bot.user
        return ChatContext(self_id=str(me.id) if me is not None else None)

    # ------------------------------------------------------------------ context menu

    async def _suggest_replies(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Apps > Suggest replies: up to three replies and the moods, for the invoker only."""
        if not await self._defer(interaction):
            return
        tx = _texts(interaction)
        try:
            decision = await self.moodbot.adecide(
                self._incoming(message), self._context(), explicit=True
            )
        except CoreError as exc:
            logger.warning("discord: no suggestions for %s (%s)", message.id, type(exc).__name__)
            text = tx.text("discord.busy")
        else:
            text = texts.suggestions_text(decision, tx)
        await self._follow_up(interaction, text)

    # ------------------------------------------------------------------ slash commands

    @app_commands.command(name="mood", description=described("discord.command.mood"))
    @app_commands.describe(days=described("discord.param.mood.days"))
    async def mood(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 90] | None = None
    ) -> None:
        """``/mood``: the channel's mood counts (never any message text)."""
        span = days or self.settings.mood_days
        stats = await self._chats(
            interaction,
            self.moodbot.chats.mood_stats(PLATFORM, _chat_id(interaction.channel), span),
        )
        if stats is _FAILED:
            return
        tx = _texts(interaction)
        await self._reply(
            interaction, answers.mood_counts_text(stats.counts, days=stats.days, tx=tx)
        )

    @app_commands.command(name="why", description=described("discord.command.why"))
    @app_commands.describe(message=described("discord.param.why.message"))
    async def why(self, interaction: discord.Interaction, message: str) -> None:
        """``/why``: the remembered decision on a message, or a fresh explicit one."""
        tx = _texts(interaction)
        ref = parse_message_ref(message)
        if ref is None:
            await self._reply(interaction, tx.text("discord.bad_ref"))
            return
        if ref.guild_id is not None and ref.guild_id != interaction.guild_id:
            await self._reply(interaction, tx.text("discord.other_server"))
            return
        channel = self._channel_for(interaction, ref.channel_id)
        if channel is None or not self._can_read(channel, interaction.user):
            await self._reply(interaction, tx.text("discord.not_visible"))
            return
        if not isinstance(channel, discord.abc.Messageable):
            await self._reply(interaction, tx.text("discord.not_found"))
            return
        if not await self._defer(interaction):
            return
        remembered = self.recent.get(PLATFORM, _chat_id(channel), str(ref.message_id))
        if remembered is not None:
            text = answers.why_text(remembered, remembered=True, tx=tx)
            await self._follow_up(interaction, text)
            return
        await self._follow_up(interaction, await self._explain_now(channel, ref.message_id, tx))

    async def _explain_now(
        self, channel: discord.abc.Messageable, message_id: int, tx: Catalogue
    ) -> str:
        try:
            target = await self._bounded(channel.fetch_message(message_id))
        except discord.NotFound:
            return tx.text("discord.not_found")
        except (discord.HTTPException, *_NETWORK_ERRORS) as exc:
            logger.info("discord: cannot fetch message %s (%s)", message_id, _failure(exc))
            return tx.text("discord.not_found")
        if not target.content and not self.bot.intents.message_content:
            return tx.text("discord.no_text")
        try:
            decision = await self.moodbot.adecide(
                self._incoming(target), self._context(), explicit=True
            )
        except CoreError:
            return tx.text("discord.busy")
        return answers.why_text(decision, remembered=False, tx=tx)

    @app_commands.command(name="optout", description=described("discord.command.optout"))
    @app_commands.describe(scope=described("discord.param.optout.scope"))
    async def optout(
        self, interaction: discord.Interaction, scope: Literal["me", "channel"] = "me"
    ) -> None:
        """``/optout``: the user (or, for managers, the channel) opts out."""
        await self._set_opt_out(interaction, scope, True)

    @app_commands.command(name="optin", description=described("discord.command.optin"))
    @app_commands.describe(scope=described("discord.param.optin.scope"))
    async def optin(
        self, interaction: discord.Interaction, scope: Literal["me", "channel"] = "me"
    ) -> None:
        """``/optin``: undoes ``/optout``."""
        await self._set_opt_out(interaction, scope, False)

    async def _set_opt_out(
        self, interaction: discord.Interaction, scope: Literal["me", "channel"], out: bool
    ) -> None:
        kind: Literal["user", "chat"]
        if scope == "channel":
            if not await self._manager_only(interaction):
                return
            subject, kind = _chat_id(interaction.channel), "chat"
            done = "common.opt_out_chat" if out else "discord.channel_back"
        else:
            subject, kind = str(interaction.user.id), "user"
            done = "common.opt_out_user" if out else "common.opt_in"
        chats = self.moodbot.chats
        change = chats.opt_out if out else chats.opt_in
        if await self._chats(interaction, change(PLATFORM, kind, subject)) is _FAILED:
            return
        await self._reply(interaction, _texts(interaction).text(done))

    @app_commands.command(name="forgetme", description=described("discord.command.forgetme"))
    async def forgetme(self, interaction: discord.Interaction) -> None:
        """``/forgetme``: deletes the user's stored data (their opt-out)."""
        report = await self._chats(
            interaction, self.moodbot.chats.forget_user(PLATFORM, str(interaction.user.id))
        )
        if report is _FAILED:
            return
        tx = _texts(interaction)
        await self._reply(interaction, answers.forget_text(report, user=True, tx=tx))

    # ------------------------------------------------------------------ /moodmoji (managers)

    @settings_group.command(name="show", description=described("discord.command.moodmoji.show"))
    async def show_settings(self, interaction: discord.Interaction) -> None:
        """``/moodmoji show``: the effective settings and which ones the channel changed."""
        if not await self._manager_only(interaction):
            return
        view = await self._chats(
            interaction, self.moodbot.chats.view(PLATFORM, _chat_id(interaction.channel))
        )
        if view is _FAILED:
            return
        shown = texts.settings_text(view.effective.as_dict(), view.overrides, _texts(interaction))
        await self._reply(interaction, shown)

    @settings_group.command(name="mode", description=described("discord.command.moodmoji.mode"))
    @app_commands.describe(mode=described("discord.param.moodmoji.mode.mode"))
    async def set_mode(
        self,
        interaction: discord.Interaction,
        mode: Literal["react", "suggest", "both", "off"],
    ) -> None:
        """``/moodmoji mode``: react, suggest, both or off."""
        await self._update(interaction, mode=mode)

    @settings_group.command(
        name="threshold", description=described("discord.command.moodmoji.threshold")
    )
    @app_commands.describe(
        kind=described("discord.param.moodmoji.threshold.kind"),
        value=described("discord.param.moodmoji.threshold.value"),
    )
    async def set_threshold(
        self,
        interaction: discord.Interaction,
        kind: Literal["reaction", "suggestion"],
        value: app_commands.Range[float, 0.0, 1.0],
    ) -> None:
        """``/moodmoji threshold``: the reaction or suggestion threshold of the channel."""
        await self._update(interaction, **{f"{kind}_threshold": value})

    @settings_group.command(name="emoji", description=described("discord.command.moodmoji.emoji"))
    @app_commands.describe(
        key=described("discord.param.moodmoji.emoji.key"),
        emoji=described("discord.param.moodmoji.emoji.emoji"),
    )
    async def set_emoji(
        self, interaction: discord.Interaction, key: str, emoji: str | None = None
    ) -> None:
        """``/moodmoji emoji``: maps a mood or emoji to a custom emoji of this server."""
        if not await self._manager_only(interaction):
            return
        guild = interaction.guild
        if emoji is not None:
            partial = discord.PartialEmoji.from_str(emoji.strip())
            own = guild is not None and any(e.id == partial.id for e in guild.emojis)
            if partial.id is None or not own:
                await self._reply(
                    interaction, _texts(interaction).text("discord.pick_custom_emoji")
                )
                return
            emoji = str(partial)
        chat = _chat_id(interaction.channel)
        overrides = await self._chats(
            interaction,
            self.moodbot.chats.set_custom_emoji(PLATFORM, chat, key, emoji),
            changes=True,
        )
        if overrides is _FAILED:
            return
        await self._changed(interaction, chat, {"custom_emoji": overrides.get("custom_emoji")})

    @settings_group.command(name="reset", description=described("discord.command.moodmoji.reset"))
    async def reset_settings(self, interaction: discord.Interaction) -> None:
        """``/moodmoji reset``: drops the channel's own settings."""
        if not await self._manager_only(interaction):
            return
        reset = self.moodbot.chats.reset(PLATFORM, _chat_id(interaction.channel))
        if await self._chats(interaction, reset) is _FAILED:
            return
        await self._reply(interaction, _texts(interaction).text("discord.reset_done"))

    @settings_group.command(name="forget", description=described("discord.command.moodmoji.forget"))
    async def forget_channel(self, interaction: discord.Interaction) -> None:
        """``/moodmoji forget``: deletes the channel's settings, opt-out and mood counts."""
        if not await self._manager_only(interaction):
            return
        chat = _chat_id(interaction.channel)
        report = await self._chats(interaction, self.moodbot.chats.forget_chat(PLATFORM, chat))
        if report is _FAILED:
            return
        self.recent.forget_chat(PLATFORM, chat)
        tx = _texts(interaction)
        await self._reply(interaction, answers.forget_text(report, user=False, tx=tx))

    async def _update(self, interaction: discord.Interaction, **changes: object) -> None:
        """Stores a channel's setting changes after the manager check and the core's own."""
        if not await self._manager_only(interaction):
            return
        chat = _chat_id(interaction.channel)
        update = self.moodbot.chats.update(PLATFORM, chat, **changes)
        if await self._chats(interaction, update, changes=True) is _FAILED:
            return
        await self._changed(interaction, chat, changes)

    async def _changed(
        self, interaction: discord.Interaction, chat: str, changes: Mapping[str, object]
    ) -> None:
        logger.info("discord: channel %s changed %s", chat, ", ".join(changes))
        tx = _texts(interaction)
        shown = ", ".join(f"{k} = {_show(v, tx)}" for k, v in changes.items())
        await self._reply(interaction, tx.text("discord.changed", changes=shown))

    # ------------------------------------------------------------------ helpers

    async def _manager_only(self, interaction: discord.Interaction) -> bool:
        """Whether the invoker may change settings; answers (ephemerally) when not.

        The command's ``default_permissions`` hide it from other members, but a server can
        override that in its Integrations settings, so the permission is checked again here.
        """
        if interaction.guild is None:
            await self._reply(interaction, _texts(interaction).text("discord.server_only"))
            return False
        if not interaction.permissions.manage_guild:
            logger.info("discord: refused a settings command to a member without Manage Server")
            await self._reply(interaction, _texts(interaction).text("discord.need_manage"))
            return False
        return True

    async def _chats(
        self, interaction: discord.Interaction, operation: Awaitable[T], *, changes: bool = False
    ) -> T | Literal[_Failed.FAILED]:
        """Awaits one chat operation of the core; on failure, answers and returns ``_FAILED``.

        Args:
            interaction: The command, answered (ephemerally) when the operation fails.
            operation: A :class:`~bot.chats.Chats` call, not yet awaited.
            changes: The operation changes settings: an invalid change (``ValueError``) is
                answered as "Not changed"; otherwise a ``ValueError`` is a bug and propagates.
        """
        tx = _texts(interaction)
        try:
            return await operation
        except NoStoreError:
            text = tx.text("discord.no_store")
        except ChatsUnavailable:
            logger.warning("discord: settings store error in /%s", _command_name(interaction))
            text = tx.text("discord.store_failed")
        except ValueError as exc:
            if not changes:
                raise
            text = tx.text("discord.not_changed", reason=exc)  # the core's reason, in English
        await self._reply(interaction, text)
        return _FAILED

    def _channel_for(
        self, interaction: discord.Interaction, channel_id: int | None
    ) -> discord.abc.GuildChannel | discord.Thread | None:
        guild = interaction.guild
        if guild is None:
            return None
        wanted = channel_id if channel_id is not None else interaction.channel_id
        if wanted is None:
            return None
        return guild.get_channel_or_thread(wanted)

    @staticmethod
    def _can_read(
        channel: discord.abc.GuildChannel | discord.Thread, user: discord.User | discord.Member
    ) -> bool:
        if not isinstance(user, discord.Member):
            return False
        permissions = channel.permissions_for(user)
        return permissions.view_channel and permissions.read_message_history

    async def _bounded(self, call: Awaitable[T]) -> T:
        """Waits for one call to Discord for at most ``request_timeout_s`` (``TimeoutError``)."""
        async with asyncio.timeout(self.settings.request_timeout_s):
            return await call

    async def _defer(self, interaction: discord.Interaction) -> bool:
        """Acknowledges within Discord's 3 s, ephemerally ("thinking")."""
        try:
            await self._bounded(interaction.response.defer(ephemeral=True, thinking=True))
        except (discord.HTTPException, *_NETWORK_ERRORS) as exc:
            logger.warning("discord: could not acknowledge an interaction (%s)", _failure(exc))
            return False
        return True

    async def _follow_up(self, interaction: discord.Interaction, text: str) -> None:
        try:
            await self._bounded(
                interaction.followup.send(
                    texts.clip(text), ephemeral=True, allowed_mentions=_NO_MENTIONS
                )
            )
        except (discord.HTTPException, *_NETWORK_ERRORS) as exc:
            logger.warning("discord: follow-up failed (%s)", _failure(exc))

    async def _reply(self, interaction: discord.Interaction, text: str) -> None:
        try:
            if interaction.response.is_done():
                await self._bounded(
                    interaction.followup.send(
                        texts.clip(text), ephemeral=True, allowed_mentions=_NO_MENTIONS
                    )
                )
            else:
                await self._bounded(
                    interaction.response.send_message(
                        texts.clip(text), ephemeral=True, allowed_mentions=_NO_MENTIONS
                    )
                )
        except (discord.HTTPException, *_NETWORK_ERRORS) as exc:
            logger.warning("discord: answer failed (%s)", _failure(exc))


def _failure(exc: BaseException) -> str:
    """A failed call for the logs: Discord's status and error code, or the error's type."""
    if isinstance(exc, discord.HTTPException):
        return f"{exc.status}, code {exc.code}"
    return type(exc).__name__


def _command_name(interaction: discord.Interaction) -> str:
    command = interaction.command
    return command.qualified_name if command is not None else "?"


def _texts(interaction: discord.Interaction) -> Catalogue:
    """The catalogue of the user's Discord client language (``interaction.locale``)."""
    return texts.texts_for_locale(interaction.locale)


def _show(value: object, tx: Catalogue) -> str:
    if value is None:
        return tx.text("discord.default")
    if isinstance(value, dict):
        return ", ".join(f"{k} -> {v}" for k, v in value.items()) or tx.text("common.none")
    return str(value)
