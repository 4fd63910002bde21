"""The app for faust's own command line: ``faust -A correlator.runtime.faust_app worker``.

Configured from the environment only (``CORRELATOR_BOOTSTRAP_SERVERS``, ``CORRELATOR_STATE``,
``CORRELATOR_CONFIG``, …: the variables ``correlator run`` reads); importing it builds the app.
"""

from __future__ import annotations

from correlator.cli import tune_gc
from correlator.cli_faust import environment, runtime_from_environment

tune_gc()  # as the correlator command does: far fewer cycle collections per record
runtime = runtime_from_environment(environment())
app = runtime.app
