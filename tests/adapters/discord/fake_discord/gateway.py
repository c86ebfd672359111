"""The fake's gateway: HELLO, heartbeat ACKs, IDENTIFY -> READY, RESUME with a replay, shards.

Payloads go out zlib-stream compressed when the client asks for ``compress=zlib-stream`` (one
compressor per connection, each payload flushed with ``Z_SYNC_FLUSH``, as Discord does), else
as text frames. Close codes follow Discord's table: 4001 unknown opcode, 4002 decode error,
4004 authentication failed, 4005 already authenticated, 4010 invalid shard, 4011 sharding
required, 4012 invalid API version, 4013 invalid intents, 4014 disallowed intents.

Sharding as Discord does it: IDENTIFY's ``shard: [id, count]`` (none means ``[0, 1]``) must have
``0 <= id < count`` (else 4010); a session that would hold more than ``guilds_per_shard`` servers
is closed with 4011; a server's events go to every live session with
``id == (guild_id >> 22) % count`` (direct messages to shard 0); each rate-limit key
``id % max_concurrency`` may IDENTIFY once per 5 seconds, and an IDENTIFY over that limit is
answered with opcode 9 (Invalid Session, not resumable), as Discord documents. Every IDENTIFY
that starts a session uses up one of the ``session_start_limit``'s session starts.
"""

from __future__ import annotations

import json
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.adapters.discord.fake_discord.world import MESSAGE_CONTENT, shard_of

HEARTBEAT, IDENTIFY, RESUME, HEARTBEAT_ACK, INVALID_SESSION = 1, 2, 6, 11, 9
#: Discord's identify window: one IDENTIFY per rate-limit key per this many seconds.
IDENTIFY_INTERVAL_S = 5.0


@dataclass
class Session:
    """A gateway session: its intents, sequence number and every event sent (for RESUME).

    ``shard`` is what IDENTIFY sent (``None``: not sharded, which Discord treats as shard 0 of
    1); an ``invalid`` session can no longer be resumed and gets no events.
    """

    id: str
    intents: int
    shard: list[int] | None = None
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    connection: Connection | None = None
    invalid: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def shard_key(self) -> tuple[int, int]:
        """``(shard id, shard count)``; ``(0, 1)`` when not sharded."""
        if self.shard is None:
            return (0, 1)
        return (self.shard[0], self.shard[1])

    def routes(self, guild_id: int | None) -> bool:
        """Whether Discord sends this server's events (``None``: a DM) to this session."""
        shard_id, count = self.shard_key
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, count) == shard_id


@dataclass
class Connection:
    """One websocket; ``received`` holds what the client sent (the token replaced)."""

    ws: web.WebSocketResponse
    path: str
    compress: bool
    deflate: Any = field(default_factory=zlib.compressobj)
    session: Session | None = None
    received: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, payload: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        data = json.dumps(payload)
        if self.compress:
            packed = self.deflate.compress(data.encode()) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(packed)
        else:
            await self.ws.send_str(data)


#: Called once a session is identified; dispatches READY and what follows it.
OnIdentify = Callable[[Session], Awaitable[None]]


class Gateway:
    """Sessions and connections of the fake gateway.

    Args:
        token: The bot token IDENTIFY and RESUME must carry.
        allow_message_content: Whether the application may ask for MESSAGE_CONTENT.
        on_identify: Sends READY (and GUILD_CREATE) for a new session, via :meth:`dispatch`.
        guild_ids: The bot's servers (for the 4011 check).
        max_concurrency: IDENTIFYs allowed per 5 s, one per key ``shard_id % max_concurrency``.
        guilds_per_shard: Most servers one session may hold (Discord: 2,500).
        session_starts: Session starts allowed per day (``session_start_limit.total``).

    """

    def __init__(
        self,
        token: str,
        *,
        allow_message_content: bool,
        on_identify: OnIdentify,
        guild_ids: Callable[[], Iterable[int]] = list,
        max_concurrency: int = 1,
        guilds_per_shard: int = 2500,
        session_starts: int = 1000,
    ) -> None:
        self.token = token
        self.allow_message_content = allow_message_content
        self.on_identify = on_identify
        self.guild_ids = guild_ids
        self.max_concurrency = max_concurrency
        self.guilds_per_shard = guilds_per_shard
        self.session_starts_total = session_starts
        self.session_starts_left = session_starts
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.heartbeats = 0
        self.heartbeat_interval_ms = 41_250
        #: When each rate-limit key last started a session (``time.monotonic()``).
        self.identified_at: dict[int, float] = {}
        #: IDENTIFYs answered with opcode 9 because their key's window was taken.
        self.rate_limited_identifies: list[list[int] | None] = []
        self._started = time.monotonic()

    def session_start_limit(self) -> dict[str, int]:
        """``GET /gateway/bot``'s ``session_start_limit``."""
        elapsed_ms = int((time.monotonic() - self._started) * 1000)
        return {
            "total": self.session_starts_total,
            "remaining": self.session_starts_left,
            "reset_after": max(0, 86_400_000 - elapsed_ms),
            "max_concurrency": self.max_concurrency,
        }

    def sessions_for(self, guild_id: int | None) -> list[Session]:
        """The live sessions Discord sends this server's events to (``None``: a DM)."""
        return [s for s in self.sessions.values() if not s.invalid and s.routes(guild_id)]

    def session_of(self, shard_id: int, shard_count: int) -> Session | None:
        """The most recent live session identified as this shard."""
        found = [
            s
            for s in self.sessions.values()
            if not s.invalid and s.shard_key == (shard_id, shard_count)
        ]
        return found[-1] if found else None

    @property
    def session(self) -> Session | None:
        """The most recently identified session."""
        return next(reversed(self.sessions.values()), None)

    def received(self, op: int) -> list[dict[str, Any]]:
        """Payloads with this opcode that clients sent, oldest first."""
        return [p for c in self.connections for p in c.received if p.get("op") == op]

    async def dispatch(
        self, event: str, data: dict[str, Any], session: Session | None = None
    ) -> None:
        """Sends a DISPATCH to a session (the current one), kept for RESUME when it is offline."""
        session = session or self.session
        assert session is not None, "no client has identified yet"
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.events.append(payload)
        if session.connection is not None:
            await session.connection.send(payload)

    async def dispatch_guild(
        self, guild_id: int | None, event: str, build: Callable[[Session], dict[str, Any] | None]
    ) -> int:
        """Sends an event to every session this server's events go to; ``build`` makes each
        session's payload (``None``: not for this session, say for want of an intent).

        Returns:
            How many sessions it was sent to.

        """
        sent = 0
        for session in self.sessions_for(guild_id):
            data = build(session)
            if data is not None:
                await self.dispatch(event, data, session)
                sent += 1
        return sent

    async def drop(
        self, code: int = 4000, *, session: Session | None = None, invalidate: bool = False
    ) -> None:
        """Closes a session's socket from the server side (the current session by default).

        Args:
            code: The close code (4000: resumable).
            session: Which session.
            invalidate: Forget the session too: its RESUME gets opcode 9 and the client must
                IDENTIFY again (the events in between are lost, as on Discord).

        """
        session = session or self.session
        assert session is not None and session.connection is not None
        connection, session.connection = session.connection, None
        session.invalid = session.invalid or invalidate
        await connection.ws.close(code=code, message=b"dropped by the fake")

    async def close(self) -> None:
        for connection in self.connections:
            await connection.ws.close()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket endpoint (``/gateway`` and the ``resume_gateway_url``)."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        query = request.query
        connection = Connection(ws, request.path, query.get("compress") == "zlib-stream")
        self.connections.append(connection)
        if query.get("v") != "10" or query.get("encoding") != "json":
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        hello = {"heartbeat_interval": self.heartbeat_interval_ms}
        await connection.send({"op": 10, "s": None, "t": None, "d": hello})
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                if frame.type is WSMsgType.BINARY:
                    await ws.close(code=4002, message=b"Decode error")
                break
            try:
                payload = json.loads(frame.data)
            except ValueError:
                await ws.close(code=4002, message=b"Decode error")
                break
            connection.received.append(self._without_token(payload))
            await self._on_payload(connection, payload)
        if connection.session is not None and connection.session.connection is connection:
            connection.session.connection = None
        return ws

    async def _on_payload(self, connection: Connection, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            await connection.send({"op": HEARTBEAT_ACK, "s": None, "t": None, "d": None})
        elif op == IDENTIFY and isinstance(data, dict):
            await self._identify(connection, data)
        elif op == RESUME and isinstance(data, dict):
            await self._resume(connection, data)
        elif op in (3, 4, 8):  # presence, voice state, request guild members: nothing to do
            return
        else:
            await connection.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            await connection.ws.close(code=4005, message=b"Already authenticated")
            return
        if data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await connection.ws.close(code=4013, message=b"Invalid intent(s)")
            return
        if intents & MESSAGE_CONTENT and not self.allow_message_content:
            await connection.ws.close(code=4014, message=b"Disallowed intent(s)")
            return
        shard = data.get("shard")
        if shard is not None and not _valid_shard(shard):
            await connection.ws.close(code=4010, message=b"Invalid shard")
            return
        session = Session(secrets.token_hex(16), intents, shard, connection=connection)
        shard_id, _ = session.shard_key
        held = sum(1 for guild_id in self.guild_ids() if session.routes(guild_id))
        if held > self.guilds_per_shard:
            await connection.ws.close(code=4011, message=b"Sharding required")
            return
        key = shard_id % self.max_concurrency
        now = time.monotonic()
        last = self.identified_at.get(key)
        if last is not None and now - last < IDENTIFY_INTERVAL_S:
            self.rate_limited_identifies.append(shard)
            await connection.send({"op": INVALID_SESSION, "s": None, "t": None, "d": False})
            return
        self.identified_at[key] = now
        self.session_starts_left = max(0, self.session_starts_left - 1)
        self.sessions[session.id] = session
        connection.session = session
        await self.on_identify(session)

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed")
            return
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if session is None or session.invalid or not isinstance(seq, int) or seq > session.seq:
            await connection.send({"op": INVALID_SESSION, "s": None, "t": None, "d": False})
            return
        session.connection = connection
        connection.session = session
        for event in session.events:
            if event["s"] > seq:
                await connection.send(event)
        await self.dispatch("RESUMED", {"_trace": ["fake-gateway"]}, session)

    def _without_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        data = payload.get("d")
        if isinstance(data, dict) and "token" in data:
            checked = {"token": "<token>", "token_ok": data["token"] == self.token}
            return payload | {"d": data | checked}
        return payload


def _valid_shard(shard: object) -> bool:
    """``[shard_id, shard_count]`` with ``0 <= shard_id < shard_count``."""
    if not isinstance(shard, list) or len(shard) != 2:
        return False
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in shard):
        return False
    shard_id, count = (int(n) for n in shard)
    return count >= 1 and 0 <= shard_id < count
