"""Uploaded datasets on disk: <dir>/<id>.npz (arrays) + <id>.json (names, owner, expiry); numpy only.

The directory comes from KP_UPLOAD_DIR (default instance/uploads) so the web process
and the spawned training workers, which inherit the environment, read the same files.
An id is a random token: knowing it is what lets a run or a lab job use the data
(as an unlisted link); listing and deleting also need the owner's cookie token.
Files older than KP_UPLOAD_TTL seconds are removed whenever an upload is stored or listed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np

from app.data.csv_table import Table

ROOT = Path(__file__).resolve().parents[2]
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
DOMAIN_HALF = 5.0  # features scaled to [-5, 5]: inside the [-6, 6] map like TF Playground's datasets


def upload_dir() -> Path:
    """Where uploads live (KP_UPLOAD_DIR, created on first use)."""
    path = Path(os.environ.get("KP_UPLOAD_DIR") or ROOT / "instance" / "uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def ttl_seconds() -> float:
    """How long an upload is kept (KP_UPLOAD_TTL, default one day)."""
    return float(os.environ.get("KP_UPLOAD_TTL") or 86_400)


def _paths(upload_id: str) -> tuple[Path, Path] | None:
    if not ID_PATTERN.match(upload_id or ""):
        return None
    base = upload_dir()
    return base / f"{upload_id}.npz", base / f"{upload_id}.json"


def save(table: Table, owner: str, filename: str) -> dict[str, Any]:
    """Store a validated table for an owner; its metadata (with the new id)."""
    cleanup()
    upload_id = secrets.token_urlsafe(12)
    arrays, meta_path = _paths(upload_id)  # type: ignore[misc]
    counts = np.bincount(table.y, minlength=len(table.classes)).tolist()
    now = time.time()
    meta = {
        "id": upload_id, "name": re.sub(r"[^\w. -]", "_", filename or "upload.csv")[:80],
        "rows": int(len(table.y)), "features": table.feature_names, "label": table.label_name,
        "classes": table.classes, "class_counts": counts, "created": now, "expires": now + ttl_seconds(),
        "dataset": f"upload:{upload_id}" if len(table.feature_names) == 2 else None,
    }
    with open(arrays, "wb") as f:
        np.savez(f, x=table.x, y=table.y)
    partial = meta_path.with_suffix(".tmp")
    partial.write_text(json.dumps({**meta, "owner": owner}), encoding="utf-8")
    os.replace(partial, meta_path)  # never a half-written file for cleanup() or a worker to read
    return meta


def meta(upload_id: str) -> dict[str, Any] | None:
    """An upload's metadata (owner included), or None when unknown or expired."""
    paths = _paths(upload_id)
    if paths is None or not paths[1].exists():
        return None
    try:
        data = json.loads(paths[1].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("expires", 0) > time.time() else None


def public(data: dict[str, Any]) -> dict[str, Any]:
    """Metadata as the API shows it (no owner token)."""
    return {k: v for k, v in data.items() if k != "owner"}


def annotate(upload_id: str, **fields: Any) -> dict[str, Any]:
    """Add fields to an upload's metadata (a drawn set's kind and dataset name); its public metadata."""
    data = meta(upload_id)
    if data is None:
        raise LookupError(upload_id)
    data.update(fields)
    _, meta_path = _paths(upload_id)  # type: ignore[misc]
    partial = meta_path.with_suffix(".tmp")
    partial.write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, meta_path)
    return public(data)


def load(upload_id: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Features, class indices and metadata of an upload; LookupError when it is gone."""
    data = meta(upload_id)
    if data is None:
        raise LookupError(upload_id)
    arrays, _ = _paths(upload_id)  # type: ignore[misc]
    with np.load(arrays, allow_pickle=False) as npz:
        return npz["x"], npz["y"], data


def owned(owner: str) -> list[dict[str, Any]]:
    """The owner's uploads, newest first."""
    cleanup()
    found = []
    for path in upload_dir().glob("*.json"):
        data = meta(path.stem)
        if data is not None and secrets.compare_digest(str(data.get("owner", "")), owner):
            found.append(public(data))
    return sorted(found, key=lambda d: d["created"], reverse=True)


def delete(upload_id: str) -> None:
    """Remove an upload's files (missing files are fine)."""
    paths = _paths(upload_id)
    for path in paths or ():
        path.unlink(missing_ok=True)


def cleanup(now: float | None = None) -> int:
    """Delete expired uploads; how many were removed."""
    now = time.time() if now is None else now
    removed = 0
    for path in upload_dir().glob("*.json"):
        try:
            expires = json.loads(path.read_text(encoding="utf-8")).get("expires", 0)
        except (OSError, ValueError):
            expires = 0
        if expires <= now:
            delete(path.stem)
            removed += 1
    return removed


def scale_to_map(x: np.ndarray) -> np.ndarray:
    """Each feature linearly from its [min, max] to [-5, 5] (a constant feature goes to 0)."""
    low, high = x.min(axis=0), x.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    centred = np.where(high > low, (x - low) / span * 2 - 1, 0.0)
    return (centred * DOMAIN_HALF).astype(np.float32)
