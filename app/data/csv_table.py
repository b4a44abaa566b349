"""Read a learner's CSV into a numeric table, with row- and column-level messages (csv + numpy only).

pandas is not a dependency: the csv module reads the cells and every check below
names the row (1-based, counting the header) and the column it is about, so a
learner can fix the file in a spreadsheet. The label column may hold any text
(R/M, cat/dog, 0/1); classes are its distinct values, sorted.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from app.config.text import gettext as _

MAX_ROWS = 10_000
MAX_FEATURES = 100
MAX_CLASSES = 10
MAX_CELL = 200  # characters in one cell (a column name, a number, a label); csv's own limit is 131,072
MAX_ERRORS = 20  # messages reported at most: enough to fix a file, small enough to read
MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
LABEL_NAMES = ("label", "class", "target", "y")


@dataclass(frozen=True)
class Table:
    """A validated upload: features (float32), class indices, and the names behind them."""

    x: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    label_name: str
    classes: list[str]


class CsvError(ValueError):
    """The file cannot be used; ``errors`` are {field, message, row?, column?} for the API's error shape."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _error(message: str, row: int | None = None, column: str | None = None) -> dict:
    out: dict = {"field": "file", "message": message}
    if row is not None:
        out["row"] = row
    if column is not None:
        out["column"] = column
    return out


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError([_error(_("the file is not UTF-8 text (byte %(pos)d); save it as CSV UTF-8",
                                 pos=exc.start))]) from None


def _rows(text: str) -> list[list[str]]:
    """The non-blank rows, each checked as it is read: cells per row and characters per cell (linear time)."""
    end = text.find("\n")
    first = text[: end if end >= 0 else len(text)]
    delimiter = max(",;\t", key=first.count)  # comma, or a spreadsheet's semicolon or tab
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if len(row) > MAX_FEATURES + 1:
                if not rows:
                    raise CsvError([_error(_("the file has %(n)d feature columns; at most %(max)d",
                                             n=len(row) - 1, max=MAX_FEATURES), row=1)])
                raise CsvError([_error(_("line %(row)d has %(n)d cells; at most %(max)d", row=reader.line_num,
                                         n=len(row), max=MAX_FEATURES + 1), row=reader.line_num)])
            long = next((cell for cell in row if len(cell) > MAX_CELL), None)
            if long is not None:
                raise CsvError([_error(_("line %(row)d has a cell of %(n)d characters; at most %(max)d",
                                         row=reader.line_num, n=len(long), max=MAX_CELL), row=reader.line_num)])
            cells = [cell.strip() for cell in row]
            if any(cells):  # blank lines are not rows
                rows.append(cells)
    except csv.Error:  # a cell past csv's own field limit, a lone carriage return inside a cell...
        raise CsvError([_error(_("the file is not a readable CSV; save it again as CSV UTF-8"),
                               row=reader.line_num)]) from None
    return rows


def _header(first: list[str]) -> bool:
    """A first row with a non-numeric cell outside its last column is a header."""
    return any(_number(cell) is None and cell.lower() not in MISSING for cell in first[:-1]) or (
        first[-1].lower() in LABEL_NAMES
    )


def _label_index(names: list[str], label: str | None) -> int:
    if label:
        if label in names:
            return names.index(label)
        raise CsvError([_error(_("there is no column '%(label)s'; the columns are %(names)s",
                                 label=label, names=", ".join(names)), column=label)])
    for i, name in enumerate(names):
        if name.lower() in LABEL_NAMES:
            return i
    return len(names) - 1


def _class_order(values: set[str]) -> list[str]:
    """Numeric labels in numeric order (2 before 10), others alphabetically."""
    if all(_number(v) is not None for v in values):
        return sorted(values, key=lambda v: float(v))
    return sorted(values)


def parse(raw: bytes, label: str | None = None) -> Table:
    """Validate CSV bytes into a Table, or raise CsvError with every problem found (up to MAX_ERRORS)."""
    rows = _rows(_decode(raw))
    if not rows:
        raise CsvError([_error(_("the file is empty"))])
    has_header = _header(rows[0])
    width = len(rows[0])
    names = rows[0] if has_header else [f"x{i + 1}" for i in range(width - 1)] + ["label"]
    body = rows[1:] if has_header else rows
    first_row = 2 if has_header else 1
    if width < 2:
        raise CsvError([_error(_("the file needs at least two columns: features and a label"), row=1)])
    seen: set[str] = set()  # linear, after _rows has bounded the width
    dup = next((n for n in names if n in seen or seen.add(n)), None)  # type: ignore[func-returns-value]
    if dup is not None:
        raise CsvError([_error(_("the column name '%(name)s' appears twice", name=dup), row=1, column=dup)])
    if len(body) > MAX_ROWS:
        raise CsvError([_error(_("the file has %(n)d data rows; at most %(max)d", n=len(body), max=MAX_ROWS))])
    if len(body) < 4:
        raise CsvError([_error(_("the file has %(n)d data rows; at least 4 are needed", n=len(body)))])
    target = _label_index(names, label)
    feature_cols = [i for i in range(width) if i != target]
    errors: list[dict] = []
    x = np.zeros((len(body), len(feature_cols)), dtype=np.float32)
    labels: list[str] = []
    for r, row in enumerate(body):
        line = first_row + r
        if len(row) != width:
            errors.append(_error(_("row %(row)d has %(n)d cells; the first row has %(width)d", row=line,
                                   n=len(row), width=width), row=line))
            labels.append("")
        else:
            labels.append(row[target])
            if row[target].lower() in MISSING:
                errors.append(_error(_("row %(row)d, column '%(col)s': the label is missing", row=line,
                                       col=names[target]), row=line, column=names[target]))
            for j, c in enumerate(feature_cols):
                cell = row[c]
                value = _number(cell)
                if value is None:
                    message = (_("row %(row)d, column '%(col)s': missing value", row=line, col=names[c])
                               if cell.lower() in MISSING else
                               _("row %(row)d, column '%(col)s': '%(cell)s' is not a number", row=line,
                                 col=names[c], cell=cell[:20]))
                    errors.append(_error(message, row=line, column=names[c]))
                else:
                    x[r, j] = value
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise CsvError(errors)
    classes = _class_order(set(labels))
    if len(classes) > MAX_CLASSES:
        raise CsvError([_error(_("column '%(col)s' has %(n)d different labels; at most %(max)d classes",
                                 col=names[target], n=len(classes), max=MAX_CLASSES), column=names[target])])
    if len(classes) < 2:
        raise CsvError([_error(_("column '%(col)s' has a single label; at least two classes are needed",
                                 col=names[target]), column=names[target])])
    index = {name: i for i, name in enumerate(classes)}
    y = np.array([index[v] for v in labels], dtype=np.int64)
    return Table(x, y, [names[c] for c in feature_cols], names[target], classes)
