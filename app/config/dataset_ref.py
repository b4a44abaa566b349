"""A dataset name of a RunConfig (built-in, or upload:<id>) to its description; an unusable upload says why."""

from __future__ import annotations

from app.config.text import gettext
from app.data.datasets import DatasetInfo, UploadUnusable, lookup


def find_dataset(name: str) -> DatasetInfo | None:
    """app.data.datasets.lookup, with an unusable upload's message in the reader's language."""
    try:
        return lookup(name)
    except UploadUnusable as exc:
        raise ValueError("dataset: " + gettext(exc.msgid, **exc.params)) from None

