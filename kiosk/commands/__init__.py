"""Command groups of the ``kiosk`` CLI; each module has ``register(subparsers)``."""
