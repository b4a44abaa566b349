"""The Sonar lab: plan (the job and its limits; pure), folds, the Keras model, jobs (a process pool), views.

TensorFlow only in worker.py/model.py, which run in the lab's own processes. May import app.config and app.data."""
