"""Saved runs and finished sweeps in a real database: SQLite by default, any SQLAlchemy URL by KP_DATABASE_URL.

A teacher saves a run (config, final figures, curves, weights) and shares its link;
learners open and fork it. Renaming and deleting need the edit token handed out once
at save time (only its hash is stored). A sweep is stored when it ends, so its table
can be shown from a link in a later class. The schema comes from Alembic migrations.
Each saved run records a hash of the client that saved it and its size, so a client's count and
bytes can be held to a quota; non-finite numbers are stored and served as null (JSON has no NaN).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import DateTime, Integer, String, Text, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, defer, mapped_column

MIGRATIONS = Path(__file__).with_name("migrations")
ID = re.compile(r"[A-Za-z0-9_-]{1,16}")  # what token_urlsafe ids fit in String(16); PostgreSQL refuses longer or NUL


def possible_id(value: object) -> bool:
    """True when `value` could be a stored id; any other is not looked up (PostgreSQL would raise, SQLite not)."""
    return isinstance(value, str) and ID.fullmatch(value) is not None


def clean_name(name: str) -> str:
    """The name without NUL characters, which PostgreSQL's text columns cannot hold."""
    return name.replace("\x00", "")


class Base(DeclarativeBase):
    pass


class SavedRun(Base):
    """One saved run. JSON columns are text so any database holds them."""

    __tablename__ = "saved_runs"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    config: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    history: Mapped[str] = mapped_column(Text)
    weights: Mapped[str] = mapped_column(Text)
    forked_from: Mapped[str | None] = mapped_column(String(16), nullable=True)
    edit_token_hash: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)


class StoredSweep(Base):
    """A finished sweep: its full view (app.sweeps.state.Sweep.view) as JSON text."""

    __tablename__ = "sweeps"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16))
    data: Mapped[str] = mapped_column(Text)


class Forbidden(PermissionError):
    """The edit token is missing or wrong."""


class QuotaExceeded(Exception):
    """The client already keeps its quota of saved runs (``kind``: count or bytes, ``limit``)."""

    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(kind)
        self.kind, self.limit = kind, limit


def _finite(value: Any) -> Any:
    """The value with NaN and infinities as None (a diverged run's loss is NaN; JSON has none)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_finite(value), allow_nan=False)


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=lambda _: None)  # rows stored before NaN was refused


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    # SQLite drops the time zone; every stored time is UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _public(row: SavedRun, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "forked_from": row.forked_from,
        "summary": _loads(row.summary),
        "config": _loads(row.config),
    }
    if full:
        out["history"] = _loads(row.history)
        out["weights"] = _loads(row.weights)
    return out


_UPGRADE_LOCK = threading.Lock()


def upgrade(url: str) -> None:
    """Bring the database schema to the newest migration (idempotent).

    One at a time in a process: two stores made by concurrent first requests (saved runs, classes) would
    otherwise both create `alembic_version` on a fresh database.
    """
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with _UPGRADE_LOCK:
        command.upgrade(cfg, "head")


class SavedStore:
    """CRUD over saved runs; finished sweeps are written once and read."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        upgrade(url)
        self.engine = create_engine(url)

    def save(self, name: str, config: dict, summary: dict, history: dict, weights: list,
             forked_from: str | None = None, owner: str | None = None,
             quota: tuple[int, int] | None = None) -> tuple[dict[str, Any], str]:
        """Store a run; returns its public record and the edit token (shown once).

        With an owner (a client key) and a quota (runs, bytes), QuotaExceeded when the owner's saved
        runs would pass either.
        """
        token = secrets.token_urlsafe(18)
        now = _now()
        texts = {"config": _dumps(config), "summary": _dumps(summary), "history": _dumps(history),
                 "weights": _dumps(weights)}
        name = clean_name(name)
        size = sum(len(t) for t in texts.values()) + len(name)
        row = SavedRun(id=secrets.token_urlsafe(9)[:12], name=name, created_at=now, updated_at=now,
                       forked_from=None, edit_token_hash=_hash(token), size=size,
                       owner=_hash(owner) if owner else None, **texts)
        with Session(self.engine) as session, session.begin():
            if owner and quota:
                self._check_quota(session, row.owner, size, quota)
            if possible_id(forked_from) and session.get(SavedRun, forked_from) is not None:
                row.forked_from = forked_from  # a link only to a run that exists
            session.add(row)
            session.flush()
            record = _public(row, full=False)
        return record, token

    def _check_quota(self, session: Session, owner: str | None, size: int, quota: tuple[int, int]) -> None:
        count, used = session.execute(select(func.count(), func.coalesce(func.sum(SavedRun.size), 0))
                                      .where(SavedRun.owner == owner)).one()
        if count >= quota[0]:
            raise QuotaExceeded("count", quota[0])
        if used + size > quota[1]:
            raise QuotaExceeded("bytes", quota[1])

    def get(self, run_id: str) -> dict[str, Any] | None:
        """The full record (with curves and weights), or None."""
        if not possible_id(run_id):
            return None
        with Session(self.engine) as session:
            row = session.get(SavedRun, run_id)
            return _public(row, full=True) if row else None

    def list(self, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Newest first, without curves and weights; and the total count."""
        with Session(self.engine) as session:
            rows = session.scalars(  # the large columns are never read for a list
                select(SavedRun).options(defer(SavedRun.history), defer(SavedRun.weights))
                .order_by(SavedRun.created_at.desc()).limit(limit).offset(offset)
            ).all()
            total = session.scalar(select(func.count()).select_from(SavedRun))
            return [_public(r, full=False) for r in rows], int(total or 0)

    def _owned(self, session: Session, run_id: str, token: str | None) -> SavedRun | None:
        row = session.get(SavedRun, run_id) if possible_id(run_id) else None
        if row is None:
            return None
        if not token or not hmac.compare_digest(row.edit_token_hash, _hash(token)):
            raise Forbidden("this saved run can only be changed with its edit token")
        return row

    def rename(self, run_id: str, token: str | None, name: str) -> dict[str, Any] | None:
        """Rename (needs the edit token); None when there is no such run."""
        with Session(self.engine) as session, session.begin():
            row = self._owned(session, run_id, token)
            if row is None:
                return None
            row.name, row.updated_at = clean_name(name), _now()
            return _public(row, full=False)

    def delete(self, run_id: str, token: str | None) -> bool:
        """Delete (needs the edit token); False when there is no such run."""
        with Session(self.engine) as session, session.begin():
            row = self._owned(session, run_id, token)
            if row is None:
                return False
            session.delete(row)
            return True

    def save_sweep(self, sweep_id: str, state: str, view: dict[str, Any]) -> None:
        """Store a finished sweep's full view (written again if it was stored before)."""
        with Session(self.engine) as session, session.begin():
            session.merge(StoredSweep(id=sweep_id, created_at=_now(), state=state,
                                      data=json.dumps(view, separators=(",", ":"))))

    def get_sweep(self, sweep_id: str) -> dict[str, Any] | None:
        """A stored sweep's full view, or None."""
        if not possible_id(sweep_id):
            return None
        with Session(self.engine) as session:
            row = session.get(StoredSweep, sweep_id)
            return json.loads(row.data) if row else None
