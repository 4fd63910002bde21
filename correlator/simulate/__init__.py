"""``correlator simulate``: a synthetic Entra tenant with helpdesk vishing takeovers.

``simulate(SimulationConfig(...))`` builds users, offices, homes, devices and networks, a
background of everyday sign-ins, token refreshes, calls and benign credential changes, and the
labelled attack chains and look-alikes; ``write_simulation`` writes the logs in the real Graph
formats next to GeoIP databases that cover every address used.
"""

from correlator.simulate.core import DEFAULT_START, Simulation, SimulationConfig, simulate
from correlator.simulate.network import GeoData
from correlator.simulate.writer import write_simulation

__all__ = [
    "DEFAULT_START",
    "GeoData",
    "Simulation",
    "SimulationConfig",
    "simulate",
    "write_simulation",
]
