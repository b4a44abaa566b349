"""Runners: where training happens. The web layer talks only to the Runner interface (base.py).

embedded.py + pool.py + worker.py: spawned warm processes; celery_*.py + redis_state.py: the scale-out backend.
May import app.config and app.engine (in worker processes only); never Flask or the web layer."""
