"""Store-and-forward to the central office: every format exchanged with the office and billing
(the directory file, zone meanings, account numbers, the wire models, and the one reader of
semicolon files), the SQLite set-up the terminal's store and a small office share, the
terminal's uploader and directory puller (requests), and the reference office service
(``sync.office``).

Nothing here imports ``kiosk``, ``screens`` or ``devices``; the terminal's store reaches this
package only through the ports in ``sync.ports``.
"""
