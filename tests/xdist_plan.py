"""How `make test` shares the suite between its pytest-xdist processes (`-n 2 --dist loadfile`).

Each file is one unit of work, so its module fixtures (a server, a warm pool) start in one process only; the
scale-out files are one unit, so they share one session cohort (redis + Celery + gunicorn) instead of one per
process. Units start heaviest first (longest-processing-time order): a long file started last would finish alone.
COST is the seconds each unit took in the serial suite (2026-11-30, docs/testing.md); a unit missing from it, or a
figure out of date, only changes the order, never what runs.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # node ids are relative to it

# Files that share a session-scoped fixture costly enough to start once: unit name -> folder under tests/.
SHARED = {"scaleout": "tests/scaleout"}

COST = {
    "tests/test_schemathesis.py": 107, "scaleout": 89, "tests/browser/test_page.py": 86,
    "tests/browser/test_class.py": 76, "tests/browser/test_draw.py": 47, "tests/browser/test_a11y.py": 66,
    "tests/test_runner.py": 60, "tests/stream/test_stream.py": 53, "tests/test_saved.py": 51,
    "tests/test_script_parity.py": 51, "tests/browser/test_course.py": 46, "tests/test_lessons.py": 42,
    "tests/browser/test_share.py": 42, "tests/browser/test_parity.py": 37, "tests/test_tasks.py": 32,
    "tests/test_quiet_start.py": 31, "tests/test_lab.py": 24, "tests/test_hostile_sessions.py": 24,
    "tests/browser/test_sweep_page.py": 22, "tests/browser/test_lab_page.py": 21, "tests/test_codegen.py": 20,
    "tests/test_lesson_outcomes.py": 20, "tests/test_layout.py": 17, "tests/test_course_options.py": 17,
}


def unit_of(nodeid: str) -> str:
    """The unit of work of a test (node id from the project's root): its shared group's name, else its file."""
    path = nodeid.split("::", 1)[0]
    for name, folder in SHARED.items():
        if path.startswith(folder + "/"):
            return name
    return path


def scheduler(config, log):
    """xdist's LoadFileScheduling, its work units being `unit_of` instead of bare files."""
    from xdist.scheduler import LoadFileScheduling

    class UnitScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    # xdist would hand units out by their number of tests (schemathesis' single 100-s test last); keep the
    # collection's order instead, which the workers sorted heaviest first (tests/conftest.py).
    config.option.loadscopereorder = False
    return UnitScheduling(config, log)


def heaviest_first(units: list[str]) -> list[int]:
    """Indexes of `units` (one per test) so that units run heaviest first, each unit's tests together and in order."""
    first: dict[str, int] = {}
    for index, unit in enumerate(units):
        first.setdefault(unit, index)
    return sorted(range(len(units)), key=lambda i: (-COST.get(units[i], 0), first[units[i]], i))
