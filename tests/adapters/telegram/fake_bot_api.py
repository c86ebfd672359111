"""A small Telegram Bot API server of our own, on 127.0.0.1, for the real PTB client.

It implements what moodmoji uses, validating like Telegram does:

- ``getMe``, ``setMyCommands`` (per ``language_code``: empty, or two lowercase letters;
  command names of ``a-z 0-9 _`` up to 32, descriptions of 1-256 characters);
- ``setWebhook`` (an ``https://`` URL, or ``http://`` on 127.0.0.1 for tests; a secret token
  of Telegram's alphabet), ``deleteWebhook``, ``getWebhookInfo``; :meth:`FakeBotAPI.deliver`
  posts an update to the webhook as Telegram does (JSON body, the secret in
  ``X-Telegram-Bot-Api-Secret-Token``), or to any URL with any secret;
- ``getUpdates`` with offset (confirms and drops older updates), limit, and a long-poll
  timeout that returns as soon as updates arrive; 409 while a webhook is set;
- ``setMessageReaction``: a list of at most one reaction of type ``emoji`` whose emoji is one
  of Telegram's 73 verbatim (the list comes from PTB's ``ReactionEmoji``, not from moodmoji),
  within the chat's ``available_reactions``, on a message that exists; otherwise 400 with
  Telegram's error envelope (``Bad Request: REACTION_INVALID`` ...);
- ``getChat`` (a ``ChatFullInfo`` with ``available_reactions``), ``getChatMember``;
- ``sendMessage`` (keeps the ``reply_markup``), ``answerCallbackQuery``,
  ``editMessageReplyMarkup``, ``deleteMessage``.

The token must be in the path (``/bot<token>/<method>``; else 401). Failures can be injected
per method and chat: 429 with ``parameters.retry_after``, 403, 5xx (JSON, or an HTML page as
a proxy in front of the Bot API sends), for a number of requests or for a time window; and
network faults (:meth:`FakeBotAPI.stall`: no answer for a while, then the connection is
closed; :meth:`FakeBotAPI.drop`: the connection is closed without an answer, or halfway
through one). Every request is recorded, a faulted one when it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from telegram.constants import ReactionEmoji

TELEGRAM_REACTIONS = frozenset(e.value for e in ReactionEmoji)

#: Parameters PTB sends JSON-encoded (form fields hold strings).
_JSON_FIELDS = {"reaction", "reply_markup", "reply_parameters", "allowed_updates", "commands"}
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
_INT_FIELDS = {
    "chat_id",
    "message_id",
    "user_id",
    "offset",
    "limit",
    "timeout",
    "max_connections",
}
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _Registered:
    """Sentinel: deliver with the secret the webhook was registered with."""


REGISTERED = _Registered()

#: Network faults (:attr:`Recorded.fault`): no answer for a while; the connection closed
#: without an answer; the connection closed halfway through an answer.
STALL, DROP, CUT = "stall", "drop", "cut"

#: What a proxy in front of the Bot API answers with for 502 and 504 (not Telegram's JSON).
_PROXY_PAGE = (
    "<html><head><title>{code} {phrase}</title></head><body><center><h1>{code} {phrase}</h1>"
    "</center><hr><center>nginx</center></body></html>"
)
_PHRASES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """An error answer in Telegram's envelope."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    description: str | None = None
    fault: str | None = None  # STALL, DROP or CUT: no (whole) answer was sent

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


@dataclass
class Delivery:
    """One update posted to a webhook (as Telegram posts it), and the worker's answer."""

    update_id: int
    url: str
    status: int


@dataclass
class Failure:
    """An injected failure: answer ``times`` matching requests (or all of them until
    ``until``, a ``time.monotonic()`` time) with an error, or with a network ``fault``."""

    method: str
    status: int
    chat_id: int | None = None
    times: int = 1
    retry_after: int | None = None
    description: str | None = None
    until: float | None = None
    html: bool = False
    fault: str | None = None
    stall_s: float = 0.0

    def matches(self, method: str, chat: object, now: float) -> bool:
        if self.method != method:
            return False
        if self.chat_id is not None and self.chat_id != chat:
            return False
        if self.until is not None:
            return now < self.until
        return self.times > 0

    def error(self) -> ApiError:
        if self.status == 429:
            after = self.retry_after if self.retry_after is not None else 1
            return ApiError(429, f"Too Many Requests: retry after {after}", after)
        if self.status == 403:
            return ApiError(
                403, self.description or "Forbidden: bot was kicked from the group chat"
            )
        if self.status == 400:
            return ApiError(400, self.description or "Bad Request: something is wrong")
        phrase = _PHRASES.get(self.status, "Internal Server Error")
        return ApiError(self.status, self.description or phrase)

    def page(self) -> str:
        """The HTML error page of a proxy (for ``html`` failures)."""
        return _PROXY_PAGE.format(code=self.status, phrase=_PHRASES.get(self.status, "Error"))


@dataclass
class FakeChat:
    id: int
    type: str
    title: str | None = None
    available_reactions: list[str] | None = None
    admins: set[int] = field(default_factory=set)
    owner: int | None = None

    def short(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.title or "User"
        else:
            out["title"] = self.title or f"Chat {self.id}"
        return out


class FakeBotAPI:
    """The fake server; start with ``await fake.start()``, stop with ``await fake.close()``.

    Args:
        token: The only token accepted.
        bot_id: The bot's own user id.
        max_batch: Most updates one ``getUpdates`` returns (Telegram: 100).

    Attributes:
        delay_s: Extra time a ``getUpdates`` that has updates takes (a slow network).
        history: Every update ever queued, by id.
        confirmed: Ids of the updates confirmed by an offset, in order.

    """

    def __init__(
        self,
        token: str,
        *,
        bot_id: int = 4242,
        username: str = "moodmoji_test_bot",
        max_batch: int = 100,
    ) -> None:
        self.token = token
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "moodmoji",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }
        self.max_batch = max_batch
        self.delay_s = 0.0
        self.history: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, FakeChat] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.reactions: dict[tuple[int, int], list[str]] = {}
        self.requests: list[Recorded] = []
        self.failures: list[Failure] = []
        self.updates: list[dict[str, Any]] = []
        self.confirmed: list[int] = []
        self.commands: list[dict[str, Any]] = []  # the menu without a language_code
        self.commands_by_language: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.deliveries: list[Delivery] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getUpdates": self._get_updates,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "setMessageReaction": self._set_message_reaction,
            "sendMessage": self._send_message,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
        }
        self.port = 0

    # ------------------------------------------------------------------ server

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        self._closing.set()
        self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        token, _, method = path.partition("/")
        params = await _params(request)
        if not token.startswith("bot") or token[3:] != self.token:
            return self._answer("unauthorized", params, ApiError(401, "Unauthorized"))
        try:
            failure = self._injected(method, params)
            if failure is not None and failure.fault is not None:
                return await self._misbehave(request, method, params, failure)
            if failure is not None and failure.html:
                self.requests.append(
                    Recorded(method, params, failure.status, time.monotonic(), "html page")
                )
                return web.Response(
                    status=failure.status, text=failure.page(), content_type="text/html"
                )
            if failure is not None:
                raise failure.error()
            handler = self._methods.get(method)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            return self._answer(method, params, exc)
        self.requests.append(Recorded(method, params, 200, time.monotonic()))
        return web.json_response({"ok": True, "result": result})

    def _answer(self, method: str, params: dict[str, Any], error: ApiError) -> web.Response:
        self.requests.append(
            Recorded(method, params, error.code, time.monotonic(), error.description)
        )
        return web.json_response(error.body(), status=error.code)

    def _injected(self, method: str, params: dict[str, Any]) -> Failure | None:
        chat = params.get("chat_id")
        now = time.monotonic()
        for failure in self.failures:
            if not failure.matches(method, chat, now):
                continue
            failure.times -= 1
            return failure
        return None

    async def _misbehave(
        self, request: web.Request, method: str, params: dict[str, Any], failure: Failure
    ) -> web.Response:
        """A network fault: recorded as it arrives; the method itself never runs."""
        self.requests.append(Recorded(method, params, 0, time.monotonic(), fault=failure.fault))
        if failure.fault == STALL:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), failure.stall_s)
        transport = request.transport
        if transport is not None and not transport.is_closing():
            if failure.fault == CUT:  # a status line, headers and half of the promised body
                transport.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 64\r\n\r\n{"ok":tr'
                )
            transport.close()
        # aiohttp cannot write this to the closed connection and lets it go quietly.
        return web.Response(status=500)

    # ------------------------------------------------------------------ test controls

    def add_chat(
        self,
        chat_id: int,
        *,
        type: str | None = None,
        title: str | None = None,
        available_reactions: Iterable[str] | None = None,
        admins: Iterable[int] = (),
        owner: int | None = None,
    ) -> FakeChat:
        kind = type or ("private" if chat_id > 0 else "supergroup")
        chat = FakeChat(
            chat_id,
            kind,
            title,
            list(available_reactions) if available_reactions is not None else None,
            set(admins),
            owner,
        )
        self.chats[chat_id] = chat
        return chat

    def user(
        self,
        user_id: int,
        *,
        is_bot: bool = False,
        name: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """A user; ``language_code`` (their app's language, e.g. ``ru``) is kept once given."""
        user = self.users.setdefault(
            user_id, {"id": user_id, "is_bot": is_bot, "first_name": name or f"User{user_id}"}
        )
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def fail(
        self,
        method: str,
        status: int,
        *,
        chat_id: int | None = None,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        for_s: float | None = None,
        html: bool = False,
    ) -> None:
        """Answers matching requests with an error: the next ``times``, or all for ``for_s``.

        ``html``: the answer is a proxy's HTML error page instead of Telegram's JSON.
        """
        until = time.monotonic() + for_s if for_s is not None else None
        self.failures.append(
            Failure(method, status, chat_id, times, retry_after, description, until, html)
        )

    def stall(
        self, method: str, seconds: float, *, chat_id: int | None = None, times: int = 1
    ) -> None:
        """The next ``times`` matching requests get no answer for ``seconds`` (longer than the
        client waits); then their connections are closed. The method does not run."""
        self.failures.append(Failure(method, 0, chat_id, times, fault=STALL, stall_s=seconds))

    def drop(
        self, method: str, *, chat_id: int | None = None, times: int = 1, midway: bool = False
    ) -> None:
        """The next ``times`` matching requests have their connection closed without an
        answer (``midway``: after the status line, headers and part of the body)."""
        self.failures.append(Failure(method, 0, chat_id, times, fault=CUT if midway else DROP))

    async def deliver(
        self,
        update_id: int,
        *,
        url: str | None = None,
        secret: str | _Registered | None = REGISTERED,
        content_type: str = "application/json",
    ) -> int:
        """Posts update ``update_id`` to a webhook as Telegram does; returns the HTTP status.

        Args:
            update_id: An update queued earlier (:meth:`send`, :meth:`press`, :meth:`push`).
            url: Where to post; default the registered webhook's URL (a retry that a proxy
                sends to another worker is a post to that worker's own address).
            secret: The ``X-Telegram-Bot-Api-Secret-Token`` header: the registered secret by
                default, another string, or ``None`` for no header.
            content_type: The request's content type.

        """
        target = url if url is not None else (self.webhook or {}).get("url")
        if not target:
            raise AssertionError("no webhook is set and no url was given")
        token = (self.webhook or {}).get("secret_token") if secret is REGISTERED else secret
        headers = {"Content-Type": content_type}
        if isinstance(token, str):
            headers[SECRET_HEADER] = token
        body = json.dumps(self.history[update_id]).encode("utf-8")
        async with (
            aiohttp.ClientSession() as session,
            session.post(target, data=body, headers=headers) as response,
        ):
            await response.read()
            status = response.status
        self.deliveries.append(Delivery(update_id, target, status))
        return status

    def faulted(self, method: str, *, chat_id: int | None = None) -> list[Recorded]:
        """Requests that met a network fault (stalled or dropped), oldest first."""
        return [r for r in self.calls(method, chat_id=chat_id) if r.fault is not None]

    def send(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        date: float | None = None,
        reply_to: int | None = None,
        forward_from: int | None = None,
        is_bot: bool = False,
        caption: bool = False,
    ) -> int:
        """A user writes ``text`` in a chat; returns the message id (queued as an update)."""
        chat = self.chats.get(chat_id) or self.add_chat(chat_id)
        message = self._message(chat, self.user(user_id, is_bot=is_bot), text, date, caption)
        if reply_to is not None:
            message["reply_to_message"] = self.messages[(chat_id, reply_to)]
        if forward_from is not None:
            message["forward_origin"] = {
                "type": "user",
                "date": int(time.time()) - 60,
                "sender_user": self.user(forward_from),
            }
        self.push({"message": message})
        return int(message["message_id"])

    def press(self, chat_id: int, message_id: int, user_id: int, data: str) -> str:
        """A user presses an inline button with callback ``data``; returns the query id."""
        query_id = str(next(self._query_ids))
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id),
                    "chat_instance": f"ci{chat_id}",
                    "data": data,
                    "message": self.messages[(chat_id, message_id)],
                }
            }
        )
        return query_id

    def push(self, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **body}
        self.updates.append(update)
        self.history[update_id] = update
        self._arrived.set()
        return update_id

    def _message(
        self,
        chat: FakeChat,
        author: dict[str, Any],
        text: str,
        date: float | None,
        caption: bool = False,
    ) -> dict[str, Any]:
        counter = self._message_ids.setdefault(chat.id, itertools.count(1))
        message: dict[str, Any] = {
            "message_id": next(counter),
            "date": int(date if date is not None else time.time()),
            "chat": chat.short(),
            "from": author,
        }
        if caption:
            message["photo"] = [
                {"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}
            ]
            message["caption"] = text
        else:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                length = len(command.encode("utf-16-le")) // 2
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self.messages[(chat.id, message["message_id"])] = message
        return message

    # ------------------------------------------------------------------ queries

    def calls(
        self, method: str, *, chat_id: int | None = None, ok: bool | None = None
    ) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.method == method
            and (chat_id is None or r.chat_id == chat_id)
            and (ok is None or (r.status == 200) == ok)
        ]

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [r.params for r in self.calls("sendMessage", chat_id=chat_id, ok=True)]

    @property
    def pending(self) -> int:
        """Updates not yet confirmed by an offset."""
        return len(self.updates)

    async def wait_for(
        self, condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------------ methods

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates") in ("true", True):
            self.updates.clear()
        self.webhook = None
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url:
            raise ApiError(400, "Bad Request: bad webhook: an HTTPS URL must be provided")
        local = url.startswith(("http://127.0.0.1:", "http://localhost:"))
        if not url.startswith("https://") and not local:
            raise ApiError(400, "Bad Request: bad webhook: an HTTPS URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        connections = params.get("max_connections", 40)
        if not isinstance(connections, int) or not 1 <= connections <= 100:
            raise ApiError(400, "Bad Request: bad max_connections")
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": params.get("allowed_updates"),
            "max_connections": connections,
        }
        if params.get("drop_pending_updates") in ("true", True):
            self.updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        hook = self.webhook or {}
        info: dict[str, Any] = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if hook:
            info["max_connections"] = hook["max_connections"]
            if hook.get("allowed_updates") is not None:
                info["allowed_updates"] = hook["allowed_updates"]
        return info

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        commands = list(params.get("commands") or [])
        for command in commands:
            if not _COMMAND.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands_by_language[language] = commands
        if not language:
            self.commands = commands
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset") or 0
        limit = min(max(int(params.get("limit") or 100), 1), 100, self.max_batch)
        timeout = float(params.get("timeout") or 0)
        if offset > 0:
            kept = [u for u in self.updates if u["update_id"] >= offset]
            self.confirmed.extend(u["update_id"] for u in self.updates if u["update_id"] < offset)
            self.updates = kept
        if not self.updates and timeout > 0 and not self._closing.is_set():
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        if self.updates and self.delay_s:
            await asyncio.sleep(self.delay_s)
        return self.updates[:limit]

    def message_key(self, update_id: int) -> tuple[int, int] | None:
        """(chat id, message id) of a message update."""
        message = self.history[update_id].get("message")
        return (message["chat"]["id"], message["message_id"]) if message else None

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        info: dict[str, Any] = {
            **chat.short(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat.available_reactions is not None:
            info["available_reactions"] = [
                {"type": "emoji", "emoji": e} for e in chat.available_reactions
            ]
        return info

    def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        user_id = params.get("user_id")
        if user_id is None:
            raise ApiError(400, "Bad Request: user_id is required")
        user = self.user(int(user_id))
        if user_id == chat.owner:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in chat.admins:
            member = {name: True for name in ADMIN_RIGHTS}
            member.update(can_be_edited=False, is_anonymous=False)
            return {"status": "administrator", "user": user, **member}
        return {"status": "member", "user": user}

    def _set_message_reaction(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        message_id = params.get("message_id")
        if (chat.id, message_id) not in self.messages:
            raise ApiError(400, "Bad Request: message to react not found")
        reaction = params.get("reaction")
        if reaction is None:
            reaction = []
        if not isinstance(reaction, list):
            raise ApiError(400, "Bad Request: can't parse reaction types")
        if len(reaction) > 1:
            raise ApiError(400, "Bad Request: REACTIONS_TOO_MANY")
        emoji = []
        for item in reaction:
            if not isinstance(item, dict) or item.get("type") != "emoji":
                raise ApiError(400, "Bad Request: REACTION_INVALID")
            value = item.get("emoji")
            if value not in TELEGRAM_REACTIONS:
                raise ApiError(400, "Bad Request: REACTION_INVALID")
            if chat.available_reactions is not None and value not in chat.available_reactions:
                raise ApiError(400, "Bad Request: REACTION_INVALID")
            emoji.append(value)
        self.reactions.setdefault((chat.id, int(message_id)), []).extend(emoji)
        return True

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        message = self._message(chat, self.bot, text, None)
        message.pop("entities", None)
        if params.get("reply_markup") is not None:
            message["reply_markup"] = params["reply_markup"]
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and (chat.id, reply.get("message_id")) in self.messages:
            message["reply_to_message"] = self.messages[(chat.id, reply["message_id"])]
        return message

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        return True

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        key = (chat.id, params.get("message_id"))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        message = self.messages[key]
        if params.get("reply_markup") is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        key = (chat.id, params.get("message_id"))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        del self.messages[key]
        return True

    def _chat(self, params: dict[str, Any]) -> FakeChat:
        chat_id = params.get("chat_id")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat


async def _params(request: web.Request) -> dict[str, Any]:
    """The request's parameters: JSON body, or form fields decoded as PTB encodes them."""
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    raw: dict[str, Any] = {}
    if request.method == "POST":
        form = await request.post()
        raw.update({k: v for k, v in form.items() if isinstance(v, str)})
    raw.update(request.query)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _JSON_FIELDS:
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        elif key in _INT_FIELDS:
            try:
                out[key] = int(value)
            except ValueError:
                out[key] = value
        else:
            out[key] = value
    return out
