"""The fake Discord: REST under ``/api/v10`` plus the gateway, for one bot in its servers.

REST checks each request as Discord documents it: ``Authorization: Bot <token>`` (401
otherwise); reactions ``PUT /channels/{c}/messages/{m}/reactions/{emoji}/@me`` with the emoji
percent-encoded (Unicode, checked against the emoji list) or as ``name:id`` (a custom emoji of
the server), an existing channel and message, and the bot's permissions computed from roles and
overwrites (:func:`~tests.adapters.discord.fake_discord.world.channel_permissions`);
interaction callbacks within 3 s and only once; webhook follow-ups only after an
acknowledgement; command sync with Discord's naming rules. Errors carry Discord's JSON codes
(10003, 10008, 10014, 10015, 10062, 40060, 50001, 50013, 50035, 90001).

Tests drive it (:meth:`FakeDiscord.post`, :meth:`FakeDiscord.use_slash_command` ...), inject
trouble (:meth:`FakeDiscord.rate_limit`: 429 with ``retry_after``; :meth:`FakeDiscord.revoke`:
a permission change the gateway does not announce, so the next request meets a real 403;
:meth:`FakeDiscord.drop`: the server closes the gateway socket; REST faults:
:meth:`FakeDiscord.fail` answers 5xx, :meth:`FakeDiscord.stall` holds a request unanswered,
:meth:`FakeDiscord.hang_up` closes its connection without a (whole) answer) and read what it
received (:attr:`FakeDiscord.requests`, :meth:`FakeDiscord.received`).

Sharding: :meth:`FakeDiscord.add_guild` adds servers (``shard=(id, count)`` picks an id that
Discord's formula puts on that shard); the gateway routes each server's events to its shard's
sessions (see :mod:`.gateway`), and ``GET /gateway/bot`` answers the recommended shard count
(one per ``guilds_per_shard`` servers) and the ``session_start_limit``. Several processes can
share one fake: :meth:`FakeDiscord.base_url_for` gives each its own REST base, and
:attr:`Request.client` says which one sent a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.adapters.discord.fake_discord.gateway import Connection, Gateway, Session
from tests.adapters.discord.fake_discord.rules import (
    ALLOWED_RESPONSE_FLAGS,
    EPHEMERAL,
    DiscordError,
    check_command,
    check_content,
    check_option,
    emoji_key,
)
from tests.adapters.discord.fake_discord.world import (
    ADD_REACTIONS,
    GUILD_MESSAGES,
    GUILDS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    USE_APPLICATION_COMMANDS,
    VIEW_CHANNEL,
    Channel,
    Guild,
    GuildEmoji,
    Member,
    Message,
    Overwrite,
    Role,
    Snowflakes,
    User,
    channel_permissions,
    guild_payload,
    message_payload,
    shard_of,
)

API = "/api/v10"
INTERACTION_DEADLINE_S = 3.0

#: REST network faults (:attr:`Request.fault`): no answer for a while, then the connection is
#: closed; the connection closed without an answer; closed halfway through an answer.
STALL, DROP, CUT = "stall", "drop", "cut"

#: What @everyone may do in a server made by :meth:`FakeDiscord.add_guild`.
MEMBER_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | ADD_REACTIONS | USE_APPLICATION_COMMANDS
)

#: Route patterns for fault injection (decoded paths, without the /api/v10 prefix).
REACTION_ROUTE = r"/channels/{channel}/messages/[0-9]+/reactions/.+/@me"
MESSAGE_ROUTE = r"/channels/{channel}/messages/[0-9]+"
CALLBACK_ROUTE = r"/interactions/[0-9]+/[^/]+/callback"
FOLLOWUP_ROUTE = r"/webhooks/[0-9]+/[^/]+"

_PHRASES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
#: What Cloudflare in front of Discord answers with for a 5xx (not Discord's JSON).
_EDGE_PAGE = (
    "<html><head><title>{code} {phrase}</title></head><body><center><h1>{code} {phrase}</h1>"
    "</center><hr><center>cloudflare</center></body></html>"
)


@dataclass(frozen=True)
class Request:
    """One REST request as the fake received it."""

    method: str
    path: str  # decoded, without the /api/v10 prefix
    raw_path: str  # as sent on the wire
    query: dict[str, str]
    body: Any
    at: float  # time.monotonic()
    status: int = 0
    answer: Any = None
    fault: str | None = None  # STALL, DROP or CUT: no (whole) answer was sent
    client: str | None = None  # the label of the base URL it came through (base_url_for)


@dataclass
class RateLimit:
    method: str
    pattern: re.Pattern[str]
    retry_after: float
    times: int
    blocked_until: float = 0.0


@dataclass
class Fault:
    """An injected REST fault for the next ``times`` matching requests."""

    method: str
    pattern: re.Pattern[str]
    times: int
    status: int = 0  # a 5xx answer, unless ``network`` is set
    html: bool = False
    network: str | None = None  # STALL, DROP or CUT
    stall_s: float = 0.0


@dataclass
class Interaction:
    id: int
    token: str
    created: float
    payload: dict[str, Any]
    response: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)


class FakeDiscord:
    """Discord's REST API and gateway for one bot in its servers.

    Args:
        token: The bot token it accepts.
        allow_message_content: Whether the application may ask for MESSAGE_CONTENT (else the
            gateway closes with 4014, as Discord does for a disallowed intent).
        max_concurrency: IDENTIFYs allowed per 5 seconds (``session_start_limit``).
        guilds_per_shard: Most servers one gateway session may hold (Discord: 2,500).
        session_starts: Session starts per day (``session_start_limit.total``).

    Attributes:
        guild: The first server, made with the fake; :attr:`guilds` holds every server.

    """

    def __init__(
        self,
        token: str,
        *,
        allow_message_content: bool = True,
        max_concurrency: int = 1,
        guilds_per_shard: int = 2500,
        session_starts: int = 1000,
    ) -> None:
        self.token = token
        self.allow_message_content = allow_message_content
        self.ids = Snowflakes()
        self.app_id = self.ids()
        self.bot_user = User(self.ids(), "moodmoji", bot=True)
        self.owner = User(self.ids(), "owner")
        self.guild = Guild(self.ids(), "Test server", self.owner.id)
        self.guilds: list[Guild] = [self.guild]
        self.messages: dict[tuple[int, int], Message] = {}
        self.reactions: dict[tuple[int, int], dict[str, set[int]]] = {}
        self.requests: list[Request] = []
        self.rate_limits: list[RateLimit] = []
        self.faults: list[Fault] = []
        self.early_retries: list[Request] = []
        self.interactions: dict[int, Interaction] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.blocked_by: set[int] = set()  # users who blocked the bot
        self.gateway = Gateway(
            token,
            allow_message_content=allow_message_content,
            on_identify=self._ready,
            guild_ids=lambda: [g.id for g in self.guilds],
            max_concurrency=max_concurrency,
            guilds_per_shard=guilds_per_shard,
            session_starts=session_starts,
        )
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any], bool]] = []
        self._add_routes()

    # -------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/resume", self.gateway.handle)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        app.router.add_route("*", "/as/{label:[a-z0-9-]+}" + API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        self._closing.set()
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    def base_url_for(self, label: str) -> str:
        """A REST base for one client of several: its requests carry ``client == label``."""
        return f"http://127.0.0.1:{self.port}/as/{label}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume"

    # -------------------------------------------------------------- the gateway, for tests

    @property
    def session(self) -> Session | None:
        """The most recently identified gateway session."""
        return self.gateway.session

    @property
    def connections(self) -> list[Connection]:
        return self.gateway.connections

    @property
    def heartbeats(self) -> int:
        return self.gateway.heartbeats

    def received(self, op: int) -> list[dict[str, Any]]:
        """Gateway payloads with this opcode that clients sent (tokens replaced), oldest first."""
        return self.gateway.received(op)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await self.gateway.dispatch(event, data)

    def session_of(self, shard_id: int, shard_count: int) -> Session | None:
        """The live gateway session of this shard (the most recent)."""
        return self.gateway.session_of(shard_id, shard_count)

    async def drop(
        self, code: int = 4000, *, session: Session | None = None, invalidate: bool = False
    ) -> None:
        """Closes a gateway socket (the current session's) from the server side; the client
        should RESUME, or IDENTIFY again when ``invalidate`` forgot the session."""
        await self.gateway.drop(code, session=session, invalidate=invalidate)

    def _guilds_of(self, session: Session) -> list[Guild]:
        return [g for g in self.guilds if session.routes(g.id)]

    async def _ready(self, session: Session) -> None:
        ready: dict[str, Any] = {
            "v": 10,
            "user": self.bot_user.payload() | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self._guilds_of(session)],
            "session_id": session.id,
            "resume_gateway_url": self.resume_url,
            "application": {"id": str(self.app_id), "flags": self._application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": ["rotterdam"],
            "guild_join_requests": [],
            "_trace": ["fake-gateway"],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self.gateway.dispatch("READY", ready, session)
        if session.intents & GUILDS:
            for guild in self._guilds_of(session):
                payload = guild_payload(guild, self.bot_user, session.intents)
                await self.gateway.dispatch("GUILD_CREATE", payload, session)

    @property
    def _application_flags(self) -> int:
        # GATEWAY_MESSAGE_CONTENT_LIMITED: the intent is enabled for an unverified bot.
        return (1 << 19) if self.allow_message_content else 0

    def _message_payload(self, message: Message, *, intents: int | None) -> dict[str, Any]:
        guild = self.guild_of(message.channel_id) or self.guild
        return message_payload(guild, self.bot_user, message, intents=intents)

    def guild_of(self, channel_id: int) -> Guild | None:
        """The server a channel belongs to."""
        return next((g for g in self.guilds if g.has_channel(channel_id)), None)

    # -------------------------------------------------------------- building the world

    def add_guild(
        self,
        name: str,
        *,
        shard: tuple[int, int] | None = None,
        permissions: int = MEMBER_PERMISSIONS,
    ) -> Guild:
        """Another server with the bot in it: @everyone with ``permissions``, the owner, the
        bot and a ``#general`` channel. ``shard=(id, count)``: an id Discord routes there."""
        guild_id = self.ids.on_shard(*shard) if shard is not None else self.ids()
        guild = Guild(guild_id, name, self.owner.id)
        assert shard is None or shard_of(guild.id, shard[1]) == shard[0]
        self.guilds.append(guild)
        self.everyone(permissions, guild=guild)
        self.add_member(self.bot_user, guild=guild)
        self.add_member(self.owner, guild=guild)
        self.add_channel("general", guild=guild)
        return guild

    def add_role(
        self,
        name: str,
        permissions: int,
        *,
        managed_by: int | None = None,
        guild: Guild | None = None,
    ) -> Role:
        guild = guild or self.guild
        role = Role(self.ids(), name, permissions, len(guild.roles), managed_by)
        guild.roles.append(role)
        return role

    def add_channel(
        self, name: str, overwrites: Iterable[Overwrite] = (), *, guild: Guild | None = None
    ) -> Channel:
        guild = guild or self.guild
        channel = Channel(self.ids(), name, len(guild.channels), list(overwrites))
        guild.channels.append(channel)
        return channel

    def add_member(
        self, user: User, roles: Iterable[Role] = (), *, guild: Guild | None = None
    ) -> Member:
        member = Member(user, [r.id for r in roles])
        (guild or self.guild).members.append(member)
        return member

    def add_user(
        self,
        name: str,
        *,
        bot: bool = False,
        roles: Iterable[Role] = (),
        guild: Guild | None = None,
    ) -> User:
        user = User(self.ids(), name, bot=bot)
        self.add_member(user, roles, guild=guild)
        return user

    def add_emoji(self, name: str, *, guild: Guild | None = None) -> GuildEmoji:
        custom = GuildEmoji(self.ids(), name)
        (guild or self.guild).emojis.append(custom)
        return custom

    def everyone(self, permissions: int, *, guild: Guild | None = None) -> Role:
        guild = guild or self.guild
        role = Role(guild.id, "@everyone", permissions, 0)
        guild.roles.insert(0, role)
        return role

    def revoke(
        self, channel: Channel, role_or_member_id: int, permission: int, *, type: int
    ) -> None:
        """Changes a channel's overwrites without telling the gateway (the client's cache goes
        stale, so the bot's own permission check passes and the server answers 403)."""
        for overwrite in channel.overwrites:
            if overwrite.id == role_or_member_id and overwrite.type == type:
                overwrite.deny |= permission
                overwrite.allow &= ~permission
                return
        channel.overwrites.append(Overwrite(role_or_member_id, type, 0, permission))

    def rate_limit(
        self, method: str, path_pattern: str, retry_after: float, times: int = 1
    ) -> None:
        """The next ``times`` matching requests get 429 with ``retry_after`` seconds."""
        self.rate_limits.append(RateLimit(method, re.compile(path_pattern), retry_after, times))

    def fail(
        self, method: str, path_pattern: str, status: int, *, times: int = 1, html: bool = False
    ) -> None:
        """The next ``times`` matching requests get ``status`` (a 5xx) with Discord's JSON
        error, or with ``html`` the HTML page of the edge proxy in front of Discord."""
        self.faults.append(Fault(method, re.compile(path_pattern), times, status, html))

    def stall(self, method: str, path_pattern: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` matching requests get no answer for ``seconds``; then their
        connections are closed. The route does not run."""
        self.faults.append(
            Fault(method, re.compile(path_pattern), times, network=STALL, stall_s=seconds)
        )

    def hang_up(
        self, method: str, path_pattern: str, *, times: int = 1, midway: bool = False
    ) -> None:
        """The next ``times`` matching requests have their connection closed without an
        answer (``midway``: after the status line, headers and part of the body)."""
        network = CUT if midway else DROP
        self.faults.append(Fault(method, re.compile(path_pattern), times, network=network))

    # -------------------------------------------------------------- what tests look at

    def requests_to(self, method: str, pattern: str) -> list[Request]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.fullmatch(r.path)]

    def reaction_puts(self, channel_id: int | None = None) -> list[Request]:
        where = str(channel_id) if channel_id is not None else "[0-9]+"
        return self.requests_to("PUT", rf"/channels/{where}/messages/[0-9]+/reactions/.+/@me")

    def reactions_on(self, message: Message) -> dict[str, set[int]]:
        return self.reactions.get((message.channel_id, message.id), {})

    def unexpected(self) -> list[Request]:
        """Requests to routes this fake (and this adapter) have no business with."""
        return [
            r
            for r in self.requests
            if r.status == 404 and r.answer == {"message": "404: Not Found", "code": 0}
        ]

    async def wait_for(self, condition: Callable[[], object], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the fake Discord server")
            await asyncio.sleep(0.02)

    # -------------------------------------------------------------- people doing things

    async def post(
        self, author: User, channel: Channel, content: str, *, webhook: bool = False
    ) -> Message:
        """Someone writes in a channel: the message is stored and MESSAGE_CREATE dispatched."""
        message = Message(self.ids(), channel.id, author, content, self.ids() if webhook else None)
        if webhook:
            message.author = User(message.webhook_id or 0, "Captain Hook")
        self.messages[(channel.id, message.id)] = message
        guild = self._guild_of_channel(channel)

        def payload(session: Session) -> dict[str, Any] | None:
            if not session.intents & GUILD_MESSAGES:
                return None
            return self._message_payload(message, intents=session.intents)

        await self.gateway.dispatch_guild(guild.id, "MESSAGE_CREATE", payload)
        return message

    def _guild_of_channel(self, channel: Channel) -> Guild:
        guild = self.guild_of(channel.id)
        assert guild is not None, f"#{channel.name} is in no server of this fake"
        return guild

    def store_message(self, author: User, channel: Channel, content: str) -> Message:
        """A message that exists on the server but was never delivered (sent before start)."""
        message = Message(self.ids(), channel.id, author, content)
        self.messages[(channel.id, message.id)] = message
        return message

    async def use_message_command(
        self, user: User, channel: Channel, name: str, target: Message, *, locale: str = "en-GB"
    ) -> Interaction:
        """A member picks Apps > ``name`` on a message (the command must be registered).

        ``locale``: the language of the member's Discord client (``interaction.locale``).
        """
        command, guild_id = self._registered(name, 3, self._guild_of_channel(channel))
        data = {
            "id": command["id"],
            "name": name,
            "type": 3,
            "target_id": str(target.id),
            # The target's content is included whatever the intents (Discord's rule for apps).
            "resolved": {"messages": {str(target.id): self._message_payload(target, intents=None)}},
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return await self._interact(user, channel, command, data, locale)

    async def use_slash_command(
        self,
        user: User,
        channel: Channel,
        path: str,
        values: dict[str, Any] | None = None,
        *,
        server_override: bool = False,
        locale: str = "en-GB",
    ) -> Interaction:
        """A member runs ``/path`` (``"moodmoji mode"``) with option values.

        The options are typed from the registered command, as Discord's client does: unknown
        options, missing required ones, values outside choices or ranges are refused here. A
        command whose ``default_member_permissions`` the member lacks cannot be run unless
        ``server_override`` (a server admin allowed it in Integrations settings). ``locale``
        is the language of the member's Discord client (``interaction.locale``).
        """
        names = path.split()
        guild = self._guild_of_channel(channel)
        command, guild_id = self._registered(names[0], 1, guild)
        schema: dict[str, Any] = command
        options_out: list[dict[str, Any]] = []
        target = options_out
        for name in names[1:]:
            schema = next(
                o for o in schema.get("options", []) if o["name"] == name and o["type"] in (1, 2)
            )
            child: dict[str, Any] = {"name": name, "type": schema["type"], "options": []}
            target.append(child)
            target = child["options"]
        for name, value in (values or {}).items():
            option = next((o for o in schema.get("options", []) if o["name"] == name), None)
            assert option is not None, f"/{path} has no option {name!r}"
            check_option(option, value)
            target.append({"name": name, "type": option["type"], "value": value})
        for option in schema.get("options", []):
            if option.get("required") and option["name"] not in (values or {}):
                raise AssertionError(f"/{path} needs {option['name']!r}")
        needed = command.get("default_member_permissions")
        member = guild.member(user.id)
        assert member is not None
        if needed is not None and not server_override:
            have = channel_permissions(guild, member, channel)
            assert have & int(needed) == int(needed), (
                f"Discord would not offer /{path} to {user.username}"
            )
        data: dict[str, Any] = {
            "id": command["id"],
            "name": names[0],
            "type": 1,
            "options": options_out,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return await self._interact(user, channel, command, data, locale)

    def _registered(self, name: str, type_: int, guild: Guild) -> tuple[dict[str, Any], int | None]:
        for command in self.guild_commands.get(guild.id, []):
            if command["name"] == name and command.get("type", 1) == type_:
                return command, guild.id
        for command in self.global_commands:
            if command["name"] == name and command.get("type", 1) == type_:
                return command, None
        raise AssertionError(f"no registered command {name!r} of type {type_}: sync first")

    async def _interact(
        self,
        user: User,
        channel: Channel,
        command: dict[str, Any],
        data: dict[str, Any],
        locale: str = "en-GB",
    ) -> Interaction:
        guild = self._guild_of_channel(channel)
        member = guild.member(user.id)
        bot = guild.member(self.bot_user.id)
        assert member is not None and bot is not None
        interaction = Interaction(self.ids(), secrets.token_urlsafe(48), time.monotonic(), {})
        interaction.payload = {
            "id": str(interaction.id),
            "application_id": str(self.app_id),
            "type": 2,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": channel.payload(guild.id)
            | {"permissions": str(channel_permissions(guild, member, channel))},
            "member": member.payload()
            | {"permissions": str(channel_permissions(guild, member, channel))},
            "token": interaction.token,
            "version": 1,
            "app_permissions": str(channel_permissions(guild, bot, channel)),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10_485_760,
        }
        self.interactions[interaction.id] = interaction
        sent = await self.gateway.dispatch_guild(
            guild.id, "INTERACTION_CREATE", lambda _: interaction.payload
        )
        assert sent, "no gateway session receives this server's events"
        return interaction

    # -------------------------------------------------------------- REST

    def _add_routes(self) -> None:
        def route(
            method: str, pattern: str, handler: Callable[..., Any], *, auth: bool = True
        ) -> None:
            self._routes.append((method, re.compile(pattern), handler, auth))

        route("GET", r"/users/@me", self._get_me)
        route("GET", r"/oauth2/applications/@me", self._get_application)
        route("GET", r"/gateway/bot", self._get_gateway_bot)
        route("GET", r"/gateway", self._get_gateway, auth=False)
        route(
            "PUT",
            r"/channels/(?P<c>[0-9]+)/messages/(?P<m>[0-9]+)/reactions/(?P<e>[^/]+)/@me",
            self._put_reaction,
        )
        route("GET", r"/channels/(?P<c>[0-9]+)/messages/(?P<m>[0-9]+)", self._get_message)
        route("PUT", r"/applications/(?P<a>[0-9]+)/commands", self._put_commands)
        route(
            "PUT", r"/applications/(?P<a>[0-9]+)/guilds/(?P<g>[0-9]+)/commands", self._put_commands
        )
        route(
            "POST", r"/interactions/(?P<i>[0-9]+)/(?P<t>[^/]+)/callback", self._callback, auth=False
        )
        route("POST", r"/webhooks/(?P<a>[0-9]+)/(?P<t>[^/]+)", self._followup, auth=False)

    async def _rest(self, request: web.Request) -> web.Response:
        label = request.match_info.get("label")
        prefix = f"/as/{label}{API}" if label else API
        raw = request.rel_url.raw_path[len(prefix) :]
        segments = raw.split("/")
        try:
            if not raw.isascii():
                raise DiscordError(400, 50035, "Invalid Form Body (path is not percent-encoded)")
            path = "/".join(unquote(s, errors="strict") for s in segments)
        except (UnicodeDecodeError, DiscordError):
            return self._record(
                request, raw, raw, None, 400, {"message": "Invalid Form Body", "code": 50035}
            )
        body: Any = None
        if request.can_read_body:
            text = await request.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                return self._record(
                    request, path, raw, text, 400, {"message": "400: Bad Request", "code": 0}
                )
        for method, pattern, handler, auth in self._routes:
            match = pattern.fullmatch(path) if method == request.method else None
            if match is None:
                continue
            if auth and request.headers.get("Authorization") != f"Bot {self.token}":
                return self._record(
                    request, path, raw, body, 401, {"message": "401: Unauthorized", "code": 0}
                )
            fault = self._fault(request.method, path)
            if fault is not None:
                return await self._misbehave(request, path, raw, body, fault)
            limited = self._rate_limited(request.method, path)
            if limited is not None:
                return self._record(request, path, raw, body, 429, limited[0], headers=limited[1])
            try:
                status, answer = await handler(
                    request, body, **{k: v for k, v in match.groupdict().items()}
                )
            except DiscordError as err:
                return self._record(
                    request, path, raw, body, err.status, {"message": err.message, "code": err.code}
                )
            return self._record(request, path, raw, body, status, answer)
        return self._record(request, path, raw, body, 404, {"message": "404: Not Found", "code": 0})

    def _record(
        self,
        request: web.Request,
        path: str,
        raw: str,
        body: Any,
        status: int,
        answer: Any,
        *,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self.requests.append(
            Request(
                request.method,
                path,
                raw,
                dict(request.query),
                body,
                time.monotonic(),
                status,
                answer,
                client=request.match_info.get("label"),
            )
        )
        if status == 204:
            return web.Response(status=204, headers=headers)
        # Exactly "application/json", as Discord sends it (discord.py compares the header).
        out = {"Content-Type": "application/json"} | (headers or {})
        return web.Response(status=status, body=json.dumps(answer).encode(), headers=out)

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.pattern.fullmatch(path):
                fault.times -= 1
                return fault
        return None

    async def _misbehave(
        self, request: web.Request, path: str, raw: str, body: Any, fault: Fault
    ) -> web.Response:
        """An injected fault: a 5xx answer, or a network fault (the route never runs)."""
        if fault.network is None:
            phrase = _PHRASES.get(fault.status, "Server Error")
            if not fault.html:
                answer = {"message": f"{fault.status}: {phrase}", "code": 0}
                return self._record(request, path, raw, body, fault.status, answer)
            page = _EDGE_PAGE.format(code=fault.status, phrase=phrase)
            self.requests.append(
                Request(
                    request.method,
                    path,
                    raw,
                    dict(request.query),
                    body,
                    time.monotonic(),
                    fault.status,
                    page,
                    client=request.match_info.get("label"),
                )
            )
            return web.Response(status=fault.status, text=page, content_type="text/html")
        self.requests.append(
            Request(
                request.method,
                path,
                raw,
                dict(request.query),
                body,
                time.monotonic(),
                fault=fault.network,
                client=request.match_info.get("label"),
            )
        )
        if fault.network == STALL:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), fault.stall_s)
        transport = request.transport
        if transport is not None and not transport.is_closing():
            if fault.network == CUT:  # a status line, headers and half of the promised body
                transport.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 64\r\n\r\n{"id":'
                )
            transport.close()
        # aiohttp cannot write this to the closed connection and lets it go quietly.
        return web.Response(status=500)

    def _rate_limited(self, method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
        now = time.monotonic()
        for rule in self.rate_limits:
            if rule.method != method or not rule.pattern.fullmatch(path):
                continue
            if now < rule.blocked_until:
                self.early_retries.append(Request(method, path, path, {}, None, now))
            elif rule.times <= 0:
                return None
            else:
                rule.times -= 1
                rule.blocked_until = now + rule.retry_after
            body = {
                "message": "You are being rate limited.",
                "retry_after": rule.retry_after,
                "global": False,
            }
            headers = {
                "Retry-After": str(max(1, round(rule.retry_after))),
                "X-RateLimit-Limit": "1",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(rule.retry_after),
                "X-RateLimit-Bucket": "fake-reactions",
                "X-RateLimit-Scope": "user",
                "Via": "1.1 google",
            }
            return body, headers
        return None

    async def _get_me(self, request: web.Request, body: Any) -> tuple[int, Any]:
        return 200, self.bot_user.payload() | {
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "locale": "en-US",
        }

    async def _get_application(self, request: web.Request, body: Any) -> tuple[int, Any]:
        return 200, {
            "id": str(self.app_id),
            "name": "moodmoji",
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self._application_flags,
            "owner": self.owner.payload(),
            "team": None,
            "bot": self.bot_user.payload(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
        }

    @property
    def recommended_shards(self) -> int:
        """``GET /gateway/bot``'s ``shards``: one per ``guilds_per_shard`` servers."""
        return max(1, math.ceil(len(self.guilds) / self.gateway.guilds_per_shard))

    async def _get_gateway_bot(self, request: web.Request, body: Any) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": self.recommended_shards,
            "session_start_limit": self.gateway.session_start_limit(),
        }

    async def _get_gateway(self, request: web.Request, body: Any) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    def _bot_permissions(self, guild: Guild, channel: Channel) -> int:
        member = guild.member(self.bot_user.id)
        assert member is not None
        return channel_permissions(guild, member, channel)

    def _channel(self, channel_id: str) -> tuple[Guild, Channel]:
        guild = self.guild_of(int(channel_id))
        channel = guild.channel(int(channel_id)) if guild is not None else None
        if guild is None or channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return guild, channel

    async def _put_reaction(
        self, request: web.Request, body: Any, c: str, m: str, e: str
    ) -> tuple[int, Any]:
        guild, channel = self._channel(c)
        permissions = self._bot_permissions(guild, channel)
        if not permissions & VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        message = self.messages.get((channel.id, int(m)))
        if message is None:
            raise DiscordError(404, 10008, "Unknown Message")
        key = emoji_key(guild, e)
        if not permissions & READ_MESSAGE_HISTORY:
            raise DiscordError(403, 50013, "Missing Permissions")
        on_message = self.reactions.setdefault((channel.id, message.id), {})
        if not permissions & ADD_REACTIONS and not on_message.get(key):
            raise DiscordError(403, 50013, "Missing Permissions")
        if message.author.id in self.blocked_by:
            raise DiscordError(403, 90001, "Reaction blocked")
        if key not in on_message and len(on_message) >= 20:
            raise DiscordError(400, 30010, "Maximum number of reactions reached (20)")
        on_message.setdefault(key, set()).add(self.bot_user.id)
        return 204, None

    async def _get_message(
        self, request: web.Request, body: Any, c: str, m: str
    ) -> tuple[int, Any]:
        guild, channel = self._channel(c)
        permissions = self._bot_permissions(guild, channel)
        if not permissions & VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        if not permissions & READ_MESSAGE_HISTORY:
            raise DiscordError(403, 50013, "Missing Permissions")
        message = self.messages.get((channel.id, int(m)))
        if message is None:
            raise DiscordError(404, 10008, "Unknown Message")
        session = self.session
        return 200, self._message_payload(message, intents=session.intents if session else 0)

    async def _put_commands(
        self, request: web.Request, body: Any, a: str, g: str | None = None
    ) -> tuple[int, Any]:
        if int(a) != self.app_id:
            raise DiscordError(403, 50001, "Missing Access")
        if not isinstance(body, list):
            raise DiscordError(400, 50035, "Invalid Form Body")
        seen: set[tuple[str, int]] = set()
        stored = []
        for command in body:
            check_command(command)
            key = (command["name"], command.get("type", 1))
            if key in seen:
                raise DiscordError(400, 50035, "Invalid Form Body (duplicate command name)")
            seen.add(key)
            stored.append(
                command
                | {
                    "id": str(self.ids()),
                    "application_id": str(self.app_id),
                    "version": str(self.ids()),
                    "description": command.get("description", ""),
                    **({"guild_id": g} if g else {}),
                }
            )
        if g is None:
            self.global_commands = stored
        else:
            if int(g) not in {guild.id for guild in self.guilds}:
                raise DiscordError(403, 50001, "Missing Access")
            self.guild_commands[int(g)] = stored
        return 200, stored

    def _interaction(self, interaction_id: str, token: str) -> Interaction:
        interaction = self.interactions.get(int(interaction_id))
        if interaction is None or not secrets.compare_digest(interaction.token, token):
            raise DiscordError(404, 10062, "Unknown interaction")
        return interaction

    async def _callback(self, request: web.Request, body: Any, i: str, t: str) -> tuple[int, Any]:
        interaction = self._interaction(i, t)
        if time.monotonic() - interaction.created > INTERACTION_DEADLINE_S:
            raise DiscordError(404, 10062, "Unknown interaction")
        if interaction.response is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if not isinstance(body, dict) or body.get("type") not in (4, 5, 9):
            raise DiscordError(400, 50035, "Invalid Form Body (type)")
        data = body.get("data") or {}
        flags = int(data.get("flags", 0))
        if flags & ~ALLOWED_RESPONSE_FLAGS:
            raise DiscordError(400, 50035, "Invalid Form Body (flags)")
        if body["type"] == 4:
            check_content(data)
        interaction.response = body
        if request.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        message_id = self.ids()
        resource: dict[str, Any] = {"type": body["type"]}
        if body["type"] == 4:
            resource["message"] = self._response_message(message_id, interaction, data)
        return 200, {
            "interaction": {
                "id": str(interaction.id),
                "type": 2,
                "activity_instance_id": None,
                "response_message_id": str(message_id),
                "response_message_loading": body["type"] == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            },
            "resource": resource,
        }

    async def _followup(self, request: web.Request, body: Any, a: str, t: str) -> tuple[int, Any]:
        interaction = next(
            (x for x in self.interactions.values() if secrets.compare_digest(x.token, t)), None
        )
        if int(a) != self.app_id or interaction is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        if interaction.response is None:
            raise DiscordError(
                400, 40060, "Interaction has not been acknowledged"
            )  # follow-ups need an ack
        if time.monotonic() - interaction.created > 15 * 60:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        if not isinstance(body, dict):
            raise DiscordError(400, 50035, "Invalid Form Body")
        check_content(body)
        flags = int(body.get("flags", 0))
        if flags & ~ALLOWED_RESPONSE_FLAGS:
            raise DiscordError(400, 50035, "Invalid Form Body (flags)")
        interaction.followups.append(body)
        return 200, self._response_message(self.ids(), interaction, body)

    def _response_message(
        self, message_id: int, interaction: Interaction, data: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": str(message_id),
            "channel_id": interaction.payload["channel_id"],
            "guild_id": interaction.payload["guild_id"],
            "author": self.bot_user.payload(),
            "content": data.get("content", ""),
            "timestamp": datetime.datetime.now(datetime.UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 20,
            "flags": int(data.get("flags", 0)),
            "components": [],
            "application_id": str(self.app_id),
            "webhook_id": str(self.app_id),
        }
