"""``MODEL_CARD.md``: the default bundle's manifest, said for people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inference.manifest import HeadKind, Manifest

_TARGETS = {
    "goemotions": "macro-F1 >= 0.50, micro-F1 >= 0.58 (EmotiCare DistilBERT 0.402 / 0.570)",
    "emotion": "accuracy >= 0.93, macro-F1 >= 0.89 (DistilBERT 0.9295 accuracy)",
    "tweeteval-emoji": "macro-F1 >= 0.30 (RoBERTa-base 0.309, BERTweet 0.334)",
}


def _row(task: str, scores: dict[str, Any], fp32: dict[str, Any] | None) -> str:
    def cell(key: str) -> str:
        value = scores.get(key)
        if value is None:
            return "-"
        reference = (fp32 or {}).get(key)
        return f"{value:.4f}" + (f" ({reference:.4f})" if reference is not None else "")

    keys = ("accuracy", "macro_f1", "micro_f1", "top3_accuracy")
    return f"| {task} | {scores['n']} | " + " | ".join(cell(k) for k in keys) + " |"


def render_model_card(manifest: Manifest) -> str:
    """Renders the model card of a trained bundle from its manifest."""
    provenance = manifest.provenance
    metrics = manifest.metrics
    training = provenance.get("training", {})
    settings = training.get("settings", {})
    lines = [
        f"# {manifest.name}",
        "",
        "The embedded default model of moodmoji: one MiniLM-L6 encoder pass feeds every head.",
        "Trained by `moodmoji train` (the recipe in `inference/training/`), exported to ONNX and",
        "measured as the bundle you are reading about.",
        "",
        "## Heads",
        "",
        "| head | kind | labels |",
        "|---|---|---|",
    ]
    for head in manifest.heads:
        labels = ", ".join(head.labels) if head.kind is not HeadKind.EMBEDDING else "-"
        if head.kind is HeadKind.SIGMOID:
            labels += " (per-label thresholds tuned on dev)"
        if head.kind is HeadKind.EMBEDDING:
            labels = "384-d sentence vector, distilled towards all-MiniLM-L6-v2's embeddings"
        lines.append(f"| {head.name} | {head.kind} | {labels} |")
    lines += [
        "",
        "## Dev metrics",
        "",
        "Measured on the written bundle by the same code as `moodmoji eval` "
        f"({metrics.get('split', 'dev splits')}); fp32 in brackets. The test splits were not used.",
        "",
        "| task | n | accuracy | macro-F1 | micro-F1 | top-3 accuracy |",
        "|---|---|---|---|---|---|",
    ]
    fp32 = metrics.get("dev_fp32", {})
    lines += [_row(task, s, fp32.get(task)) for task, s in metrics.get("dev", {}).items()]
    lines += ["", "Targets: " + "; ".join(f"{t}: {v}" for t, v in _TARGETS.items()) + "."]
    training_dev = metrics.get("training_dev", {}).get("goemotions", {})
    if "tuned_cross_fitted" in training_dev:
        crossed = training_dev["tuned_cross_fitted"]
        lines += [
            "",
            "GoEmotions thresholds are tuned on dev, which flatters dev figures. Tuned on one "
            f"half of dev and scored on the other (2-fold): macro-F1 {crossed['macro_f1']:.4f}, "
            f"micro-F1 {crossed['micro_f1']:.4f}.",
        ]
    if "topic_gate" in metrics:
        gate = metrics["topic_gate"]
        lines += [
            "",
            "Topic gate (inference/data/topic_calibration.jsonl, "
            f"{int(gate['examples'])} messages, 2-fold held out): precision "
            f"{gate['precision']:.3f}, recall on topical messages "
            f"{gate['topical_recall']:.3f}, false admissions on messages without a topic "
            f"{gate['false_admission']:.3f}.",
        ]
    if "embedding" in metrics:
        e = metrics["embedding"]
        lines += [
            "",
            f"Embedding fidelity to all-MiniLM-L6-v2 on {e['texts']} dev texts (embedding head; "
            "in brackets the fine-tuned encoder's mean-pooled states without the distilled head): "
            f"mean cosine {e['mean_cosine']:.3f} ({e['pooled_mean_cosine']:.3f}), Spearman of "
            f"pairwise similarities {e['pairwise_spearman']:.3f} "
            f"({e['pooled_pairwise_spearman']:.3f}), 10-nearest-neighbour overlap "
            f"{e['neighbour_overlap']:.3f} ({e['pooled_neighbour_overlap']:.3f}).",
        ]
    lines += [
        "",
        "## Training",
        "",
        f"- Encoder: {provenance.get('source')}; licence: {provenance.get('licence')}.",
        f"- Steps: {training.get('steps')} on {training.get('device')} "
        f"({training.get('hardware') or 'hardware not recorded'}); "
        f"{_minutes(training.get('seconds'))}.",
        "- Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()) + ".",
        f"- Quantisation: {_quantisation(provenance.get('quantization'))}.",
        "- Logit adjustment: "
        + (
            "; ".join(f"{t}: {v}" for t, v in provenance.get("logit_adjustment", {}).items())
            or "none"
        )
        + ".",
        "",
        "## Data and licences",
        "",
    ]
    lines += [f"- {d['task']}: {d['data']}; {d['licence']}." for d in provenance.get("data", [])]
    lines += [
        "",
        "## Limits",
        "",
        "- English only; trained on Reddit comments and tweets, so formal or long text is out of "
        "domain. Texts are cut at the manifest's max_length tokens.",
        "- The emoji head knows 20 emoji; wider reactions come from the mood map and topical "
        "similarity with the emoji vocabulary (inference/data/emoji_vocabulary.json).",
        "- dair-ai emotion and TweetEval are licensed for research use; check their terms before "
        "commercial use.",
        "",
    ]
    return "\n".join(lines)


def _quantisation(value: dict[str, Any] | None) -> str:
    if not value:
        return "none (fp32)"
    scheme = "per channel" if value.get("per_channel") else "per tensor"
    text = f"{value.get('method')}, weights {scheme}; thresholds re-tuned on the int8 graph"
    fused = value.get("fused")
    if fused:
        ops = ", ".join(f"{op} x{count}" for op, count in sorted(fused.items()))
        text += f"; graph fused by ONNX Runtime's transformer optimizer ({ops})"
    return text


def _minutes(seconds: float | None) -> str:
    return (
        "training time not recorded" if seconds is None else f"{seconds / 60:.0f} min of training"
    )


def write_model_card(manifest: Manifest, path: Path) -> Path:
    """Writes the model card and returns its path."""
    path.write_text(render_model_card(manifest), encoding="utf-8")
    return path
