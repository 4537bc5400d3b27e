"""Service mode's core, without a window: who may enter and the PINs (``access``, ``pins``), how
each part of the terminal is doing (``health``, and ``live_status`` for `kiosk status` in another
process), the desk with its pages and actions (``desk``; ``printing``, ``scanning``, ``office``,
``system``; ``view`` for what a page is), and the presenter the service screens render
(``presenter``, with ``questions`` for what it asks off the UI thread). Start reading at the
presenter, as at ``kiosk.journey`` for the customers."""
