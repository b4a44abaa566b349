"""Lab jobs: the folds of every configuration on the shared task pool (app/runner/tasks.py).

The web process splits the data (scikit-learn, no TensorFlow) and hands each
(configuration, fold) to the task pool's warm processes (KP_TASK_WORKERS, default 1), apart
from the live runs' paced workers and never in the web process. Folds queue behind .keras
exports (priority), are bounded by the lab's own admission (KP_LAB_MAX_JOBS) and each has a
wall-time limit. Progress and results are kept in memory and read by polling GET /api/lab/jobs/<id>.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from concurrent.futures import Future
from typing import Any

import numpy as np
from flask_babel import gettext as _

from app.lab import worker as lab_worker
from app.lab.plan import MAX_WORK, LabJob
from app.runner import tasks
from app.settings import current

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
FOLD_SECONDS = 900.0  # one fold's wall-time limit: past it, its process is stopped and the job reports it
LAB_PRIORITY = 1  # after .keras exports (0): a download never waits behind a queue of folds


class LabBusy(Exception):
    """Too many lab jobs at once; ``retry_after`` is a hint in seconds."""

    retry_after = 30


class LabInvalid(ValueError):
    """The job cannot run on this data (field, message)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def summarize(results: list[dict[str, Any] | None]) -> dict[str, Any]:
    """Mean and standard deviation (numpy's, ddof 0, as the article) of the finished folds' accuracy."""
    accuracies = [r["accuracy"] for r in results if r]
    if not accuracies:
        return {"mean": None, "std": None, "done": 0}
    return {"mean": round(float(np.mean(accuracies)), 4), "std": round(float(np.std(accuracies)), 4),
            "done": len(accuracies)}


class LabRunner:
    """Submits jobs fold by fold to the task pool and keeps their progress."""

    def __init__(self, max_jobs: int = 2, keep_seconds: float = 3600, pool: tasks.TaskPool | None = None,
                 fold_seconds: float = FOLD_SECONDS) -> None:
        self.max_jobs = max_jobs
        self.keep_seconds = keep_seconds
        self.fold_seconds = fold_seconds
        self.jobs: dict[str, dict[str, Any]] = {}
        self._futures: dict[str, list[Future]] = {}
        self._lock = threading.Lock()
        self._own_pool = pool  # tests pass one; otherwise the web process's shared pool

    @classmethod
    def from_env(cls) -> LabRunner:
        return cls(current().lab_max_jobs)

    def _pool(self) -> tasks.TaskPool:
        return self._own_pool or tasks.shared()

    def submit(self, job: LabJob, y: np.ndarray, classes: list[str]) -> dict[str, Any]:
        """Split, queue every fold, and return the job's first status."""
        from app.lab.folds import splits

        work = sum(len(y) * c.epochs for c in job.configs) * job.folds
        if work > MAX_WORK:
            raise LabInvalid("configs", _("this job is %(work)s row-epochs; at most %(max)s (fewer epochs, folds "
                                          "or configurations)", work=f"{work:,}", max=f"{MAX_WORK:,}"))
        smallest = int(np.bincount(y).min())
        if smallest < job.folds:
            raise LabInvalid("folds", _("the smallest class has %(n)d rows; %(k)d stratified folds need at least "
                                        "%(k)d rows of every class", n=smallest, k=job.folds))
        folds = splits(y, job.folds, job.seed)
        with self._lock:
            self._forget_old()
            if sum(j["state"] in ACTIVE for j in self.jobs.values()) >= self.max_jobs:
                raise LabBusy(_("%(n)d lab jobs are running; try again when one has finished", n=self.max_jobs))
            job_id = secrets.token_urlsafe(9)
            record = {
                "id": job_id, "state": "queued", "dataset": job.dataset, "folds": job.folds, "seed": job.seed,
                "rows": int(len(y)), "classes": classes, "created": time.time(), "elapsed": 0.0, "error": None,
                "progress": {"done": 0, "total": job.folds * len(job.configs)},
                "configs": [{"settings": c.model_dump(), "results": [None] * job.folds, **summarize([])}
                            for c in job.configs],
            }
            self.jobs[job_id] = record
            self._futures[job_id] = []
        try:
            pool = self._pool()
            for f, (train, test) in enumerate(folds):  # fold-major: every configuration advances together
                for c, config in enumerate(job.configs):
                    params = {**config.estimator_params(), "seed": job.seed + f}
                    future = pool.submit(lab_worker.fold, job.dataset, train.tolist(), test.tolist(), params,
                                         timeout=self.fold_seconds, priority=LAB_PRIORITY, bounded=False)
                    future.add_done_callback(lambda fut, c=c, f=f: self._finished(job_id, c, f, fut))
                    self._futures[job_id].append(future)
        except tasks.TaskBusy:
            self._fail(job_id, "the server is restarting; submit the job again")
        return self.status(job_id)

    def _finished(self, job_id: str, c: int, f: int, future: Future) -> None:
        if future.cancelled():
            return
        try:
            result = future.result()
        except tasks.TaskError as exc:  # one job's failure is reported, the pool goes on
            log.warning("lab job %s: fold %d of configuration %d failed: %s", job_id, f, c, exc)
            self._fail(job_id, f"fold {f + 1} of configuration {c + 1} failed: {exc}")
            return
        with self._lock:
            record = self.jobs.get(job_id)
            if record is None or record["state"] not in ACTIVE:
                return
            config = record["configs"][c]
            config["results"][f] = result
            config.update(summarize(config["results"]))
            record["progress"]["done"] += 1
            record["state"] = "running"
            record["elapsed"] = round(time.time() - record["created"], 2)
            if record["progress"]["done"] == record["progress"]["total"]:
                record["state"] = "done"

    def _fail(self, job_id: str, message: str) -> None:
        with self._lock:
            record = self.jobs.get(job_id)
            if record is None or record["state"] not in ACTIVE:
                return
            record.update(state="error", error=message, elapsed=round(time.time() - record["created"], 2))
        for future in self._futures.get(job_id, []):
            future.cancel()

    def status(self, job_id: str) -> dict[str, Any]:
        """A copy of the job's record; KeyError when unknown."""
        with self._lock:
            record = self.jobs[job_id]
            out = {**record, "progress": dict(record["progress"]),
                   "configs": [{**c, "results": list(c["results"])} for c in record["configs"]]}
        if out["state"] in ACTIVE:
            out["elapsed"] = round(time.time() - out["created"], 2)
        return out

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Stop a job: folds not yet started are dropped (a running fold finishes and is ignored)."""
        with self._lock:
            record = self.jobs[job_id]
            if record["state"] in ACTIVE:
                record.update(state="cancelled", elapsed=round(time.time() - record["created"], 2))
        for future in self._futures.get(job_id, []):
            future.cancel()
        return self.status(job_id)

    def _forget_old(self) -> None:
        now = time.time()
        for job_id in [j for j, r in self.jobs.items()
                       if r["state"] not in ACTIVE and now - r["created"] > self.keep_seconds]:
            self.jobs.pop(job_id, None)
            self._futures.pop(job_id, None)

    def shutdown(self) -> None:
        """Cancel the active jobs' waiting folds (the task pool belongs to the web process, not the lab)."""
        for job_id in list(self.jobs):
            if self.jobs[job_id]["state"] in ACTIVE:
                self.cancel(job_id)
