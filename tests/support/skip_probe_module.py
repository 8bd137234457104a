"""Run only by tests/test_ci_skips.py: a module that importorskips at collection, as moto's test once did."""

import pytest

pytest.importorskip("samlbroker_no_such_module", reason="the probe's module is not installed")


def test_never_collected() -> None:
    raise AssertionError("the module above skips before this runs")
