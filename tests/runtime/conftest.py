"""Print the scenario table (alerts compared with replay) at the end of a session."""

from __future__ import annotations

import pytest

from tests.runtime.scenario import OUTCOMES, TABLE_HEAD


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if OUTCOMES:
        terminalreporter.section("stream scenarios compared with replay")
        for line in (*TABLE_HEAD, *(o.row() for o in OUTCOMES)):
            terminalreporter.write_line(line)
