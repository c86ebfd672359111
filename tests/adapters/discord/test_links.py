"""Reading the message ``/why`` is pointed at."""

from __future__ import annotations

import pytest

from moodmoji.adapters.discord.links import MessageRef, parse_message_ref

G, C, M = 123456789012345678, 223456789012345678, 323456789012345678


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"https://discord.com/channels/{G}/{C}/{M}", MessageRef(M, C, G)),
        (f"  https://ptb.discord.com/channels/{G}/{C}/{M}  ", MessageRef(M, C, G)),
        (f"<https://canary.discordapp.com/channels/{G}/{C}/{M}>", MessageRef(M, C, G)),
        (f"https://discord.com/channels/@me/{C}/{M}", MessageRef(M, C, None)),
        (f"{C}-{M}", MessageRef(M, C)),
        (str(M), MessageRef(M)),
    ],
)
def test_links_pairs_and_ids_are_read(text: str, expected: MessageRef) -> None:
    assert parse_message_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "12345",  # too short for a snowflake
        f"https://evil.example/channels/{G}/{C}/{M}",
        f"https://discord.com/channels/{G}/{C}",
        f"{M} and more",
        "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨",  # Arabic-Indic digits are not an id
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    assert parse_message_ref(text) is None
