"""Sweeps: plan (expansion, results table; pure), state (a sweep and its trials), jobs (the scheduler), views.

May import app.config, app.runner, app.share (the store). No TensorFlow."""
