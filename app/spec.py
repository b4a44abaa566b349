"""Our model exchange format: a JSON spec (the RunConfig) plus weights in .npz — numpy only.

This is the only model format we import. A `.keras`, `.h5` or pickle upload is refused:
loading those can run code (Keras `safe_mode` has been bypassed, e.g. CVE-2025-1550).
The expected weight shapes follow from the config alone, so an upload is checked before
any TensorFlow sees it.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any

import numpy as np
from flask_babel import gettext

from app.config import ConfigError, RunConfig, parse_config

FORMAT = "keras-playground/1"
MAX_SPEC_BYTES = 256 * 1024
MAX_NPZ_BYTES = 8 * 1024 * 1024


class ImportRefused(ValueError):
    """An upload is not our spec + npz, or does not match its config; ``field`` names the part."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def weight_shapes(config: RunConfig) -> list[tuple[str, tuple[int, ...]]]:
    """Names and shapes of the model's weights, in Keras' get_weights() order, from the config alone."""
    shapes: list[tuple[str, tuple[int, ...]]] = []
    fan_in = len(config.features)
    for i, spec in enumerate(config.layer_specs(), start=1):
        shapes += [(f"hidden_{i}/kernel", (fan_in, spec.units)), (f"hidden_{i}/bias", (spec.units,))]
        if spec.batch_norm:
            shapes += [(f"hidden_{i}_bn/{n}", (spec.units,)) for n in ("gamma", "beta", "moving_mean",
                                                                        "moving_variance")]
        fan_in = spec.units
    units = config.classes if config.classes > 2 else 1
    return shapes + [("output/kernel", (fan_in, units)), ("output/bias", (units,))]


def spec_document(config: RunConfig) -> dict[str, Any]:
    """The JSON spec: format tag, the validated config, and the weight list it expects."""
    return {
        "format": FORMAT,
        "config": config.model_dump(mode="json"),
        "weights": [{"name": n, "shape": list(s)} for n, s in weight_shapes(config)],
    }


def encode_weights(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """Full-precision weights for JSON: base64 of float32 bytes with their shapes."""
    return [
        {"shape": list(a.shape), "data": base64.b64encode(np.ascontiguousarray(a, np.float32).tobytes()).decode()}
        for a in arrays
    ]


def decode_weights(items: list[dict[str, Any]]) -> list[np.ndarray]:
    """Inverse of encode_weights."""
    return [np.frombuffer(base64.b64decode(w["data"]), np.float32).reshape(w["shape"]) for w in items]


def weights_npz(config: RunConfig, arrays: list[np.ndarray]) -> bytes:
    """The weights as an .npz archive, one array per weight name."""
    names = [n.replace("/", "__") for n, _ in weight_shapes(config)]
    buffer = io.BytesIO()
    np.savez(buffer, **dict(zip(names, arrays, strict=True)))
    return buffer.getvalue()


def _refuse_foreign(data: bytes, field: str) -> None:
    if data[:4] == b"\x89HDF":
        raise ImportRefused(field, gettext("HDF5 (.h5) model files are refused: loading them can run code. "
                                           "Import a Keras Playground JSON spec with .npz weights."))
    if data[:1] == b"\x80":
        raise ImportRefused(field, gettext("pickle files are refused: loading them runs code. "
                                           "Import a Keras Playground JSON spec with .npz weights."))
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
        if any(n in names for n in ("config.json", "model.weights.h5", "metadata.json")):
            raise ImportRefused(field, gettext(
                ".keras model files are refused: Keras' safe_mode has been bypassed (CVE-2025-1550). "
                "Import a Keras Playground JSON spec with .npz weights."))
        if not names or not all(n.endswith(".npy") for n in names):
            raise ImportRefused(field, gettext("not an .npz archive of arrays"))


def load_import(spec_bytes: bytes, npz_bytes: bytes) -> tuple[RunConfig, list[np.ndarray]]:
    """Validate an uploaded spec + weights pair; returns the config and weights or raises ImportRefused."""
    if len(spec_bytes) > MAX_SPEC_BYTES:
        raise ImportRefused("spec", gettext("the spec is larger than %(n)s KiB", n=MAX_SPEC_BYTES // 1024))
    if len(npz_bytes) > MAX_NPZ_BYTES:
        raise ImportRefused("weights", gettext("the weights are larger than %(n)s MiB",
                                               n=MAX_NPZ_BYTES // (1024 * 1024)))
    _refuse_foreign(spec_bytes, "spec")
    try:
        doc = json.loads(spec_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ImportRefused("spec", gettext("the spec is not valid JSON")) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportRefused("spec", gettext("the spec's format must be '%(format)s'", format=FORMAT))
    try:
        config = parse_config(doc.get("config"))
    except ConfigError as exc:
        first = exc.errors[0]
        raise ImportRefused(f"spec.config.{first['field']}", first["message"]) from None
    _refuse_foreign(npz_bytes, "weights")
    try:
        with np.load(io.BytesIO(npz_bytes), allow_pickle=False) as archive:
            stored = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        message = gettext("the weights are not a readable .npz archive (%(error)s)", error=exc)
        raise ImportRefused("weights", message) from None
    arrays = []
    for name, shape in weight_shapes(config):
        key = name.replace("/", "__")
        if key not in stored:
            raise ImportRefused("weights", gettext("missing weight '%(name)s'", name=name))
        array = stored[key]
        if array.shape != shape or array.dtype.kind != "f":
            raise ImportRefused("weights", gettext("'%(name)s' must be a float array of shape %(shape)s, got %(got)s",
                                                   name=name, shape=shape, got=array.shape))
        if not np.isfinite(array).all():
            raise ImportRefused("weights", gettext("'%(name)s' holds NaN or infinite values", name=name))
        arrays.append(array.astype(np.float32))
    return config, arrays
