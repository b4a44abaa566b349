"""Datasets: the generators (a name -> generator registry), input features, CSV parsing, upload storage.

numpy only (scikit-learn imported where a generator needs it). May import app.settings and app.config.text
(message ids) only."""
