"""Turns python-telegram-bot messages into the core's :class:`~bot.messages.IncomingMessage`."""

from __future__ import annotations

import time

from telegram import (
    Message,
    MessageOrigin,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginUser,
)

from moodmoji.bot.messages import IncomingMessage, Platform

__all__ = ["born", "forwarded_incoming", "incoming", "sent_by_bot", "text_of"]


def text_of(message: Message) -> str:
    """The message's text, or its media caption; ``""`` when it has neither."""
    return message.text or message.caption or ""


def sent_by_bot(message: Message) -> bool:
    """Whether a bot wrote the message (this one included).

    A message sent on behalf of a chat (an anonymous group admin, a linked channel's post)
    carries ``sender_chat``; its ``from_user`` is a stand-in and does not count.
    """
    if message.sender_chat is not None:
        return False
    return bool(message.from_user and message.from_user.is_bot)


def born(message: Message) -> float:
    """When the message was written, as a Unix time (now if Telegram gave no date)."""
    date = message.date
    return date.timestamp() if date is not None else time.time()


def incoming(message: Message) -> IncomingMessage:
    """The message as the core sees it: ids as text, its text or caption, who wrote it."""
    if message.sender_chat is not None:
        author = str(message.sender_chat.id)
    elif message.from_user is not None:
        author = str(message.from_user.id)
    else:
        author = str(message.chat_id)
    reply = message.reply_to_message
    return IncomingMessage(
        Platform.TELEGRAM,
        chat_id=str(message.chat_id),
        message_id=str(message.message_id),
        author_id=author,
        text=text_of(message),
        author_is_bot=sent_by_bot(message),
        reply_to_id=str(reply.message_id) if reply is not None else None,
        raw=message,
    )


def forwarded_incoming(message: Message) -> IncomingMessage:
    """A message forwarded to the bot, attributed to its original author where Telegram says.

    The original author's opt-out then applies. When the origin is hidden, the person who
    forwarded it stands in.
    """
    base = incoming(message)
    author, is_bot = _origin_author(message.forward_origin)
    if author is None:
        return base
    return IncomingMessage(
        Platform.TELEGRAM,
        chat_id=base.chat_id,
        message_id=base.message_id,
        author_id=author,
        text=base.text,
        author_is_bot=is_bot,
        reply_to_id=base.reply_to_id,
        raw=message,
    )


def _origin_author(origin: MessageOrigin | None) -> tuple[str | None, bool]:
    if isinstance(origin, MessageOriginUser):
        return str(origin.sender_user.id), origin.sender_user.is_bot
    if isinstance(origin, MessageOriginChat):
        return str(origin.sender_chat.id), False
    if isinstance(origin, MessageOriginChannel):
        return str(origin.chat.id), False
    return None, False
