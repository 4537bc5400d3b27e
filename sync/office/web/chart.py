"""A terminal's heartbeat history drawn on the server as a small SVG: its queue depth as a line and
its paper as a coloured band beneath, so the page needs no script and prints as it shows.

The window is cut into ``BUCKETS`` slices; each slice shows the deepest queue and the worst paper
of its heartbeats, so a day of minute beats and a month of them draw in the same few kilobytes,
and a short spike or a short "out" is never averaged away. A slice without heartbeats is a gap.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from html import escape

from markupsafe import Markup

from sync.office.fleet import HeartbeatPoint

BUCKETS = 240
SILENCE_INTERVALS = 3  # as the "silent" alert: heartbeats further apart than this leave a gap
WIDTH, PLOT_HEIGHT, BAND_HEIGHT, MARGIN_LEFT, MARGIN_BOTTOM = 720, 120, 14, 44, 18
_PAPER_ORDER = ("ok", "unknown", "near_end", "out")
_PAPER_COLOURS = {"ok": "#7cc57c", "unknown": "#c7ccd1", "near_end": "#f0c040", "out": "#d33"}


def history_svg(points: list[HeartbeatPoint], since: datetime, until: datetime, labels: dict[str, str],
                interval_s: int = 60) -> Markup:
    """``labels``: the translated "queue" and "paper", and the window's ends as text ("start", "end")."""
    span = (until - since).total_seconds() or 1.0
    queues: list[int | None] = [None] * BUCKETS
    papers: list[str | None] = [None] * BUCKETS
    for point in points:
        index = min(BUCKETS - 1, max(0, int((point.received_at - since).total_seconds() / span * BUCKETS)))
        queues[index] = max(queues[index] or 0, point.queue_depth)
        if papers[index] is None or _PAPER_ORDER.index(point.paper) > _PAPER_ORDER.index(papers[index] or "ok"):
            papers[index] = point.paper if point.paper in _PAPER_ORDER else "unknown"
    top = max([depth for depth in queues if depth is not None] + [1])
    plot_width = WIDTH - MARGIN_LEFT
    step = plot_width / BUCKETS
    height = PLOT_HEIGHT + BAND_HEIGHT + MARGIN_BOTTOM + 4

    def x(index: int) -> float:
        return MARGIN_LEFT + index * step

    def y(depth: int) -> float:
        return 4 + PLOT_HEIGHT - depth / top * (PLOT_HEIGHT - 4)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(labels["queue"])}, '
             f'{escape(labels["paper"])}">',
             f'<line x1="{MARGIN_LEFT}" y1="{y(0):.1f}" x2="{WIDTH}" y2="{y(0):.1f}" stroke="#bbb"/>',
             f'<line x1="{MARGIN_LEFT}" y1="{y(top):.1f}" x2="{WIDTH}" y2="{y(top):.1f}" stroke="#eee"/>',
             f'<text x="{MARGIN_LEFT - 4}" y="{y(top) + 4:.1f}" text-anchor="end" font-size="11">{top}</text>',
             f'<text x="{MARGIN_LEFT - 4}" y="{y(0):.1f}" text-anchor="end" font-size="11">0</text>',
             f'<text x="{MARGIN_LEFT + 4}" y="14" font-size="11" fill="#24364b">{escape(labels["queue"])}</text>']
    # the queue: one polyline per run of heartbeats no further apart than SILENCE_INTERVALS of the
    # terminal's interval, so a silence shows as a gap and sparse heartbeats as a line
    reach = max(1, math.ceil(SILENCE_INTERVALS * interval_s / (span / BUCKETS)))
    filled = [index for index, depth in enumerate(queues) if depth is not None]
    runs: list[list[int]] = []
    for index in filled:
        if runs and index - runs[-1][-1] <= reach:
            runs[-1].append(index)
        else:
            runs.append([index])
    for run in runs:
        coordinates = [f"{x(index) + step / 2:.1f},{y(queues[index] or 0):.1f}" for index in run]
        if len(run) == 1:
            cx, cy = coordinates[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="1.5" fill="#24364b"/>')
        else:
            parts.append(f'<polyline fill="none" stroke="#24364b" stroke-width="1.5" points="{" ".join(coordinates)}"/>')
    band_y = PLOT_HEIGHT + 6
    parts.append(f'<text x="{MARGIN_LEFT - 4}" y="{band_y + 11}" text-anchor="end" font-size="11">'
                 f'{escape(labels["paper"])}</text>')
    for run in runs:  # each slice's paper lasts until the next heartbeat in its run
        for position, index in enumerate(run):
            until_index = run[position + 1] if position + 1 < len(run) else index + 1
            paper = papers[index] or "unknown"
            parts.append(f'<rect x="{x(index):.1f}" y="{band_y}" width="{(until_index - index) * step + 0.1:.1f}" '
                         f'height="{BAND_HEIGHT}" fill="{_PAPER_COLOURS[paper]}"/>')
    parts.append(f'<text x="{MARGIN_LEFT}" y="{height - 3}" font-size="11">{escape(labels["start"])}</text>')
    parts.append(f'<text x="{WIDTH}" y="{height - 3}" text-anchor="end" font-size="11">{escape(labels["end"])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def window(days: float, now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=days), now
