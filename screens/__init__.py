"""The customer's touch interface (Kivy). The only package that imports Kivy; it talks to the core
in ``kiosk`` and never to a device or the network.

Kivy reads its environment once, when it is first imported, which any module of this package
may do; so it is set here, before any of them runs.
"""

import os as _os

# Kivy would otherwise parse the host program's arguments (pytest's, the CLI's).
_os.environ["KIVY_NO_ARGS"] = "1"
# Kivy's log lines go through the standard logging set up by kiosk.logs, from warning up. In its
# default mode Kivy puts its own handlers on the root logger and replaces sys.stderr: one of those
# handlers, called under its lock from whichever thread logs, imports kivy.config; a device thread
# logging while the main thread imported Kivy (which logs too) deadlocked the start. In "PYTHON"
# mode Kivy adds no handler and leaves sys.stderr alone.
_os.environ["KIVY_LOG_MODE"] = "PYTHON"
_os.environ["KCFG_KIVY_LOG_LEVEL"] = "warning"
# No files of Kivy's own: no log files, no config.ini written at every start (SD cards wear);
# every setting the kiosk needs is made in screens.boot.prepare.
_os.environ["KIVY_NO_FILELOG"] = "1"
_os.environ["KIVY_NO_CONFIG"] = "1"
# Images through SDL2 alone (Kivy's own atlas, the QR code's PNG): otherwise Kivy imports every
# image provider it finds at start, Pillow among them, 2.5 MB of memory the kiosk never uses.
_os.environ["KIVY_IMAGE"] = "sdl2"
