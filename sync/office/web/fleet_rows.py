"""The fleet table's rows as HTML, written here rather than in the template: the page has a row
per terminal, and at 2,000 terminals a Jinja loop over them took five times as long as these
f-strings (about 200 ms against 35 on the busy reference machine), most of the page's time.
Every value from a terminal or an operator goes through ``escape``; the page around the rows
stays a template (fleet.html).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from sync.office.web import words
from sync.office.web.board import PAPER_WORDS, STATE_WORDS, TerminalRow


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


_OUT, _DISABLED = N_("out of service"), N_("disabled")
_SLIPS, _DAYS, _OLDEST, _FINE = N_("{n} slips left"), N_("{n} days"), N_("oldest {age}"), N_("{n} ok")


def _e(value: object) -> str:
    """Escaped, as plain text: adding it to another string must not escape it twice."""
    return str(escape(value))


def table_rows(rows: list[TerminalRow], durations: words.Durations, language: str) -> Markup:
    _ = words.gettext_for(language)
    states = {key: _e(_(word)) for key, word in STATE_WORDS.items()}
    papers = {key: _e(_(word)) for key, word in PAPER_WORDS.items()}
    out, disabled = _e(_(_OUT)), _e(_(_DISABLED))
    slips, days, oldest, fine = _(_SLIPS), _(_DAYS), _(_OLDEST), _(_FINE)
    since, duration = durations.since, durations.duration
    html = []
    for row in rows:
        state, terminal = row.state, _e(row.id)
        status = f'<span class="dot {state}"></span>{states[state]}'
        if row.out_of_service is not None:
            status += f"<br><strong>{out}</strong>" + (f": {_e(row.out_of_service)}" if row.out_of_service else "")
        if not row.enabled:
            status += f"<br>{disabled}"
        place = f"<br><small>{_e(row.place)}</small>" if row.place else ""
        subsystems = "".join(
            f'<span class="level {_e(item.level)}">{_e(item.name)}'
            f'{": " + _e(item.reason) if item.reason else ""}</span>' for item in row.trouble)
        if row.fine:
            subsystems += f'<span class="level green">{_e(fine.format(n=row.fine))}</span>'
        paper = papers[row.paper.state] if row.paper.state in papers else _e(row.paper.state)
        if row.paper.slips_left is not None:
            left = _e(slips.format(n=row.paper.slips_left))
            if row.paper.days_left is not None:
                left += ", " + _e(days.format(n=f"{row.paper.days_left:.1f}"))
            paper += f"<br><small>{left}</small>"
        queue = ""
        if row.queue_depth is not None:
            queue = str(row.queue_depth)
            if row.queue_depth and row.oldest_pending_s is not None:
                queue += f"<br><small>{_e(oldest.format(age=duration(row.oldest_pending_s)))}</small>"
        late = ' class="late"' if row.silent else ""
        html.append(
            f'<tr class="state-{state}" data-terminal="{terminal}" data-state="{state}"><td>{status}</td>'
            f'<td><a href="/terminals/{terminal}">{terminal}</a>{place}</td>'
            f'<td{late}>{_e(since(row.heartbeat_at))}</td>'
            f'<td>{subsystems}</td><td class="paper {_e(row.paper.state)}">{paper}</td><td>{queue}</td>'
            f'<td>{_e(since(row.last_upload_at))}</td><td>{_e(row.version or "")}</td></tr>\n')
    return Markup("".join(html))
