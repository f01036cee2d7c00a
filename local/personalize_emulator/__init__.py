"""Local Amazon Personalize emulator: control plane, events and runtime on one loopback port.

A development and test dependency, never deployed. See README.md in this folder.
"""

from .backend import Backend
from .errors import ServiceError
from .lifecycle import PROFILES, Steps, Timing
from .resources import Options
from .server import EmulatorServer, RemoteEmulator, make_timing, run_emulator

__all__ = [
    "PROFILES",
    "Backend",
    "EmulatorServer",
    "Options",
    "RemoteEmulator",
    "ServiceError",
    "Steps",
    "Timing",
    "make_timing",
    "run_emulator",
]
