"""Store-and-forward to the central office: the protocol, the terminal's uploader and directory
puller (requests), and the reference office service (``sync.office``).

Nothing here imports ``screens`` or ``devices``; the terminal's store reaches this package only
through the ports in ``sync.ports``.
"""
