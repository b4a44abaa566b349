"""Saved runs and exports: the store (SQLAlchemy + Alembic migrations), the spec, the Python script, .keras.

Plan modules are pure; views.py is the blueprint. May import app.config, app.data, app.runner; TF only in a worker."""
