"""Uploaded datasets on disk: <dir>/<id>.npz (arrays) + <id>.json (names, owner, expiry); numpy only.

The directory comes from KP_UPLOAD_DIR (default instance/uploads) so the web process
and the spawned training workers, which inherit the environment, read the same files.
An id is a random token: knowing it is what lets a run or a lab job use the data
(as an unlisted link); listing and deleting also need the owner's cookie token.
Each owner has a folder of markers, <dir>/owners/<owner>/<id> holding the upload's bytes on disk,
so listing an owner's uploads and checking their quota (KP_UPLOADS_PER_OWNER uploads,
KP_UPLOAD_QUOTA_MIB MiB) read only that owner's files, never every upload's metadata.
Files older than KP_UPLOAD_TTL seconds are removed at most once a minute, when an upload is stored or listed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from app.data.csv_table import Table
from app.settings import current

ROOT = Path(__file__).resolve().parents[2]
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
DOMAIN_HALF = 5.0  # features scaled to [-5, 5]: inside the [-6, 6] map like TF Playground's datasets
CLEANUP_EVERY = 60.0  # seconds between automatic sweeps of expired uploads (per process)
_lock = threading.Lock()  # quota check and save as one step within a process
_last_cleanup: dict[str, float] = {}


class QuotaExceeded(Exception):
    """The owner's uploads already use their count or byte quota; ``retry_after`` is when the oldest expires."""

    def __init__(self, kind: str, limit: int, retry_after: int) -> None:
        super().__init__(kind)
        self.kind, self.limit, self.retry_after = kind, limit, retry_after


def upload_dir() -> Path:
    """Where uploads live (KP_UPLOAD_DIR, created on first use)."""
    path = Path(current().upload_dir or ROOT / "instance" / "uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def ttl_seconds() -> float:
    """How long an upload is kept (KP_UPLOAD_TTL, default one day)."""
    return current().upload_ttl


def quota() -> tuple[int, int]:
    """(uploads, bytes) one owner may keep at once: KP_UPLOADS_PER_OWNER (20), KP_UPLOAD_QUOTA_MIB (40)."""
    settings = current()
    return settings.uploads_per_owner, int(settings.upload_quota_mib * 1024 * 1024)


def _owner_dir(owner: str) -> Path:
    return upload_dir() / "owners" / owner


def _markers(owner: str) -> list[tuple[str, int]]:
    """(upload id, bytes) of the owner's live uploads; markers whose upload is gone are removed."""
    folder = _owner_dir(owner)
    if not ID_PATTERN.match(owner) or not folder.is_dir():
        return []
    found = []
    for entry in os.scandir(folder):
        paths = _paths(entry.name)
        if paths is None or not paths[1].exists():
            Path(entry.path).unlink(missing_ok=True)
            continue
        try:
            found.append((entry.name, int(Path(entry.path).read_text() or 0)))
        except (OSError, ValueError):
            found.append((entry.name, 0))
    return found


def check_quota(owner: str, incoming: int) -> None:
    """Raise QuotaExceeded when storing `incoming` more bytes would pass the owner's count or byte quota."""
    max_count, max_bytes = quota()
    markers = _markers(owner)
    kind = ("count", max_count) if len(markers) >= max_count else (
        ("bytes", max_bytes) if sum(size for _, size in markers) + incoming > max_bytes else None)
    if kind is None:
        return
    expiries = [data["expires"] for data in (meta(upload_id) for upload_id, _ in markers) if data]
    retry = max(1, int(min(expiries, default=time.time() + 60) - time.time()))
    raise QuotaExceeded(kind[0], kind[1], retry)


def _paths(upload_id: str) -> tuple[Path, Path] | None:
    if not ID_PATTERN.match(upload_id or ""):
        return None
    base = upload_dir()
    return base / f"{upload_id}.npz", base / f"{upload_id}.json"


def save(table: Table, owner: str, filename: str) -> dict[str, Any]:
    """Store a validated table for an owner within their quota; its metadata (with the new id)."""
    _maybe_cleanup()
    with _lock:
        check_quota(owner, table.x.nbytes + table.y.nbytes + 1024)  # arrays and about 1 KiB of headers, metadata
        return _write(table, owner, filename)


def _write(table: Table, owner: str, filename: str) -> dict[str, Any]:
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
    folder = _owner_dir(owner)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / upload_id).write_text(str(arrays.stat().st_size + meta_path.stat().st_size))
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
    """The owner's uploads, newest first (only the owner's own files are read)."""
    _maybe_cleanup()
    found = []
    for upload_id, _size in _markers(owner):
        data = meta(upload_id)
        if data is not None and secrets.compare_digest(str(data.get("owner", "")), owner):
            found.append(public(data))
    return sorted(found, key=lambda d: d["created"], reverse=True)


def delete(upload_id: str) -> None:
    """Remove an upload's files (missing files are fine)."""
    paths = _paths(upload_id)
    for path in paths or ():
        path.unlink(missing_ok=True)


def _maybe_cleanup() -> None:
    """cleanup(), at most once per CLEANUP_EVERY seconds per upload directory in this process."""
    key, now = str(upload_dir()), time.monotonic()
    if now - _last_cleanup.get(key, -CLEANUP_EVERY) >= CLEANUP_EVERY:
        _last_cleanup[key] = now
        cleanup()


def cleanup(now: float | None = None) -> int:
    """Delete expired uploads (judged by file age, without reading them); how many were removed.

    Owners' markers of removed uploads go when their owner next lists or uploads.
    """
    now = time.time() if now is None else now
    ttl = ttl_seconds()
    removed = 0
    for entry in os.scandir(upload_dir()):
        if entry.name.endswith(".json") and entry.is_file() and entry.stat().st_mtime + ttl <= now:
            delete(entry.name.removesuffix(".json"))
            removed += 1
    return removed


def scale_to_map(x: np.ndarray) -> np.ndarray:
    """Each feature linearly from its [min, max] to [-5, 5] (a constant feature goes to 0)."""
    low, high = x.min(axis=0), x.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    centred = np.where(high > low, (x - low) / span * 2 - 1, 0.0)
    return (centred * DOMAIN_HALF).astype(np.float32)
