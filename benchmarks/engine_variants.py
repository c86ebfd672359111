"""What each engine optimisation bought, measured side by side in one process.

Runs the benchmark messages (``tools/bench/data/bench_messages.jsonl``) through the engine in
several configurations and prints single-message latency and batch-of-64 throughput for each,
with the ratio to the first row (the baseline, measured in the same run):

1. ``--baseline``: the previous default bundle (unfused graph, dynamic int8, so one text per
   run) with the previous settings (2 ORT threads per run, one run at a time, ORT's runtime
   SkipLayerNormalization fusion on);
2. the same without that fusion (the shipped session setting);
3. the same with one ORT thread per run and two runs at once (the shipped thread settings);
4. ``--fused-dynamic`` (optional): the fused graph quantised dynamically (still one text per
   run), settings as in 3;
5. the new default bundle (fused, static int8: texts batch), 64 texts padded to the longest;
6. the same, split into length buckets (padding at most 20 %), 2 threads, one run at a time;
7. the same, one thread per run and runs in parallel (the shipped settings).

Usage::

    mkdir -p /tmp/old && for f in manifest.json model.onnx tokenizer.json topic_gate.json; do
        git show 43fd45c:inference/models/default/$f > /tmp/old/$f; done
    python benchmarks/engine_variants.py --baseline /tmp/old [--fused-dynamic DIR] [--passes 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from moodmoji.inference.buckets import BucketSettings
from moodmoji.inference.default_model import resolve_model_dir
from moodmoji.inference.engine import Engine
from moodmoji.inference.settings import EngineSettings, SessionSettings
from moodmoji.tools.bench.messages import load_messages
from moodmoji.tools.bench.stats import time_calls, time_passes

BATCH = 64


def _throughput(engine: Engine, texts: list[str], passes: int) -> float:
    def run() -> int:
        for start in range(0, len(texts), BATCH):
            engine.predict(texts[start : start + BATCH])
        return len(texts)

    return time_passes(run, passes).messages_per_s


def main() -> None:
    """Measures and prints the table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="bundle to measure (default model)")
    parser.add_argument("--baseline", type=Path, help="the previous default bundle")
    parser.add_argument("--fused-dynamic", type=Path, help="a fused, dynamically quantised bundle")
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    texts = [m.text for m in load_messages()]
    model = resolve_model_dir(args.model)

    padded = BucketSettings(max_rows=BATCH, max_padding=1.0, max_cells=1 << 30)
    old_session = SessionSettings(intra_op_threads=0, disabled_optimizers=())
    old_settings = EngineSettings(session=old_session, parallel_runs=1)
    unfused_norms = EngineSettings(session=SessionSettings(intra_op_threads=0), parallel_runs=1)
    parallel = EngineSettings(session=SessionSettings(intra_op_threads=1), parallel_runs=2)
    two_threads = dataclasses.replace(old_settings, session=SessionSettings(intra_op_threads=2))
    padded_two = dataclasses.replace(two_threads, buckets=padded)
    variants: list[tuple[str, Path, EngineSettings]] = []
    if args.baseline:
        variants += [
            ("previous default, 2 threads", args.baseline, old_settings),
            ("+ no SkipLayerNorm re-fusion", args.baseline, unfused_norms),
            ("+ 1 thread x 2 runs", args.baseline, parallel),
        ]
    if args.fused_dynamic:
        variants.append(("fused dynamic, 1 thread x 2", args.fused_dynamic, parallel))
    variants += [
        ("static, padded, 2 threads", model, padded_two),
        ("static, bucketed, 2 threads", model, two_threads),
        ("static, bucketed, 1 thread x 2", model, parallel),
    ]
    rows = []
    for name, path, settings in variants:
        engine = Engine.from_path(path, settings)
        single = time_calls(lambda text, e=engine: e.predict([text]), texts)
        rate = _throughput(engine, texts, args.passes)
        rows.append(
            {
                "variant": name,
                "row_wise": engine.bundle.row_wise,
                "threads": settings.session.intra_op_threads or "all",
                "parallel_runs": settings.parallel_runs,
                "single_p50_ms": single.p50_ms,
                "single_p99_ms": single.p99_ms,
                "messages_per_s": rate,
                "buckets": dataclasses.asdict(engine.buckets),
            }
        )
    base = rows[0]["messages_per_s"]
    print(f"{'variant':32} {'p50':>8} {'p99':>8} {'msg/s':>8} {'x base':>7}")
    for row in rows:
        print(
            f"{row['variant']:32} {row['single_p50_ms']:7.2f}m {row['single_p99_ms']:7.2f}m "
            f"{row['messages_per_s']:8.0f} {row['messages_per_s'] / base:7.2f}"
        )
    print(json.dumps({"messages": len(texts), "batch": BATCH, "variants": rows}))


if __name__ == "__main__":
    main()
