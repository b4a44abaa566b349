"""Run settings: RunConfig (the one source of every setting), options, lessons, message ids.

Pure pydantic and numpy; may import app.data. Never Flask, TensorFlow or the web layer."""
