"""Runners: where training happens. The web layer talks only to the Runner interface (base.py).

embedded.py + pool.py + worker.py: spawned warm processes (active_run.py: one run's rules; schedule.py: which
run trains next; compile_ahead.py: new architectures compiled beside the loop);
celery_*.py + redis_state.py: the scale-out backend;
spawn.py: how every TensorFlow process starts; tasks.py (+ task_slot.py, task_worker.py): the one pool for other
TensorFlow work off the web process (lab folds, .keras exports).
May import app.config and app.engine (in worker processes only); never Flask or the web layer."""
