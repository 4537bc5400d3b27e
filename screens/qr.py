"""The transaction's QR code on screen, for when the slip could not be printed (Kivy draws none)."""

from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.graphics.texture import Texture


def qr_texture(text: str) -> Texture:
    # Imported at the first code drawn, not at start: the screen shows one only when the slip
    # could not be printed, and qrcode brings Pillow with it, 5 MB of memory a terminal with
    # paper never needs.
    import qrcode

    image = qrcode.make(text, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    texture = CoreImage(buffer, ext="png").texture
    texture.mag_filter = "nearest"  # sharp modules when scaled up for the phone's camera
    return texture
