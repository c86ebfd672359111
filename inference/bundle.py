"""Loading and validating a model bundle directory."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from moodmoji.inference.errors import BundleError
from moodmoji.inference.manifest import (
    MANIFEST_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    HeadKind,
    Manifest,
    read_manifest,
)
from moodmoji.inference.session import batch_coupled, create_session
from moodmoji.inference.settings import SessionSettings
from moodmoji.inference.text_encoder import TextEncoder

logger = logging.getLogger(__name__)

_PROBE_TEXTS = ("", "hello there 👋")


@dataclass(frozen=True)
class ModelBundle:
    """A validated bundle: manifest, ORT session and text encoder, ready to run.

    Build one with :meth:`load`; the constructor takes ready-made parts (handy in tests).

    Attributes:
        path: The bundle directory.
        manifest: The validated manifest.
        session: The ONNX Runtime session of ``model.onnx``.
        encoder: The tokenizer wrapper producing the inputs the graph declares.
        row_wise: Whether texts must run one at a time because the graph couples the rows of a
            batch (dynamic activation quantisation, see :func:`inference.session.batch_coupled`).
        fingerprint: A digest of the graph, tokenizer and manifest files: two bundles with the
            same fingerprint give the same outputs (keys saved embeddings).

    """

    path: Path
    manifest: Manifest
    session: ort.InferenceSession
    encoder: TextEncoder
    row_wise: bool = False
    fingerprint: str = ""

    @classmethod
    def load(cls, path: Path | str, settings: SessionSettings | None = None) -> ModelBundle:
        """Loads and validates a bundle directory.

        Checks that every file is present and readable, that the graph's inputs are those the
        manifest declares, that every head's output exists, and (by running two probe texts)
        that each classifier output is as wide as its label list.

        Args:
            path: The bundle directory.
            settings: ORT session settings; defaults when omitted.

        Returns:
            The ready bundle.

        Raises:
            BundleError: Anything is missing or inconsistent; the message names the file.

        """
        directory = Path(path)
        if not directory.is_dir():
            raise BundleError(directory, "model bundle directory does not exist")
        manifest = read_manifest(directory / MANIFEST_FILE)
        model_path = directory / MODEL_FILE
        session = create_session(model_path, settings or SessionSettings())
        _check_io(manifest, session, model_path)
        encoder = TextEncoder.from_file(
            directory / TOKENIZER_FILE, manifest.max_length, manifest.inputs
        )
        bundle = cls(
            path=directory,
            manifest=manifest,
            session=session,
            encoder=encoder,
            row_wise=batch_coupled(model_path),
            fingerprint=fingerprint(directory),
        )
        bundle.probe()
        logger.info(
            "loaded model bundle %s (%s, heads: %s)",
            directory,
            manifest.name,
            ", ".join(h.name for h in manifest.heads),
        )
        return bundle

    def output_names(self) -> list[str]:
        """Graph outputs the heads read, each once, in manifest order."""
        return list(dict.fromkeys(h.output for h in self.manifest.heads))

    def probe(self) -> None:
        """Runs two texts through the graph and checks each head's output shape.

        Raises:
            BundleError: An output is not (batch, width) or its width differs from the labels.

        """
        model_path = self.path / MODEL_FILE
        batch = self.encoder.encode(list(_PROBE_TEXTS))
        names = self.output_names()
        try:
            outputs = dict(zip(names, self.session.run(names, batch.arrays), strict=True))
        except Exception as exc:  # ORT raises its own types for shape and type errors
            first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            raise BundleError(model_path, f"a probe run failed ({first})") from None
        for head in self.manifest.heads:
            value = np.asarray(outputs[head.output])
            if value.ndim != 2 or value.shape[0] != len(_PROBE_TEXTS):
                raise BundleError(
                    model_path,
                    f"output {head.output!r} of head {head.name!r} has shape {value.shape}, "
                    "expected (batch, width)",
                )
            if head.kind is not HeadKind.EMBEDDING and value.shape[1] != len(head.labels):
                raise BundleError(
                    self.path / MANIFEST_FILE,
                    f"head {head.name!r} declares {len(head.labels)} labels but output "
                    f"{head.output!r} of {MODEL_FILE} has width {value.shape[1]}",
                )


def fingerprint(directory: Path) -> str:
    """A SHA-256 over a bundle's graph, tokenizer and manifest files (hex)."""
    digest = hashlib.sha256()
    for name in (MODEL_FILE, TOKENIZER_FILE, MANIFEST_FILE):
        try:
            with (directory / name).open("rb") as stream:
                digest.update(name.encode() + b"\x00")
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except OSError:
            digest.update(b"missing:" + name.encode())
    return digest.hexdigest()


def _check_io(manifest: Manifest, session: ort.InferenceSession, model_path: Path) -> None:
    graph_inputs = {i.name for i in session.get_inputs()}
    declared = set(manifest.inputs)
    if graph_inputs != declared:
        raise BundleError(
            model_path,
            f"graph inputs {sorted(graph_inputs)} differ from the inputs {sorted(declared)} "
            f"declared in {MANIFEST_FILE}",
        )
    graph_outputs = [o.name for o in session.get_outputs()]
    for head in manifest.heads:
        if head.output not in graph_outputs:
            raise BundleError(
                model_path,
                f"graph has no output {head.output!r} (declared by head {head.name!r} in "
                f"{MANIFEST_FILE}); outputs are {graph_outputs}",
            )
