"""Texts only the Telegram adapter sends (the shared ones are in :mod:`adapters.common.answers`).

Plain text, sent without a parse mode. None of them quotes a message.
"""

from __future__ import annotations

__all__ = [
    "BUSY",
    "DISMISS_NOT_YOURS",
    "HELP",
    "MODE_NOW",
    "MODE_SET",
    "MODE_USAGE",
    "MOOD_NO_STATS",
    "NOTHING_TO_SUGGEST",
    "NOT_ADMIN",
    "NO_STORE",
    "NO_SUGGESTION",
    "NO_TEXT",
    "OPT_IN_CHAT",
    "SEND_AS_YOURSELF",
    "STORE_FAILED",
    "SUGGESTIONS_HEAD",
    "SUGGESTIONS_OFF",
    "SUGGEST_USAGE",
    "WHY_USAGE",
]

SUGGESTIONS_HEAD = "Replies you could send: tap one to copy it, then paste it yourself."
NO_SUGGESTION = "No reply fits this message well enough, so I have nothing to suggest."
NOTHING_TO_SUGGEST = "Nothing to suggest: {reason}."
NO_TEXT = "That message has no text I could read."
SUGGESTIONS_OFF = (
    "Suggestions are off in this chat (mode {mode}); an admin can turn them on with "
    "/moodmoji mode both."
)
SUGGEST_USAGE = (
    "Reply to a message with /suggest to get replies you could send, or forward a message to "
    "me in a private chat."
)
WHY_USAGE = "Reply to a message with /why to see why moodmoji reacted to it (or did not)."
DISMISS_NOT_YOURS = "Only the person who asked for these suggestions can dismiss them."
NOT_ADMIN = "Only admins of this chat can change that."
MODE_USAGE = "Usage: /moodmoji mode react|suggest|both|off"
MODE_NOW = "moodmoji's mode in this chat: {mode}. Admins can change it: " + MODE_USAGE
MODE_SET = "Done: moodmoji's mode in this chat is now {mode}."
NO_STORE = "This bot keeps no settings, so there is nothing to change or delete."
MOOD_NO_STATS = "This bot keeps no mood stats."
OPT_IN_CHAT = "Welcome back: moodmoji works in this chat again."
SEND_AS_YOURSELF = "Send this command as yourself (not anonymously) so I know who you are."
STORE_FAILED = "Sorry, I could not read or save the settings just now; please try again later."
BUSY = "I'm busy right now; please try again in a minute."
HELP = (
    "I react to messages with a fitting emoji and can suggest replies.\n"
    "/suggest (as a reply): replies you could send, as buttons that copy the text\n"
    "/mood: this chat's mood lately, or (as a reply) that message's mood\n"
    "/why (as a reply): why I reacted as I did\n"
    "/optout, /optin: keep me away from your messages, or let me back\n"
    "/forgetme: delete what I keep about you\n"
    "/moodmoji mode react|suggest|both|off: for chat admins\n"
    "Forward me any message in this private chat to get reply suggestions for it.\n"
    "I never store or log the text of messages."
)
