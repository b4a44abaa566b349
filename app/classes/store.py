"""Classes, their learners and each learner's best run, in the app's database (migration 0003).

A class survives a restart of the web process: the wall rebuilds its tiles from the learners' live runs,
and the leaderboard from the results stored here when runs end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from app.classes.plan import CODE_LENGTH, better, new_code


class Base(DeclarativeBase):
    pass


class ClassRow(Base):
    __tablename__ = "classes"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    teacher_token_hash: Mapped[str] = mapped_column(String(64))
    preset: Mapped[str] = mapped_column(Text)
    locked: Mapped[str] = mapped_column(Text)
    challenge: Mapped[str | None] = mapped_column(Text, nullable=True)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    frozen: Mapped[bool] = mapped_column(Boolean)
    spotlight: Mapped[str | None] = mapped_column(String(16), nullable=True)


class MemberRow(Base):
    __tablename__ = "class_members"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    class_id: Mapped[str] = mapped_column(String(16), index=True)
    client: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(40))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResultRow(Base):
    __tablename__ = "class_results"

    class_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(40))
    config: Mapped[str] = mapped_column(Text)
    epoch: Mapped[int] = mapped_column(Integer)
    train_loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    test_loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    test_accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    weights_count: Mapped[int] = mapped_column(Integer)
    reached: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NameTaken(ValueError):
    """Another learner of the class uses this name."""


class NotTeacher(PermissionError):
    """The teacher token is missing or wrong."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def public(row: ClassRow) -> dict[str, Any]:
    """What learners and the teacher may both see of a class (never the token)."""
    return {
        "id": row.id, "code": row.code, "name": row.name, "created_at": _iso(row.created_at),
        "state": "ended" if row.ended_at else "open", "frozen": row.frozen, "anonymous": row.anonymous,
        "preset": json.loads(row.preset), "locked": json.loads(row.locked),
        "challenge": json.loads(row.challenge) if row.challenge else None, "spotlight": row.spotlight,
    }


def _member(row: MemberRow) -> dict[str, Any]:
    return {"learner_id": row.id, "name": row.name, "joined_at": _iso(row.joined_at)}


def _result(row: ResultRow, name: str) -> dict[str, Any]:
    return {"learner_id": row.learner_id, "name": name, "run_id": row.run_id, "config": json.loads(row.config),
            "epoch": row.epoch, "train_loss": row.train_loss, "test_loss": row.test_loss,
            "test_accuracy": row.test_accuracy, "weights_count": row.weights_count, "reached": row.reached}


class ClassStore:
    """CRUD over classes; the schema comes from the app's Alembic migrations (app.share.store.upgrade)."""

    def __init__(self, url: str) -> None:
        from app.share.store import upgrade

        upgrade(url)
        self.engine = create_engine(url)

    def create(self, name: str, preset: dict, locked: list[str], challenge: dict | None,
               anonymous: bool) -> tuple[dict[str, Any], str]:
        """A new class with a fresh code; returns its public record and the teacher token (shown once)."""
        token = secrets.token_urlsafe(18)
        for _ in range(20):
            row = ClassRow(id=secrets.token_urlsafe(9)[:12], code=new_code(), name=name, created_at=_now(),
                           ended_at=None, teacher_token_hash=_hash(token), preset=json.dumps(preset),
                           locked=json.dumps(locked), challenge=json.dumps(challenge) if challenge else None,
                           anonymous=anonymous, frozen=False, spotlight=None)
            try:
                with Session(self.engine) as session, session.begin():
                    session.add(row)
                    session.flush()
                    return public(row), token
            except IntegrityError:
                continue  # a code collision: draw another
        raise RuntimeError("could not draw a free class code")

    def get(self, class_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.get(ClassRow, class_id[:16])
            return public(row) if row else None

    def by_code(self, code: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.scalar(select(ClassRow).where(ClassRow.code == code[:CODE_LENGTH + 2]))
            return public(row) if row else None

    def check_teacher(self, class_id: str, token: str | None) -> dict[str, Any] | None:
        """The class when the token is its teacher's; None when there is no such class; NotTeacher otherwise."""
        with Session(self.engine) as session:
            row = session.get(ClassRow, class_id[:16])
            if row is None:
                return None
            if not token or not hmac.compare_digest(row.teacher_token_hash, _hash(token[:200])):
                raise NotTeacher("this needs the class's teacher token (header X-Teacher-Token)")
            return public(row)

    def update(self, class_id: str, **fields: Any) -> dict[str, Any] | None:
        """Change preset, locked, challenge, frozen, spotlight or end the class (ended=True)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(ClassRow, class_id)
            if row is None:
                return None
            for key, value in fields.items():
                if key in ("preset", "locked"):
                    setattr(row, key, json.dumps(value))
                elif key == "challenge":
                    row.challenge = json.dumps(value) if value else None
                elif key == "ended":
                    row.ended_at = row.ended_at or _now()
                else:
                    setattr(row, key, value)
            return public(row)

    def join(self, class_id: str, client: str, name: str) -> dict[str, Any]:
        """Add a learner (or return the client's existing membership); NameTaken when another has the name."""
        with Session(self.engine) as session, session.begin():
            members = session.scalars(select(MemberRow).where(MemberRow.class_id == class_id)).all()
            mine = next((m for m in members if m.client == client), None)
            if any(m.name.casefold() == name.casefold() and m is not mine for m in members):
                raise NameTaken(name)
            if mine is not None:
                mine.name = name
                return _member(mine)
            row = MemberRow(id=secrets.token_urlsafe(9)[:12], class_id=class_id, client=client, name=name,
                            joined_at=_now())
            session.add(row)
            session.flush()
            return _member(row)

    def members(self, class_id: str) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            rows = session.scalars(select(MemberRow).where(MemberRow.class_id == class_id)
                                   .order_by(MemberRow.joined_at)).all()
            return [_member(r) for r in rows]

    def membership(self, client: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The open class this client joined last, and its membership; None when it is in none."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(MemberRow, ClassRow).join(ClassRow, ClassRow.id == MemberRow.class_id)
                .where(MemberRow.client == client, ClassRow.ended_at.is_(None))
                .order_by(MemberRow.joined_at.desc()).limit(1)).first()
            return (public(rows[1]), _member(rows[0])) if rows else None

    def record(self, class_id: str, learner_id: str, entry: dict[str, Any], challenge: dict | None) -> bool:
        """Keep the entry as the learner's best run when it ranks above the stored one; True when kept."""
        with Session(self.engine) as session, session.begin():
            row = session.get(ResultRow, (class_id, learner_id))
            old = _result(row, "") if row else None
            if not better(challenge, entry, old):
                return False
            values = dict(run_id=entry["run_id"], config=json.dumps(entry.get("config") or {}),
                          epoch=int(entry.get("epoch") or 0), train_loss=entry.get("train_loss"),
                          test_loss=entry.get("test_loss"), test_accuracy=entry.get("test_accuracy"),
                          weights_count=int(entry.get("weights_count") or 0), reached=bool(entry.get("reached")),
                          updated_at=_now())
            if row is None:
                session.add(ResultRow(class_id=class_id, learner_id=learner_id, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            return True

    def results(self, class_id: str) -> list[dict[str, Any]]:
        """Every learner's best stored run, with the learner's name."""
        with Session(self.engine) as session:
            names = {m.id: m.name for m in session.scalars(select(MemberRow).where(MemberRow.class_id == class_id))}
            rows = session.scalars(select(ResultRow).where(ResultRow.class_id == class_id)).all()
            return [_result(r, names.get(r.learner_id, "")) for r in rows]
