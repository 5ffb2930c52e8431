"""Says clearly whether the spec conformance checks ran (they run inside every API test)."""

from __future__ import annotations

import pytest

from tests.api.conformance import SPEC_ENV, conformance, spec_path


def test_the_uitpas_spec_is_available_for_conformance_checks() -> None:
    if spec_path() is None:
        pytest.skip(
            f"{SPEC_ENV} is not set to the UiTPAS API 4.0 spec (../shared/reference/…): "
            "responses are NOT validated against it in this run"
        )
    checker = conformance()
    assert checker is not None
    assert checker.template_for("/rewards/redeemed") == "/rewards/redeemed"
    assert checker.template_for("/passes/1234") == "/passes/{uitpasNumber}"
