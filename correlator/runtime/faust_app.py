"""The app for faust's own command line: ``faust -A correlator.runtime.faust_app worker``.

Configured from the environment only (``CORRELATOR_BOOTSTRAP_SERVERS``, ``CORRELATOR_STATE``,
``CORRELATOR_CONFIG``, …: the variables ``correlator run`` reads); importing it builds the app.
"""

from __future__ import annotations

from correlator.cli_faust import environment, runtime_from_environment

runtime = runtime_from_environment(environment())
app = runtime.app
