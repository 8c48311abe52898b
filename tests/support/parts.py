"""A part a test needs that is not on this machine (a PostgreSQL server, the installed CLI):
skipped where a developer runs the tests, a failure where CCAGENT_REQUIRE_ALL_PARTS is set:
CI (`.ci/run`) provides every part, so there a skip would hide a missing install step."""

import os
from typing import NoReturn

import pytest

REQUIRE_ALL = "CCAGENT_REQUIRE_ALL_PARTS"


def absent(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ALL):
        pytest.fail(f"{reason} ({REQUIRE_ALL} is set: this run provides every part)", False)
    pytest.skip(reason)
