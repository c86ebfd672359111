"""Static int8 quantisation: weights and activations to int8 with scales fixed at export.

Dynamic quantisation (:func:`inference.export.onnx_graph.quantize_weights`) measures each
activation's range at run time over the whole batch, so a text's result shifts with its
batch-mates and such a graph must run one text at a time. Static quantisation measures the
ranges once, on calibration texts, and writes them into the graph (QDQ format: per-channel int8
weights, uint8 activations, MinMax calibration). Every text then gets the same answer alone or
in any batch, and ONNX Runtime runs the quantised MatMuls as ``MatMulIntegerToFloat`` kernels.

``MatMul`` nodes and the embedding ``Gather`` are quantised; MatMul outputs stay float, as they
feed fused float kernels (attention, layer norm, GELU).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from moodmoji.inference.errors import ExportError

logger = logging.getLogger(__name__)

Feeds = Mapping[str, npt.NDArray[np.int64]]


def quantize_static_int8(fp32_path: Path, path: Path, calibration: Sequence[Feeds]) -> Path:
    """Writes a statically int8-quantised copy of a graph.

    Args:
        fp32_path: The fp32 graph; contrib operator outputs must be typed (see
            :func:`inference.export.fusion.declare_contrib_outputs`).
        path: Where to write the int8 graph.
        calibration: Model inputs whose activation ranges set the scales; one text per feed
            measures what single texts produce (padding never enters a range).

    Returns:
        ``path``.

    Raises:
        ExportError: No calibration data, or quantisation failed.

    """
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    if not calibration:
        raise ExportError(f"{fp32_path.name}: static int8 needs calibration texts")

    class _Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._feeds: Iterator[Feeds] = iter(calibration)

        def get_next(self) -> dict[str, npt.NDArray[np.int64]] | None:
            feed = next(self._feeds, None)
            return dict(feed) if feed is not None else None

        def rewind(self) -> None:
            self._feeds = iter(calibration)

    try:
        quantize_static(
            str(fp32_path),
            str(path),
            _Reader(),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["MatMul", "Gather"],
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"OpTypesToExcludeOutputQuantization": ["MatMul"]},
        )
    except Exception as exc:  # onnxruntime raises plain exceptions here
        raise ExportError(f"{fp32_path.name}: static int8 quantisation failed ({exc})") from None
    logger.info("static int8 graph calibrated on %d inputs", len(calibration))
    return path
