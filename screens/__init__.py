"""The customer's touch interface (Kivy). The only package that imports Kivy; it talks to the core
in ``kiosk`` and never to a device or the network."""
