"""One printable HTML page per person: a weekly grid, the program's name, the week's dates
and a legend of session types; staff pages add the group rosters (on a second printed page).

The page is self-contained (inline CSS, no scripts, no external resources) and prints on
landscape paper. Every value from the input is neutralised (formula-like text gets a
leading quote, so pasting into a spreadsheet never runs it) and HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

from iopsched.domain import hhmm
from iopsched.export.grid import Grid, layout
from iopsched.export.people import (
    STAFF,
    Entry,
    Page,
    Person,
    day_heading,
    detail,
)
from iopsched.workbook.safe_io import neutralise, write_text_atomic

MAX_PX_PER_MINUTE = 2.0
GRID_PX = 540  # the grid's height at most: fits landscape Letter or A4 with header and legend

CSS = """
@page { size: landscape; margin: 10mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1b1b1b;
       margin: 16px; font-size: 13px; line-height: 1.25; }
header { display: flex; justify-content: space-between; align-items: flex-end; gap: 16px;
         border-bottom: 2px solid #333; padding-bottom: 6px; margin-bottom: 8px; }
h1 { font-size: 20px; margin: 0 0 2px 0; }
h2 { font-size: 16px; margin: 12px 0 6px 0; }
.who { font-size: 16px; font-weight: 600; }
.week { text-align: right; color: #333; }
.week strong { font-size: 15px; color: #1b1b1b; }
table { border-collapse: collapse; }
.week-grid { border: 1px solid #8a8a8a; break-inside: avoid; }
.heads, .body { display: flex; }
.heads { background: #eef0f2; border-bottom: 1px solid #8a8a8a; }
.gutter { flex: 0 0 56px; position: relative; }
.heads .gutter { font-size: 11px; color: #666; text-align: right; padding: 4px 6px 0 0; }
.dayhead { text-align: center; font-weight: 700; font-size: 14px; padding: 4px 2px;
           border-left: 1px solid #c8c8c8; min-width: 0; }
.dayhead small { display: block; font-weight: normal; color: #444; font-size: 12px; }
.body { position: relative; }
.lines { position: absolute; left: 0; right: 0; top: 0; bottom: 0; pointer-events: none; }
.lines div { position: absolute; left: 56px; right: 0; border-top: 1px dotted #d0d0d0; }
.lines div.hour { left: 0; border-top: 1px solid #b0b0b0; }
.tm { position: absolute; right: 6px; font-size: 11px; color: #666; line-height: 1;
      margin-top: 2px; }
.tm.hour { font-weight: 700; color: #1b1b1b; }
.day { position: relative; border-left: 1px solid #c8c8c8; min-width: 0; }
.s { position: absolute; border: 1px solid #555; border-radius: 3px; padding: 2px 5px;
     overflow: hidden; font-size: 12px; margin: 0 2px; }
.s .t { font-weight: 700; font-size: 13px; }
.s .m { color: #333; }
.s .one { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; margin-top: 8px; font-size: 12px; }
.legend span.sw { display: inline-block; width: 14px; height: 14px; border: 1px solid #555;
                  vertical-align: -2px; margin-right: 5px; }
.legend em { color: #555; font-style: normal; }
.empty { font-size: 16px; padding: 24px 0; }
table.rosters { width: 100%; font-size: 12px; }
.rosters th, .rosters td { border: 1px solid #bbb; padding: 3px 6px; text-align: left;
                           vertical-align: top; }
.rosters th { background: #eef0f2; }
footer { margin-top: 10px; font-size: 10px; color: #555; display: flex;
         justify-content: space-between; }
@media print {
  body { margin: 0; font-size: 10pt; }
  section.roster-page { break-before: page; }
  .rosters tr { break-inside: avoid; }
}
"""


def esc(value: object) -> str:
    """Input text made safe for HTML: neutralised, then escaped (quotes included)."""
    return html.escape(str(neutralise("" if value is None else value)), quote=True)


def _box(person: Person, entry: Entry, style: str, height: float) -> str:
    """A session's box; shorter boxes put more on one line so nothing is cut mid-line."""
    s = entry.session
    meta = [entry.time_range] + ([esc(s.room_id)] if s.room_id else [])
    last = esc(detail(person, entry))
    name = esc(s.session_type)
    if height >= 50:
        body = (f'<div class="t">{name}</div><div class="m">{" &middot; ".join(meta)}</div>'
                f'<div class="m">{last}</div>')
    elif height >= 32:
        body = (f'<div class="t">{name}</div>'
                f'<div class="m one">{" &middot; ".join([*meta, last])}</div>')
    else:
        body = (f'<div class="one"><span class="t">{name}</span> &middot; '
                f'{" &middot; ".join([*meta, last])}</div>')
    title = esc(f"{s.session_type}, {entry.time_range}")
    return f'<div class="s" style="{style}" title="{title}">{body}</div>'


def _grid(person: Person, page: Page, grid: Grid) -> str:
    scale = min(MAX_PX_PER_MINUTE, GRID_PX / grid.minutes)

    def y(minutes: int) -> str:
        return f"{(minutes - grid.first) * scale:.1f}px"

    heads, lines, labels, columns = [], [], [], []
    for day in grid.days:
        name, date = day_heading(page, day)
        flex = f"flex: {grid.lanes.get(day, 1)} 1 0"
        heads.append(f'<div class="dayhead" style="{flex}">{name}<small>{date}</small></div>')
        boxes = []
        lanes = grid.lanes.get(day, 1)
        for p in sorted((p for p in grid.placed if p.day == day), key=lambda p: p.start):
            width = 100 / lanes
            style = (f"top:{y(p.start)};height:{(p.end - p.start) * scale:.1f}px;"
                     f"left:{p.lane * width:.3f}%;width:calc({width:.3f}% - 4px);"
                     f"background:{page.colour(p.entry.session.session_type)}")
            boxes.append(_box(person, p.entry, style, (p.end - p.start) * scale))
        columns.append(f'<div class="day" style="{flex}">{"".join(boxes)}</div>')
    for minutes in grid.marks(30):
        cls = ' class="hour"' if minutes % 60 == 0 else ""
        lines.append(f'<div{cls} style="top:{y(minutes)}"></div>')
        if minutes < grid.last:
            tm = "tm hour" if minutes % 60 == 0 else "tm"
            labels.append(f'<span class="{tm}" style="top:{y(minutes)}">{hhmm(minutes)}</span>')
    height = f"{grid.minutes * scale:.1f}px"
    return (f'<div class="week-grid"><div class="heads"><div class="gutter">Time</div>'
            f'{"".join(heads)}</div><div class="body" style="height:{height}">'
            f'<div class="lines">{"".join(lines)}</div><div class="gutter">{"".join(labels)}</div>'
            f'{"".join(columns)}</div></div>')


def _legend(person: Person, page: Page) -> str:
    items = []
    for name in page.legend(person):
        kind = page.kinds.get(name, "")
        kind_html = f" <em>({esc(kind)})</em>" if kind else ""
        items.append(f'<div><span class="sw" style="background:{page.colour(name)}"></span>'
                     f"{esc(name)}{kind_html}</div>")
    return f'<div class="legend" aria-label="Session types">{"".join(items)}</div>'


def _rosters(person: Person, page: Page) -> str:
    rows = []
    for e in person.entries:
        s = e.session
        name, date = day_heading(page, s.day)
        who = ", ".join(esc(r) for r in e.roster) or "&mdash;"
        kind = " (co-leader)" if e.co_leading else ""
        rows.append(f"<tr><td>{name} {date}, {e.time_range}</td><td>{esc(s.session_type)}{kind}</td>"
                    f"<td>{esc(s.room_id)}</td><td>{len(e.roster)}</td><td>{who}</td></tr>")
    return ('<section class="roster-page"><h2>Rosters</h2><table class="rosters"><thead><tr>'
            "<th>When</th><th>Session</th><th>Room</th><th>Size</th><th>Participants</th>"
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></section>')


def render_html(person: Person, page: Page) -> str:
    grid = layout(person, page)
    program = esc(page.program_name)
    label = esc(person.label)
    stats = person.stats
    body = (_grid(person, page, grid) + _legend(person, page) if grid is not None
            else '<p class="empty">No sessions scheduled this week.</p>')
    if person.role == STAFF and person.entries:
        body += _rosters(person, page)
    generated = page.generated.astimezone(page.week.tz).strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{program} &ndash; {label} &ndash; week of {page.week.monday.isoformat()}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<div><h1>{program}</h1><div class="who">{label}</div></div>
<div class="week"><strong>{esc(page.date_range())}</strong><br>{stats}<br>
times in {esc(page.week.tz.key)}</div>
</header>
<main>
{body}
</main>
<footer><span>Confidential: protected health information. Do not forward.</span>
<span>iopsched &middot; generated {generated}</span></footer>
</body>
</html>
"""


def write_html(person: Person, page: Page, target: Path) -> None:
    write_text_atomic(target, render_html(person, page))
