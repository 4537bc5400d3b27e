"""``kiosk screenshots --check-fit``: does what the window shows fit the panel?

Walks the live widget tree after layout (what the customer would see: the screen, its bars, or
the countdown over them) and reports each problem as a dict:

- ``clipped``: a label's text, laid out in the label's width, is wider or taller than the label;
- ``word_split``: a word wider than its label's line, which Kivy would break mid-word;
- ``overlap``: two visible leaf widgets (labels, buttons, keys, pictures) cover each other;
- ``off_screen``: a widget reaches outside the window (or outside the list that scrolls it);
- ``small_target``: a button, key or service line under ``[ui] touch_target_mm`` on the panel;
- ``small_text``: text under the body size rule (``theme.body_px``, times 1.4 with large text);
- ``low_contrast``: text under 7:1 against what is actually drawn behind it (from the picture).

Kivy is imported by the caller's running app; this module only reads its widgets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from screens.theme import body_px, contrast

MIN_CONTRAST = 7.0
SLACK_PX = 1.0  # rounding between Kivy's float layout and whole pixels

Rect = tuple[float, float, float, float]  # x, y, width, height in window pixels


def check(root: Any, app: Any, picture: Any | None) -> list[dict[str, Any]]:
    """Every problem on what ``root`` (the KioskRoot) shows now; ``picture`` is the window's
    screenshot of the same frame (an RGB PIL image), for the colours behind the text."""
    from kivy.core.window import Window

    width, height = int(Window.width), int(Window.height)
    window = (0.0, 0.0, float(width), float(height))
    # The countdown's or a question's shade covers the screen: then only the card on it can be
    # seen or touched.
    covers = [layer for layer in (root.ids.countdown, root.ids.ask) if layer.opacity > 0]
    layer = covers[0] if covers else root.children[-1]
    seen = list(_visible(layer, window))
    problems: list[dict[str, Any]] = []
    target = app.settings.target_px(width, height)
    body = body_px(width, height, app.settings.px_per_mm(width, height), app.large_text)
    image = picture
    for widget, rect, clip in seen:
        if not _inside(rect, clip):
            problems.append(_problem(widget, "off_screen", rect=_r(rect), visible=_r(clip)))
        if _is_target(widget):
            side = min(widget.width, widget.height)
            if side < target - SLACK_PX:
                problems.append(_problem(widget, "small_target", px=round(side, 1),
                                         min_px=round(target, 1), min_mm=app.settings.touch_target_mm))
        if _is_text(widget):
            problems += _text_problems(widget)
            if widget.font_size < body - 0.5:
                problems.append(_problem(widget, "small_text", px=round(widget.font_size, 1), min_px=body))
            if image is not None:
                problems += _contrast(widget, _clipped(rect, clip), image)
    leaves = [(widget, _clipped(rect, clip)) for widget, rect, clip in seen if _is_leaf(widget)]
    for index, (first, a) in enumerate(leaves):
        for second, b in leaves[index + 1:]:
            if _holds(first, second) or _holds(second, first):
                continue  # a row that is one button, and the words on it
            area = _overlap(a, b)
            if area is not None:
                problems.append(_problem(first, "overlap", other=_name(second),
                                         rect=_r(a), other_rect=_r(b), overlap=_r(area)))
    return problems


def _visible(widget: Any, clip: Rect) -> Iterator[tuple[Any, Rect, Rect]]:
    """(widget, its window rect, the part of the window it may show in) for every widget shown."""
    from kivy.uix.screenmanager import Screen
    from kivy.uix.scrollview import ScrollView

    if widget.opacity <= 0 or widget.width <= 0 or widget.height <= 0:
        return
    x, y = widget.to_window(widget.x, widget.y)
    rect = (x, y, float(widget.width), float(widget.height))
    yield widget, rect, clip
    if isinstance(widget, Screen):
        clip = _clipped(rect, clip)  # a screen's content stays between the bars
    if isinstance(widget, ScrollView):
        # What scrolls out of its view is not hidden: a finger brings it back.
        inner = _clipped(rect, clip)
        for child in widget.children:
            yield from _scrolled(child, inner)
        return
    for child in reversed(widget.children):
        yield from _visible(child, clip)


def _scrolled(widget: Any, view: Rect) -> Iterator[tuple[Any, Rect, Rect]]:
    """Inside a list that scrolls, a widget partly out of view is scrolling, not off the screen:
    only its part in view is checked, against the view."""
    for found, rect, _clip in _visible(widget, (-1e9, -1e9, 2e9, 2e9)):
        shown = _clipped(rect, view)
        if shown[2] > 0 and shown[3] > 0:
            yield found, shown, view


def _holds(outer: Any, inner: Any) -> bool:
    parent = inner.parent
    while parent is not None and parent is not parent.parent:
        if parent is outer:
            return True
        parent = parent.parent
    return False


def _is_text(widget: Any) -> bool:
    from kivy.uix.label import Label

    return isinstance(widget, Label) and bool(widget.text.strip())


def _is_target(widget: Any) -> bool:
    from kivy.uix.behaviors import ButtonBehavior

    return isinstance(widget, ButtonBehavior)


def _is_leaf(widget: Any) -> bool:
    """What a customer sees as one thing: a label, a button, a picture, a row that is one button.
    A bare Widget is a spacer; layouts only hold and tint what is in them."""
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.widget import Widget

    if type(widget) is Widget:
        return False
    return not widget.children or isinstance(widget, ButtonBehavior)


def _text_problems(label: Any) -> list[dict[str, Any]]:
    from kivy.core.text import Label as CoreLabel

    label.texture_update()
    options = dict(label._label.options)
    left, top, right, bottom = _padding(label)
    wrap = label.text_size[0]
    options.update(text=label.text, text_size=(wrap, None))
    options.pop("shorten", None)
    core = CoreLabel(**options)
    core.refresh()
    needed_w, needed_h = core.content_size if core.texture is None else core.texture.size
    problems = []
    if needed_w > label.width + SLACK_PX or needed_h > label.height + SLACK_PX:
        problems.append(_problem(label, "clipped", needed=[round(needed_w), round(needed_h)],
                                 widget_size=[round(label.width), round(label.height)]))
    if wrap:
        line = wrap - left - right
        for word in set(label.text.split()):
            word_w = core.get_extents(word)[0]
            # No slack here: Kivy breaks a word a single pixel wider than its line.
            if word_w > line:
                problems.append(_problem(label, "word_split", word=word, word_px=round(word_w),
                                         line_px=round(line)))
    return problems


def _padding(label: Any) -> tuple[float, float, float, float]:
    padding = list(label.padding)
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    return tuple(padding)


def _contrast(label: Any, rect: Rect, image: Any) -> list[dict[str, Any]]:
    x, y, w, h = (int(round(v)) for v in rect)
    if w < 2 or h < 2:
        return []
    top = image.height - (y + h)
    box = image.crop((max(0, x), max(0, top), min(image.width, x + w), min(image.height, top + h)))
    colours = box.getcolors(maxcolors=box.width * box.height + 1)
    if not colours:
        return []
    # What fills most of the label's box is its background: text covers a small part of it.
    behind = max(colours)[1]
    back = tuple(channel / 255 for channel in behind[:3]) + (1.0,)
    ink = label.disabled_color if label.disabled else label.color
    ratio = contrast(tuple(ink), back)
    if ratio >= MIN_CONTRAST - 0.005:
        return []
    return [_problem(label, "low_contrast", ratio=round(ratio, 2), min_ratio=MIN_CONTRAST,
                     text_rgb=_hex(ink), background_rgb="#%02X%02X%02X" % tuple(behind[:3]))]


def _inside(rect: Rect, room: Rect) -> bool:
    x, y, w, h = rect
    rx, ry, rw, rh = room
    return (x >= rx - SLACK_PX and y >= ry - SLACK_PX and x + w <= rx + rw + SLACK_PX
            and y + h <= ry + rh + SLACK_PX)


def _clipped(rect: Rect, room: Rect) -> Rect:
    x, y, w, h = rect
    rx, ry, rw, rh = room
    left, bottom = max(x, rx), max(y, ry)
    right, top = min(x + w, rx + rw), min(y + h, ry + rh)
    return (left, bottom, max(0.0, right - left), max(0.0, top - bottom))


def _overlap(a: Rect, b: Rect) -> Rect | None:
    area = _clipped(a, b)
    if area[2] > SLACK_PX and area[3] > SLACK_PX:
        return area
    return None


def _name(widget: Any) -> str:
    """The widget as a reader finds it: its tag, or its kv id, or its class, with its text."""
    name = getattr(widget, "tag", "") or _kv_id(widget) or type(widget).__name__
    text = getattr(widget, "text", "")
    if isinstance(text, str) and text.strip():
        short = " ".join(text.split())
        return f"{name} «{short[:40]}{'…' if len(short) > 40 else ''}»"
    return name


def _kv_id(widget: Any) -> str:
    parent, seen = widget.parent, set()
    while parent is not None and id(parent) not in seen:  # the Window is its own parent
        seen.add(id(parent))
        for key, value in getattr(parent, "ids", {}).items():
            if value is widget:
                return key
        parent = parent.parent
    return ""


def _problem(widget: Any, what: str, **figures: Any) -> dict[str, Any]:
    return {"widget": _name(widget), "what": what, **figures}


def _r(rect: Rect) -> list[int]:
    return [round(v) for v in rect]


def _hex(colour: Any) -> str:
    return "#%02X%02X%02X" % tuple(round(c * 255) for c in list(colour)[:3])
