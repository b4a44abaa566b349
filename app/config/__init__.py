"""Run settings: RunConfig (the one source of every setting), the live-settings list, options, lessons, message ids.

Pure pydantic and numpy; may import app.data. Never Flask, TensorFlow or the web layer."""
