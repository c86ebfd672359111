"""The fake's gateway: HELLO, heartbeat ACKs, IDENTIFY -> READY, RESUME with a replay.

Payloads go out zlib-stream compressed when the client asks for ``compress=zlib-stream`` (one
compressor per connection, each payload flushed with ``Z_SYNC_FLUSH``, as Discord does), else
as text frames. Close codes follow Discord's table: 4001 unknown opcode, 4002 decode error,
4004 authentication failed, 4005 already authenticated, 4010 invalid shard, 4012 invalid API
version, 4013 invalid intents, 4014 disallowed intents.
"""

from __future__ import annotations

import json
import secrets
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.adapters.discord.fake_discord.world import MESSAGE_CONTENT

HEARTBEAT, IDENTIFY, RESUME, HEARTBEAT_ACK, INVALID_SESSION = 1, 2, 6, 11, 9


@dataclass
class Session:
    """A gateway session: its intents, sequence number and every event sent (for RESUME)."""

    id: str
    intents: int
    shard: list[int] | None = None
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    connection: Connection | None = None


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

    """

    def __init__(self, token: str, *, allow_message_content: bool, on_identify: OnIdentify) -> None:
        self.token = token
        self.allow_message_content = allow_message_content
        self.on_identify = on_identify
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.heartbeats = 0
        self.heartbeat_interval_ms = 41_250

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

    async def drop(self, code: int = 4000) -> None:
        """Closes the current session's socket from the server side (a resumable close code)."""
        session = self.session
        assert session is not None and session.connection is not None
        connection, session.connection = session.connection, None
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
        if shard is not None and shard != [0, 1]:  # the fake answers /gateway/bot with 1 shard
            await connection.ws.close(code=4010, message=b"Invalid shard")
            return
        session = Session(secrets.token_hex(16), intents, shard, connection=connection)
        self.sessions[session.id] = session
        connection.session = session
        await self.on_identify(session)

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed")
            return
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if session is None or not isinstance(seq, int) or seq > session.seq:
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
