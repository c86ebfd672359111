"""Language identification: chat messages in the main languages, and ``und`` where a guess would
be a coin toss (too short, emoji only, links only); odd input never raises."""

from __future__ import annotations

import pytest

from moodmoji.inference.language import (
    LANGUAGES,
    NOT_READ,
    UNDETERMINED,
    LanguageGuess,
    detect,
    letters,
    script_of,
    strip_non_language,
)

EXAMPLES = {
    "en": ["thanks so much for the help yesterday!", "I can't believe we won the match 🎉"],
    "es": ["¿Vienes a la fiesta del sábado?", "muchas gracias por todo, de verdad"],
    "pt": ["Obrigado pela ajuda, você é demais!", "Não consigo acreditar que ganhamos o jogo"],
    "de": ["Ich freue mich so auf das Wochenende", "Kannst du mir bitte morgen helfen?"],
    "fr": ["Je suis tellement content pour toi !", "On se voit demain à la gare ?"],
    "it": ["Grazie mille per il regalo, è bellissimo", "Ci vediamo stasera al ristorante?"],
    "ru": ["Спасибо большое, ты меня очень выручил", "Привет! Как прошли выходные?"],
    "uk": ["Дякую, що допоміг мені вчора", "Привіт! Як пройшли вихідні?"],
    "tr": ["Bugün hava çok güzel, parka gidelim mi?", "Çok teşekkür ederim, harikasın"],
    "pl": ["Dziękuję bardzo za pomoc, jesteś super", "Czy przyjdziesz jutro na imprezę?"],
    "nl": ["Dank je wel voor je hulp vandaag", "Zullen we morgen samen koffie drinken?"],
    "ja": ["今日はとても楽しかったです", "ありがとう！また明日ね"],
    "ko": ["오늘 정말 즐거웠어요", "고마워 내일 봐"],
    "zh": ["今天天气真好，我们去公园吧", "谢谢你的帮助"],
    "ar": ["شكرا جزيلا على مساعدتك", "كيف حالك اليوم يا صديقي؟"],
    "th": ["ขอบคุณมากนะครับ", "วันนี้อากาศดีมาก"],
}


@pytest.mark.parametrize(
    ("code", "text"), [(code, text) for code, texts in EXAMPLES.items() for text in texts]
)
def test_chat_messages_in_the_main_languages(code: str, text: str) -> None:
    guess = detect(text)
    assert guess == LanguageGuess(code, guess.confidence, script=guess.script), guess
    assert 0.5 < guess.confidence <= 1.0
    assert guess.known and guess.describe() == f"{code} ({guess.confidence:.2f})"


def test_mentions_links_and_emoji_do_not_sway_the_language() -> None:
    text = "<@123456789> смотри https://example.com/very/english/words 😂😂 это просто огонь"
    assert detect(text).code == "ru"
    assert strip_non_language(text) == "смотри это просто огонь"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("😂", "emoji only"),
        ("😂😂😂🔥", "emoji only"),
        ("❤️ 👍🏽 🇺🇦", "emoji only"),
        ("👨‍👩‍👧!!", "emoji only"),
        ("https://example.com/a/b?c=d", "no words"),
        ("www.youtube.com/watch?v=dQw4w9WgXcQ", "no words"),
        ("see https://x.io 🙂", "too short"),
        ("<@123456789> <:pepe:123456789012345678>", "no words"),
        ("12:30", "no words"),
        ("+7 999 123-45-67", "no words"),
        ("?!...", "no words"),
        ("ok", "too short"),
        ("lol", "too short"),
        ("да", "too short"),
        ("ja", "too short"),
        ("omg!!", "too short"),
        ("¯\\_(ツ)_/¯", "too short"),
        ("草", "too short"),
        ("haha", "low confidence"),
        ("nice", "low confidence"),
    ],
)
def test_no_guess_without_enough_language(text: str, reason: str) -> None:
    guess = detect(text)
    assert guess.code == UNDETERMINED and guess.reason == reason, guess
    assert not guess.known and guess.describe() == f"und ({reason})"


def test_a_script_only_one_language_writes_settles_it() -> None:
    assert detect("ㅋㅋㅋㅋ") == LanguageGuess("ko", 1.0, script="hangul")
    assert detect("すごい") == LanguageGuess("ja", 1.0, script="kana")
    assert detect("555 ขอบคุณ") == LanguageGuess("th", 1.0, script="thai")


def test_every_guess_names_the_script_of_its_letters() -> None:
    assert detect("Мы сегодня выиграли финал").script == "cyrillic"
    assert detect("Ура").script == "cyrillic"  # too short to name a language, still Cyrillic
    assert detect("ok").script == "latin"
    assert detect("😂😂").script is None
    assert detect("").script is None


def test_an_unsure_guess_keeps_its_likeliest_language() -> None:
    unsure = detect("хорошо")  # Russian or Ukrainian: one word does not tell
    assert unsure.reason == "low confidence" and unsure.likely in ("ru", "uk")
    assert unsure.describe() == "und (low confidence)"
    assert detect("Ура").likely is None  # too short: nothing to lean on
    assert detect("Мы сегодня выиграли финал, я так счастлива!").likely is None  # named


def test_letters_one_candidate_uses_settle_close_languages() -> None:
    # ї and є are Ukrainian; ы is Russian; پ and گ are Persian.
    assert detect("Їжачок їсть яблуко").code == "uk"
    assert detect("Мы выиграли").code == "ru"
    assert detect("پدرم گفت").code == "fa"


def test_another_language_is_named_rather_than_routed_to_ours() -> None:
    afrikaans = "Dit is van toepassing op geletterdheidsvlakke en die koers van deelname"
    assert detect(afrikaans).code == "af"


def test_scripts_and_letters() -> None:
    assert script_of("Привет, world") == "cyrillic"
    assert script_of("今日は晴れ") == "kana"  # kana with Han is Japanese
    assert script_of("今天") == "han"
    assert script_of("123 !!! 😂") == "none"
    assert letters("नमस्ते") == 4  # the vowel signs are marks, not letters
    assert strip_non_language("नमस्ते 🙏") == "नमस्ते"


ODD = [
    None,
    42,
    b"bytes",
    "\ud800\udfff lone surrogates \ud83d",
    "\x00\x01\x02 control \x7f",
    "Z̸̢̛̗̪̯̈́͂a̷̢̛̲͓̭̓͌l̸̡̰̙̈́̈́g̵̨̛̞̀̑o̷̧̜͐̕" * 50,
    "\u202eتحية RTL \u202c mixed שלום",
    "a" * 100_000,
    "слово " * 20_000,
    "😂" * 50_000,
    "\ufeff\u200b\u200d\u2060",
    "".join(chr(c) for c in range(0x20, 0x3000, 7)),
    "\U000e0001\U0010fffd\uffff",
]


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_input_never_raises(text: object) -> None:
    guess = detect(text)
    assert isinstance(guess, LanguageGuess)
    assert guess.code == UNDETERMINED or guess.code.isalpha()
    assert 0.0 <= guess.confidence <= 1.0
    assert (guess.reason is None) == guess.known


def test_long_text_is_read_by_its_beginning() -> None:
    assert detect("Привет, как дела? " * 5_000).code == "ru"


def test_the_candidate_set_is_known_to_the_model() -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    labels = set(LanguageIdentifier.from_model_file(MODEL_FILE).nb_classes)
    assert set(LANGUAGES) <= labels
    assert NOT_READ.code == UNDETERMINED and NOT_READ.reason == "not read"
