"""The core's chat operations on a real store (a SQLite file, a PostgreSQL server): one API for
every platform's commands."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterator

import pytest

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.chats import Chats, ChatsUnavailable, NoStoreError
from moodmoji.bot.store import Store
from tests.bot.conftest import StoreSite

DAY = datetime.date(2026, 11, 30)


def open_quick(site: StoreSite) -> Store:
    """The store of ``site``, giving up on a held lock after half a second."""
    if site.is_postgres:
        return site.open(write_timeout=0.5)
    return site.open(timeout=0.2, write_timeout=0.5)


@pytest.fixture
def store(site: StoreSite) -> Iterator[Store]:
    with open_quick(site) as s:
        yield s


@pytest.fixture
def chats(store: Store) -> Chats:
    return Chats(store, ChatSettings(reaction_threshold=0.7))


async def test_settings_view_update_and_reset(chats: Chats) -> None:
    assert (await chats.settings("telegram", "-1")).reaction_threshold == 0.7
    assert await chats.update("telegram", "-1", mode="suggest", reaction_threshold=0.9) == {
        "mode": "suggest",
        "reaction_threshold": 0.9,
    }
    view = await chats.view("telegram", "-1")
    assert view.overrides == {"mode": "suggest", "reaction_threshold": 0.9}
    assert str(view.effective.mode) == "suggest" and view.effective.reaction_threshold == 0.9
    assert (await chats.settings("telegram", "-2")).reaction_threshold == 0.7  # other chat
    assert (await chats.settings("discord", "-1")).reaction_threshold == 0.7  # other platform
    await chats.update("telegram", "-1", reaction_threshold=None)  # back to the default
    assert (await chats.view("telegram", "-1")).overrides == {"mode": "suggest"}
    await chats.reset("telegram", "-1")
    assert (await chats.view("telegram", "-1")).overrides == {}


async def test_an_invalid_change_names_the_setting_and_writes_nothing(chats: Chats) -> None:
    await chats.update("discord", "5", mode="react")
    with pytest.raises(ValueError, match="reaction_threshold"):
        await chats.update("discord", "5", mode="off", reaction_threshold=3)
    with pytest.raises(ValueError, match="volume"):
        await chats.update("discord", "5", volume=11)
    assert (await chats.view("discord", "5")).overrides == {"mode": "react"}


async def test_custom_emoji_are_added_and_removed_one_key_at_a_time(chats: Chats) -> None:
    pog, heart = "<:pog:123456789012345678>", "<:heart:223456789012345678>"
    await chats.set_custom_emoji("discord", "5", "joy", pog)
    await chats.set_custom_emoji("discord", "5", " love ", heart)
    view = await chats.view("discord", "5")
    assert view.overrides == {"custom_emoji": {"joy": pog, "love": heart}}
    assert dict(view.effective.custom_emoji) == {"joy": pog, "love": heart}
    await chats.set_custom_emoji("discord", "5", "joy", None)
    await chats.set_custom_emoji("discord", "5", "love", None)
    assert (await chats.view("discord", "5")).overrides == {}  # no empty map left behind
    with pytest.raises(ValueError, match="empty"):
        await chats.set_custom_emoji("discord", "5", "  ", "<:x:323456789012345678>")


async def test_opt_out_in_and_forget(chats: Chats, store: Store) -> None:
    await chats.opt_out("telegram", "user", "7")
    await chats.opt_out("telegram", "chat", "-9")
    assert (await chats.opted_out("telegram", "-1", "7")).kind == "user"  # type: ignore[union-attr]
    assert (await chats.opted_out("telegram", "-9", "8")).kind == "chat"  # type: ignore[union-attr]
    assert await chats.opted_out("discord", "-1", "7") is None  # per platform
    await chats.opt_in("telegram", "chat", "-9")
    assert await chats.opted_out("telegram", "-9", "8") is None
    assert await chats.settings_unless_opted_out("telegram", "-1", "7") is None  # the author
    assert await chats.settings_unless_opted_out("telegram", "-1", "8") is not None
    store.record_mood("telegram", "-1", "joy", day=DAY)
    await chats.update("telegram", "-1", mode="react")
    assert (await chats.forget_user("telegram", "7")).opt_outs == 1
    assert await chats.opted_out("telegram", "-1", "7") is None
    report = await chats.forget_chat("telegram", "-1")
    assert (report.chats, report.mood_rows) == (1, 1)
    assert store.mood_counts("telegram", "-1") == {}


async def test_mood_stats_cover_the_last_days_only(chats: Chats, store: Store) -> None:
    for back, mood in [(0, "joy"), (0, "joy"), (6, "sadness"), (7, "anger")]:
        store.record_mood("discord", "5", mood, day=DAY - datetime.timedelta(days=back))
    stats = await chats.mood_stats("discord", "5", 7, today=DAY)
    assert stats.since == DAY - datetime.timedelta(days=6)
    assert stats.counts == {
        (DAY - datetime.timedelta(days=6)).isoformat(): {"sadness": 1},
        DAY.isoformat(): {"joy": 2},
    }
    for days in (0, -1, 400, True):
        with pytest.raises(ValueError, match="days"):
            await chats.mood_stats("discord", "5", days, today=DAY)


async def test_without_a_store_there_is_one_clear_error() -> None:
    chats = Chats(None, ChatSettings())
    assert not chats.keeps_state and chats.health() is None
    assert await chats.settings("telegram", "1") == ChatSettings()  # the defaults
    assert await chats.opted_out("telegram", "1", "2") is None
    assert await chats.settings_unless_opted_out("telegram", "1", "2") == ChatSettings()
    operations = [
        chats.view("telegram", "1"),
        chats.update("telegram", "1", mode="off"),
        chats.reset("telegram", "1"),
        chats.set_custom_emoji("discord", "1", "joy", "<:x:323456789012345678>"),
        chats.opt_out("telegram", "user", "2"),
        chats.opt_in("telegram", "user", "2"),
        chats.forget_user("telegram", "2"),
        chats.forget_chat("telegram", "1"),
        chats.mood_stats("telegram", "1", 7),
    ]
    for operation in operations:
        with pytest.raises(NoStoreError, match=r"no settings store \(store.path is not set\)"):
            await operation


async def test_a_locked_store_is_reported_busy_and_loses_nothing(
    chats: Chats, store: Store, site: StoreSite
) -> None:
    await chats.update("telegram", "-1", mode="react")
    with site.write_lock_held():
        with pytest.raises(ChatsUnavailable) as caught:
            await chats.update("telegram", "-1", mode="off")
        assert caught.value.busy and not caught.value.unavailable
        assert store.path in str(caught.value)
        with pytest.raises(ChatsUnavailable):
            await chats.forget_chat("telegram", "-1")
        with pytest.raises(ChatsUnavailable) as claim:
            await chats.claim_update("telegram", "bot1:1")
        assert claim.value.busy
        assert (await chats.view("telegram", "-1")).overrides == {"mode": "react"}  # reads go on
    assert (await chats.view("telegram", "-1")).overrides == {"mode": "react"}
    assert await chats.claim_update("telegram", "bot1:1")  # the failed claim claimed nothing


# ------------------------------------------------------------------ update claims (webhooks)


async def test_an_update_is_claimed_once(chats: Chats) -> None:
    assert await chats.claim_update("telegram", "bot1:1001")
    assert not await chats.claim_update("telegram", "bot1:1001")
    assert not await chats.claim_update("telegram", "bot1:1001")
    assert await chats.claim_update("telegram", "bot1:1002")  # another update
    assert await chats.claim_update("discord", "bot1:1001")  # another platform
    with pytest.raises(ValueError, match="key"):
        await chats.claim_update("telegram", "")


async def test_concurrent_claims_of_one_update_have_one_winner(
    chats: Chats, site: StoreSite
) -> None:
    with open_quick(site) as other_store:  # a second bot process sharing the store
        other = Chats(other_store, ChatSettings())
        keys = [f"bot1:{n}" for n in range(40)]
        results = await asyncio.gather(
            *(c.claim_update("telegram", key) for key in keys for c in (chats, other, chats))
        )
    winners = [sum(results[3 * n : 3 * n + 3]) for n in range(len(keys))]
    assert winners == [1] * len(keys)


async def test_without_a_store_every_update_is_claimed() -> None:
    chats = Chats(None, ChatSettings())
    assert await chats.claim_update("telegram", "bot1:1")
    assert await chats.claim_update("telegram", "bot1:1")  # nothing to share claims in
