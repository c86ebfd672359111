"""PTB messages as the core sees them."""

from __future__ import annotations

import datetime

from telegram import Chat, Message, MessageOriginHiddenUser, MessageOriginUser, User

from moodmoji.adapters.telegram.convert import forwarded_incoming, incoming, sent_by_bot

NOW = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
GROUP = Chat(-5, "supergroup")


def test_ids_text_and_caption() -> None:
    parent = Message(3, NOW, GROUP, from_user=User(8, "B", False), text="hi")
    message = Message(
        4, NOW, GROUP, from_user=User(9, "A", False), caption="a photo", reply_to_message=parent
    )
    seen = incoming(message)
    assert (seen.chat_id, seen.message_id, seen.author_id) == ("-5", "4", "9")
    assert (seen.text, seen.reply_to_id, seen.author_is_bot) == ("a photo", "3", False)
    assert incoming(Message(5, NOW, GROUP, from_user=User(9, "A", False))).text == ""


def test_bots_and_messages_sent_as_a_chat() -> None:
    assert sent_by_bot(Message(1, NOW, GROUP, from_user=User(2, "bot", True), text="x"))
    anonymous_admin = Message(
        1, NOW, GROUP, from_user=User(1087968824, "Group", True), sender_chat=GROUP, text="x"
    )
    assert not sent_by_bot(anonymous_admin)
    assert incoming(anonymous_admin).author_id == "-5"


def test_a_forward_is_attributed_to_its_original_author_when_known() -> None:
    private = Chat(9, "private")
    forwarder = User(9, "A", False)
    known = Message(
        1,
        NOW,
        private,
        from_user=forwarder,
        text="x",
        forward_origin=MessageOriginUser(NOW, User(77, "C", False)),
    )
    hidden = Message(
        2,
        NOW,
        private,
        from_user=forwarder,
        text="x",
        forward_origin=MessageOriginHiddenUser(NOW, "Someone"),
    )
    from_bot = Message(
        3,
        NOW,
        private,
        from_user=forwarder,
        text="x",
        forward_origin=MessageOriginUser(NOW, User(78, "D", True)),
    )
    assert forwarded_incoming(known).author_id == "77"
    assert forwarded_incoming(hidden).author_id == "9"
    assert forwarded_incoming(from_bot).author_is_bot
