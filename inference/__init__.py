"""moodmoji's ONNX Runtime inference core.

Model bundles, text hygiene, tokenization, ORT sessions, the engine that turns texts into
per-head results, an asyncio micro-batcher, and (behind the ``export`` extra) the exporter that
turns Hugging Face checkpoints into bundles. Nothing here imports a platform library.
"""
