"""The training engine: Keras model, compiled epoch loop, callbacks, live settings, losses, frames.

The only package that imports TensorFlow/Keras for live runs; runs in training processes. May import app.config and
app.data; never Flask or the web layer."""
