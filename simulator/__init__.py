"""The simulated world: stand-in telecom, finance and police sources with planted fraud and ground truth.

See simulator/README.md for the world and its knobs, simulator/TRUTH.md for the ground truth format.
"""

from simulator.config import SimConfig
from simulator.run import SimSummary, simulate

__all__ = ["SimConfig", "SimSummary", "simulate"]
