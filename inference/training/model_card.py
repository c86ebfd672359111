"""``MODEL_CARD.md``: the default bundle's manifest, said for people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moodmoji.inference.manifest import HeadKind, HeadRole, HeadSpec, Manifest

_ROLES = {
    HeadRole.READER: "real readers' Facebook reactions",
    HeadRole.REACTION: "every reaction a reader might set",
    HeadRole.TRIGGER: "whether to react at all",
    HeadRole.INTENT: "the reply intents that fit",
    HeadRole.MOOD: "the author's coarse moods",
}
_GENRES = {
    "goemotions": "Reddit comments",
    "emotion": "tweets",
    "tweeteval-emoji": "tweets",
    "facebook": "public Facebook page posts",
    **dict.fromkeys(
        ("reaction", "trigger", "intent", "mood"), "chat messages written for moodmoji"
    ),
}
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
    lines += [f"| {head.name} | {head.kind} | {_labels(head)} |" for head in manifest.heads]
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
    steps = ", ".join(str(step) for step in manifest.text_steps)
    lines += [
        "",
        "## Training",
        "",
        "- Text steps before tokenizing: "
        + (f"{steps} (emoji spelled out by their CLDR English names)" if steps else "none")
        + ".",
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
        f"- English only; trained on {_genres(settings.get('tasks'))}, so formal or long text "
        "is out of domain. Texts are cut at the manifest's max_length tokens.",
        _reaction_limit(manifest),
        "- dair-ai emotion and TweetEval are licensed for research use; check their terms before "
        "commercial use.",
        "",
    ]
    return "\n".join(lines)


def _labels(head: HeadSpec) -> str:
    """The labels cell of a head: its labels (the vocabulary's emoji counted, not listed)."""
    if head.kind is HeadKind.EMBEDDING:
        return "384-d sentence vector, distilled towards all-MiniLM-L6-v2's embeddings"
    if head.role is HeadRole.REACTION:
        text = f"{len(head.labels)} emoji of the vocabulary"
    else:
        text = ", ".join(head.labels)
    if head.role is not None:
        text += f": {_ROLES[head.role]}"
    if head.kind is HeadKind.SIGMOID:
        text += " (per-label thresholds tuned on dev)"
    return text


def _genres(tasks: list[str] | None) -> str:
    """The kinds of text the run trained on, from its tasks."""
    genres = []
    for task, genre in _GENRES.items():
        if (tasks is None or task in tasks) and genre not in genres:
            genres.append(genre)
    if len(genres) < 2:
        return "".join(genres) or "its training data"
    return ", ".join(genres[:-1]) + " and " + genres[-1]


def _reaction_limit(manifest: Manifest) -> str:
    reaction = next((h for h in manifest.heads if h.role is HeadRole.REACTION), None)
    if reaction is None:
        return (
            "- The emoji head knows 20 emoji; wider reactions come from the mood map and topical "
            "similarity with the emoji vocabulary (inference/data/emoji_vocabulary.json)."
        )
    return (
        f"- The reaction head scores the {len(reaction.labels)} emoji of the vocabulary "
        "(inference/data/emoji_vocabulary.json) as learned from the response dataset "
        "(data/response); emoji that dataset rarely uses got little training."
    )


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
