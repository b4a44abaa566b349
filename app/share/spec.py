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
import math
import zipfile
import zlib
from typing import Any

import numpy as np
from numpy.lib import format as npformat

from app.config.parse import ConfigError, parse_config
from app.config.run_config import RunConfig

FORMAT = "keras-playground/1"
MAX_SPEC_BYTES = 256 * 1024
MAX_NPZ_BYTES = 8 * 1024 * 1024  # packed, and unpacked
MAX_NPZ_MEMBERS = 256


def N_(message: str) -> str:  # noqa: N802 - gettext's marker name, found by the message extractor
    """Mark an English message id for translation; it is translated where a request is (app/saved.py)."""
    return message


class ImportRefused(ValueError):
    """An upload is not our spec + npz, or does not match its config; ``field`` names the part.

    ``template`` and ``params`` let the web layer translate the message (``gettext(template, **params)``).
    """

    def __init__(self, field: str, template: str, **params: object):
        self.field = field
        self.template = template
        self.params = params
        self.message = template % params if params else template
        super().__init__(self.message)


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
        raise ImportRefused(field, N_("HDF5 (.h5) model files are refused: loading them can run code. "
                                      "Import a Keras Playground JSON spec with .npz weights."))
    if data[:1] == b"\x80":
        raise ImportRefused(field, N_("pickle files are refused: loading them runs code. "
                                      "Import a Keras Playground JSON spec with .npz weights."))
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = archive.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise ImportRefused(field, N_("not a readable zip (.npz) archive")) from None
        names = [m.filename for m in members]
        if any(n in names for n in ("config.json", "model.weights.h5", "metadata.json")):
            raise ImportRefused(field, N_(".keras model files are refused: Keras' safe_mode has been bypassed "
                                          "(CVE-2025-1550). Import a Keras Playground JSON spec with .npz weights."))
        if not names or not all(n.endswith(".npy") for n in names):
            raise ImportRefused(field, N_("not an .npz archive of arrays"))
        # A small archive can unpack to gigabytes (a zip bomb): judge it by its unpacked size before reading it.
        if len(members) > MAX_NPZ_MEMBERS or sum(m.file_size for m in members) > MAX_NPZ_BYTES:
            raise ImportRefused(field, N_("the weights unpack to more than %(mib)s MiB or %(n)s arrays"),
                                mib=MAX_NPZ_BYTES // (1024 * 1024), n=MAX_NPZ_MEMBERS)


def _read_npz(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of an .npz, member by member, never unpickling; each .npy header is checked against
    its member's size first, so a header that promises gigabytes cannot make us allocate them."""
    if data[:2] != b"PK":
        raise ImportRefused("weights", N_("the weights must be an .npz archive (numpy.savez)"))
    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.infolist():
                with archive.open(member) as fp:
                    version = npformat.read_magic(fp)
                    read_header = npformat.read_array_header_1_0 if version == (1, 0) else \
                        npformat.read_array_header_2_0
                    shape, _, dtype = read_header(fp)
                if dtype.hasobject or dtype.itemsize * math.prod(shape) > member.file_size:
                    raise ImportRefused("weights", N_("'%(name)s' is not a plain array of its stated size"),
                                        name=member.filename)
                with archive.open(member) as fp:
                    out[member.filename.removesuffix(".npy")] = npformat.read_array(fp, allow_pickle=False)
    except ImportRefused:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ImportRefused("weights", N_("the weights are not a readable .npz archive (%(error)s)"),
                            error=exc) from None
    return out


def _not_json(constant: str) -> None:
    raise ValueError(constant)


def load_import(spec_bytes: bytes, npz_bytes: bytes) -> tuple[RunConfig, list[np.ndarray]]:
    """Validate an uploaded spec + weights pair; returns the config and weights or raises ImportRefused."""
    if len(spec_bytes) > MAX_SPEC_BYTES:
        raise ImportRefused("spec", N_("the spec is larger than %(kib)s KiB"), kib=MAX_SPEC_BYTES // 1024)
    if len(npz_bytes) > MAX_NPZ_BYTES:
        raise ImportRefused("weights", N_("the weights are larger than %(mib)s MiB"),
                            mib=MAX_NPZ_BYTES // (1024 * 1024))
    _refuse_foreign(spec_bytes, "spec")
    try:  # NaN and Infinity are not JSON; 100,000 nested brackets fit in the size limit
        doc = json.loads(spec_bytes.decode("utf-8"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ImportRefused("spec", N_("the spec is not valid JSON")) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportRefused("spec", N_("the spec's format must be '%(format)s'"), format=FORMAT)
    try:
        config = parse_config(doc.get("config"))
    except ConfigError as exc:
        first = exc.errors[0]
        raise ImportRefused(f"spec.config.{first['field']}", "%(message)s", message=first["message"]) from None
    _refuse_foreign(npz_bytes, "weights")
    stored = _read_npz(npz_bytes)
    arrays = []
    for name, shape in weight_shapes(config):
        key = name.replace("/", "__")
        if key not in stored:
            raise ImportRefused("weights", N_("missing weight '%(name)s'"), name=name)
        array = stored[key]
        if array.shape != shape or array.dtype.kind != "f":
            raise ImportRefused("weights", N_("'%(name)s' must be a float array of shape %(shape)s, got %(got)s"),
                                name=name, shape=shape, got=array.shape)
        if not np.isfinite(array).all():
            raise ImportRefused("weights", N_("'%(name)s' holds NaN or infinite values"), name=name)
        arrays.append(array.astype(np.float32))
    return config, arrays
