"""Device emulators over real pseudo-terminals, for the tests and the demo.

Each emulator opens a pty, exposes it as a stable *port link* ``<dir>/<kind>.tty`` (the path to
put in the kiosk's configuration) and listens on ``<dir>/control.sock`` for JSON requests from
any process (faults, scans, unplug/plug): see ``control``, ``printer`` and ``scanner``.
"""

from devices.emulators.printer import FAULTS, PrinterEmulator
from devices.emulators.scanner import ScannerEmulator

__all__ = ["FAULTS", "PrinterEmulator", "ScannerEmulator"]
