"""Bounds and offered values of the settings, one place: RunConfig validates with them, /api/config serves them."""

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
TFP_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")  # the simple panel; app.config.options has them all

MAX_LAYERS = 8  # TF Playground: 6
MAX_NEURONS = 64  # TF Playground: 8
MAX_EPOCHS = 50_000
MAX_DATASET_NAME = 48  # "upload:" + an upload id (at most 40 characters); built-in names are shorter
MAX_ERRORS = 20  # validation messages reported at most: enough to fix a request, small enough to read
DEFAULT_PACE = 60.0  # epochs/s: TF Playground's one epoch per animation frame
