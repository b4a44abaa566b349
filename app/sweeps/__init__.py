"""Sweeps: plan (grid/random expansion, results table; pure), jobs (runs through the runner), views (blueprint).

May import app.config, app.runner, app.share (the store). No TensorFlow."""
