"""What a class does, without HTTP: join, push, freeze, spotlight, end, and the learners' runs seen by the wall.

The wall costs almost nothing: a learner's own event stream already passes through the web process, so `observe`
forwards at most two summaries per learner per second from it to the class's wall channel (no extra subscription).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from app.classes import board, guesses, plan
from app.classes.hub import Hub
from app.classes.ranks import RankNotifier
from app.classes.store import ClassStore
from app.config.run_config import RunConfig

WALL_INTERVAL = 0.5  # seconds between two wall updates of one learner (at most 2 per second)
CLASS_TTL = 2.0  # seconds a wall update may use a cached class (another web process's change shows within it)
TERMINAL = ("done", "error")


class ClassClosed(LookupError):
    """No such class, or it has ended."""


class Frozen(RuntimeError):
    """The teacher froze the class: runs wait for the discussion to end."""


class NotMember(PermissionError):
    """The client has not joined this class."""


class LockedField(ValueError):
    """A learner's run changes a setting the teacher locked."""

    def __init__(self, field: str, value: Any):
        super().__init__(field)
        self.field, self.value = field, value


class ClassService:
    """Classes over a store (lasting state) and a hub (live state); `runner` is the app's runner getter.

    `store` may be a factory: the database is opened on first use, so a run stream in a process where no class
    was ever touched costs one hub look-up and nothing more.
    """

    def __init__(self, store: ClassStore | Callable[[], ClassStore], hub: Hub, runner: Callable[[], Any]) -> None:
        self._store = None if callable(store) else store
        self._make_store = store if callable(store) else None
        self.hub, self.runner = hub, runner
        self._lock = threading.Lock()
        self._classes: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self.ranks = RankNotifier(self)

    @property
    def store(self) -> ClassStore:
        """The class database, opened (and migrated) on first use."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = self._make_store()
        return self._store

    def cached(self, class_id: str) -> dict[str, Any] | None:
        """The class for a wall update: read from the database at most every CLASS_TTL seconds."""
        now = time.monotonic()
        hit = self._classes.get(class_id)
        if hit and now - hit[0] < CLASS_TTL:
            return hit[1]
        klass = self.store.get(class_id)
        self._classes[class_id] = (now, klass)
        return klass

    def _changed(self, klass: dict[str, Any] | None) -> dict[str, Any] | None:
        """A class this process just changed: wall updates see the change at once."""
        if klass is not None:
            self._classes[klass["id"]] = (time.monotonic(), klass)
        return klass

    # --- learners -------------------------------------------------------------------------------------------
    def open_class(self, code: str) -> dict[str, Any]:
        found = self.store.by_code(plan.normalise_code(code))
        if found is None or found["state"] == "ended":
            raise ClassClosed(code)
        return found

    def join(self, code: str, client: str, name: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Join by code with a name (None: a random animal); NameTaken when another learner has it."""
        found = self.open_class(code)
        if name in (None, ""):
            taken = {m["name"] for m in self.store.members(found["id"])}
            name = plan.animal_name(taken)
        member = self.store.join(found["id"], client, name)
        self.hub.publish(found["id"], "wall", "joined", {"learner_id": member["learner_id"],
                                                         "name": None if found["anonymous"] else member["name"]})
        return found, member

    def check_run(self, client: str, config: RunConfig) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Before a run starts: its class membership, or None; Frozen / LockedField when the class refuses it."""
        found = self.store.membership(client)
        if found is None:
            return None
        klass, member = found
        if klass["frozen"]:
            raise Frozen(klass["name"])
        preset = RunConfig.model_validate(klass["preset"])
        field = plan.locked_mismatch(config, preset, klass["locked"])
        if field is not None:
            raise LockedField(field, klass["preset"].get(field))
        return klass, member

    def started(self, membership: tuple[dict, dict], run_id: str, config: RunConfig) -> None:
        """A member's run was accepted: the wall shows it as that learner's current run."""
        klass, member = membership
        self.hub.register_run(run_id, klass["id"], member["learner_id"])
        tile = self._tile(klass, member["learner_id"], member["name"], run_id, "queued",
                          {"epoch": 0}, config.model_dump(mode="json"), plan.config_weights_count(config))
        self.hub.set_tile(klass["id"], member["learner_id"], tile)
        self.hub.publish(klass["id"], "wall", "learner", tile)

    def may_control(self, client: str, run_id: str, action: str, args: dict[str, Any] | None = None) -> None:
        """Resume and step wait while the learner's class is frozen (Frozen); a live `set` or `regenerate` of a
        locked field to another value than the preset's is a LockedField."""
        owner = self.hub.run_owner(run_id) if action in ("resume", "step", "set", "regenerate") else None
        klass = self.store.get(owner[0]) if owner else None
        if not klass or klass["state"] != "open":
            return
        if action in ("resume", "step") and klass["frozen"]:
            raise Frozen(klass["name"])
        for name, value in (args or {}).items():
            if name in klass["locked"] and klass["preset"].get(name) != value:
                raise LockedField(name, klass["preset"].get(name))

    def observe(self, run_id: str, events: Iterable[tuple[int, str, str] | None]) -> Iterator:
        """Pass a run's events through, sending the class wall a summary at most twice a second."""
        owner = self.hub.run_owner(run_id)
        if owner is None:
            yield from events
            return
        class_id, learner_id = owner
        for item in events:
            # Forward before yielding: after the yield this generator sleeps until the run's next event, which
            # would hold the wall's copy back by up to a frame interval (or a heartbeat, for a paused run).
            if item is not None:
                self._maybe_forward(class_id, learner_id, run_id, item)
            yield item

    def _maybe_forward(self, class_id: str, learner_id: str, run_id: str, item: tuple[int, str, str]) -> None:
        _, event, data = item
        if event == "frame" and not self.hub.due(f"{class_id}:{learner_id}", WALL_INTERVAL):
            return
        if event in ("frame", "started", "state", "queued", *TERMINAL):
            try:
                self._forward(class_id, learner_id, run_id, event, json.loads(data))
            except (ValueError, KeyError, TypeError, AttributeError):
                return  # a summary is best effort; the learner's own stream is what matters

    def _forward(self, class_id: str, learner_id: str, run_id: str, event: str, data: dict[str, Any]) -> None:
        if self.hub.current_runs(class_id).get(learner_id) != run_id:
            return  # an older run of the learner still streaming: the tile shows the newest
        old = self.hub.tiles(class_id).get(learner_id) or {}
        klass = self.cached(class_id)
        if klass is None:
            return
        state = {"frame": "training", "started": "training", "queued": "queued", "done": "done",
                 "error": "error"}.get(event) or data.get("state", old.get("state", "training"))
        if state == "running":
            state = "training"
        if event == "done" and "epochs" in data:
            data = {**data, "epoch": data["epochs"]}
        metrics = {**{k: old.get(k) for k in ("epoch", "train_loss", "test_loss", "test_accuracy")},
                   **{k: data[k] for k in ("epoch", "train_loss", "test_loss", "test_accuracy") if k in data}}
        thumbnail = old.get("thumbnail")
        if event == "frame" and data.get("boundary"):  # a weights frame has none: the last one stays (issue 19)
            thumbnail = data["boundary"].get("data")
        weights = (plan.weights_count(data["weights"]) if event == "frame" and data.get("weights")
                   else old.get("weights_count", 0))
        tile = self._tile(klass, learner_id, old.get("name", ""), run_id, state, metrics,
                          old.get("config") or {}, weights, thumbnail)
        self.hub.set_tile(class_id, learner_id, tile)
        self.hub.publish(class_id, "wall", "learner", self._for_wall(klass, tile))
        if event == "done":
            self.store.record(class_id, learner_id, tile, klass["challenge"])
        self.ranks.publish(klass, force=event == "done")

    # --- what learners see of the challenge and what the class guessed --------------------------------------
    def standings(self, klass: dict) -> dict[str, Any] | None:
        """Every learner's rank in the challenge by learner id (no names), or None without a challenge."""
        if not klass.get("challenge"):
            return None
        return guesses.standings(self.leaderboard(klass), klass["challenge"])

    def report_guess(self, client: str, code: str, report: guesses.GuessReport) -> dict[str, Any]:
        """A learner's scored guess for one of their runs; the wall gets the class's new average."""
        klass = self.open_class(code)
        found = self.store.membership(client)
        if found is None or found[0]["id"] != klass["id"]:
            raise NotMember(code)
        learner_id = found[1]["learner_id"]
        if self.hub.run_owner(report.run_id) != (klass["id"], learner_id):
            raise LookupError(report.run_id)
        self.hub.set_guess(klass["id"], learner_id, report.model_dump())
        average = guesses.average(self.hub.guesses(klass["id"]))
        self.hub.publish(klass["id"], "wall", "guesses", average)
        return average

    def guess_average(self, klass: dict) -> dict[str, Any]:
        return guesses.average(self.hub.guesses(klass["id"]))

    def _tile(self, klass: dict, learner_id: str, name: str, run_id: str, state: str, metrics: dict,
              config: dict, weights_count: int, thumbnail: str | None = None) -> dict[str, Any]:
        reached = plan.reached(klass["challenge"], metrics.get("test_loss"), metrics.get("test_accuracy"))
        return {"learner_id": learner_id, "name": name, "run_id": run_id, "state": state,
                "epoch": metrics.get("epoch") or 0, "train_loss": metrics.get("train_loss"),
                "test_loss": metrics.get("test_loss"), "test_accuracy": metrics.get("test_accuracy"),
                "weights_count": weights_count, "reached": reached, "thumbnail": thumbnail, "config": config,
                "differs": plan.differences(config, klass["preset"]) if config else {}}

    @staticmethod
    def _for_wall(klass: dict, tile: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in tile.items() if k != "config"}
        if klass["anonymous"]:
            out["name"] = None
        return out

    def wall_snapshot(self, klass: dict) -> list[dict[str, Any]]:
        """Every learner's tile: live ones from the hub, the others from their membership (idle)."""
        tiles = self.hub.tiles(klass["id"])
        out = []
        for member in self.store.members(klass["id"]):
            tile = tiles.get(member["learner_id"]) or {"learner_id": member["learner_id"], "state": "idle",
                                                      "epoch": 0, "run_id": None, "differs": {}}
            out.append(self._for_wall(klass, {**tile, "name": member["name"]}))
        return out

    # --- teacher --------------------------------------------------------------------------------------------
    def push_preset(self, klass: dict, preset: RunConfig, locked: list[str]) -> dict[str, Any]:
        values = preset.model_dump(mode="json")
        updated = self._changed(self.store.update(klass["id"], preset=values, locked=locked))
        self.hub.publish(klass["id"], "learners", "preset", {"preset": values, "locked": locked})
        self.hub.publish(klass["id"], "wall", "preset", {"preset": values, "locked": locked})
        return updated or klass

    def set_challenge(self, klass: dict, challenge: dict | None) -> dict[str, Any]:
        updated = self._changed(self.store.update(klass["id"], challenge=challenge))
        self.hub.publish(klass["id"], "learners", "challenge", {"challenge": challenge})
        self.hub.publish(klass["id"], "wall", "challenge", {"challenge": challenge})
        return updated or klass

    def freeze(self, klass: dict, frozen: bool) -> dict[str, Any]:
        """Freeze: every learner's current run pauses and the pages disable their controls; unfreeze lifts it."""
        updated = self._changed(self.store.update(klass["id"], frozen=frozen))
        paused = 0
        if frozen:
            for run_id in self.hub.current_runs(klass["id"]).values():
                try:
                    state = self.runner().status(run_id).get("state")
                    if state in ("running", "queued"):
                        self.runner().control(run_id, "pause", {})
                        paused += 1
                except Exception:  # noqa: BLE001 - a finished or expired run has nothing to pause
                    continue
        self.hub.publish(klass["id"], "learners", "freeze", {"frozen": frozen})
        self.hub.publish(klass["id"], "wall", "freeze", {"frozen": frozen, "paused": paused})
        return {**(updated or klass), "paused": paused}

    def spotlight(self, klass: dict, learner_id: str | None) -> dict[str, Any]:
        """The projector follows one learner's current run (None: back to the wall)."""
        run_id = self.hub.current_runs(klass["id"]).get(learner_id) if learner_id else None
        updated = self._changed(self.store.update(klass["id"], spotlight=learner_id))
        names = {m["learner_id"]: m["name"] for m in self.store.members(klass["id"])}
        self.hub.publish(klass["id"], "wall", "spotlight", {
            "learner_id": learner_id, "run_id": run_id,
            "name": None if klass["anonymous"] or not learner_id else names.get(learner_id)})
        return {**(updated or klass), "run_id": run_id}

    def leaderboard(self, klass: dict) -> list[dict[str, Any]]:
        """Each learner's best run ranked by the challenge (app/classes/board.py)."""
        return board.leaderboard(self.store, self.hub, klass)

    def end(self, klass: dict) -> dict[str, Any]:
        for learner_id, tile in self.hub.tiles(klass["id"]).items():
            if tile.get("test_loss") is not None:
                self.store.record(klass["id"], learner_id, tile, klass["challenge"])
        updated = self._changed(self.store.update(klass["id"], ended=True))
        for channel in ("learners", "wall"):
            self.hub.publish(klass["id"], channel, "ended", {"csv_url": f"/api/classes/{klass['id']}/leaderboard.csv"})
        return updated or klass
