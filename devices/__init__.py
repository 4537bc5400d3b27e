"""The kiosk's hands: the receipt printer and the bill scanner, over serial.

- ``escpos``: builds ESC/POS bytes (no I/O); ``transport``: opens, reads and writes a serial port.
- ``profiles``: what each printer model can do, as data.
- ``status``: reads the printer's status bytes into one ``PrinterStatus``.
- ``printer``: ``ReceiptPrinter``, the command logic: status, print a slip within a deadline.
- ``slip``: ``SlipData`` and the confirmation slip's layout in Russian and English.
- ``scanner``: ``BillScanner``, a line-terminated serial scanner that reconnects; it hands over
  each code's bytes, which the core reads (``kiosk.billcode``).
- ``emulators``: printer and scanner emulators over pseudo-terminals, for tests and the demo.

Nothing here imports ``kiosk``, ``screens`` or ``sync``: the core depends on these, not back.
"""
