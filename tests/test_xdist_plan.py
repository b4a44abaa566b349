"""The plan `make test` uses to share the suite between its two pytest processes (tests/xdist_plan.py)."""

from __future__ import annotations

from tests.xdist_plan import COST, ROOT, heaviest_first, scheduler, unit_of


def test_a_file_is_its_own_unit_and_the_scale_out_files_share_one():
    assert unit_of("tests/browser/test_page.py::test_x[a::b]") == "tests/browser/test_page.py"
    assert unit_of("tests/scaleout/test_celery_runner.py::test_x") == "scaleout"
    assert unit_of("tests/scaleout/test_celery_class.py::test_y") == "scaleout"


def test_units_run_heaviest_first_each_kept_together_and_in_order():
    heavy, light = "tests/test_schemathesis.py", "tests/test_api.py"
    units = [light, "scaleout", light, "scaleout", heavy, "tests/unknown.py", "tests/unknown.py"]
    order = [units[i] for i in heaviest_first(units)]
    assert order == [heavy, "scaleout", "scaleout", light, light, "tests/unknown.py", "tests/unknown.py"]
    assert heaviest_first(units)[1:3] == [1, 3]  # a unit's tests keep their order


def test_every_costed_unit_exists():
    for unit in COST:
        assert unit == "scaleout" or (ROOT / unit).is_file(), unit


def test_the_scheduler_makes_its_work_units_from_unit_of(pytestconfig, monkeypatch):
    monkeypatch.setattr(pytestconfig.option, "tx", ["popen"])
    monkeypatch.setattr(pytestconfig.option, "loadscopereorder", True)  # xdist's default; restored after
    sched = scheduler(pytestconfig, None)
    assert sched._split_scope("tests/scaleout/test_celery_class.py::test_a") == "scaleout"
    assert sched._split_scope("tests/test_api.py::test_b[x]") == "tests/test_api.py"
    assert pytestconfig.option.loadscopereorder is False  # units in collection order (heaviest first), not by size
