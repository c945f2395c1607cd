"""The report as one HTML page: inline SVG charts (no script, no library) and tables.

- hours per participant against their rule set's weekly minimum (and maximum);
- room use and staff use as day-by-hour heat maps;
- the key figures, the flags and the participants table.
Print CSS keeps it readable on paper (colours kept, charts not split across pages).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from iopsched.domain import Program
from iopsched.report.compliance import Figures, room_grid, staff_grid
from iopsched.workbook.safe_io import neutralise, write_text_atomic

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #e8e8e8; }
.chart { margin: 8px 0 16px; break-inside: avoid; page-break-inside: avoid; }
.legend { font-size: 12px; color: #444; }
.bad { color: #b00020; }
svg text { font-family: inherit; }
@media print {
  body { margin: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  svg { max-width: 100%; height: auto; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  footer { position: fixed; bottom: 0; font-size: 9px; }
}
"""


def _e(value: object) -> str:
    return escape(str(neutralise(value)))


def hours_chart(fig: Figures, labels: dict[str, str]) -> str:
    """Horizontal bars: hours scheduled per participant, a line at the weekly minimum
    (dashed at the maximum); a bar below the minimum is red."""
    df = fig.participants
    bar_h, gap, left, width = 14, 4, 150, 520
    top = 24
    most = max([float(x) for x in df["week_hours"]] + [float(x) for x in df["week_hours_min"] if x != ""]
               + [float(x) for x in df["week_hours_max"] if x != ""] + [1.0])
    scale = width / most
    height = top + len(df) * (bar_h + gap) + 28
    out = [f'<svg class="hours" xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" '
           f'height="{height}" role="img" aria-label="hours per participant against the weekly minimum">']
    for k in range(0, int(most) + 1, max(1, int(most) // 10 or 1)):
        x = left + k * scale
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 24}" stroke="#e2e2e2"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">{k}</text>')
    out.append(f'<text x="{left}" y="12" font-size="11">hours of services scheduled this week '
               '(line: weekly minimum; dashed: maximum)</text>')
    for i, row in enumerate(df.itertuples(index=False)):
        y = top + i * (bar_h + gap)
        hours = float(row.week_hours)
        below = row.week_hours_min != "" and hours < float(row.week_hours_min) - 1e-9
        colour = "#c62828" if below else "#1f77b4"
        label = labels.get(row.participant_id, row.participant_id)
        out.append(f'<text x="{left - 6}" y="{y + bar_h - 3}" font-size="10" text-anchor="end">{_e(label)}</text>')
        out.append(f'<rect class="bar{" below" if below else ""}" x="{left}" y="{y}" width="{hours * scale:.1f}" '
                   f'height="{bar_h}" fill="{colour}"><title>{_e(label)}: {hours:g} h</title></rect>')
        out.append(f'<text x="{left + hours * scale + 4:.1f}" y="{y + bar_h - 3}" font-size="10">{hours:g}</text>')
        if row.week_hours_min != "":
            x = left + float(row.week_hours_min) * scale
            out.append(f'<line class="minimum" x1="{x:.1f}" y1="{y - 1}" x2="{x:.1f}" y2="{y + bar_h + 1}" '
                       'stroke="#000" stroke-width="2"/>')
        if row.week_hours_max != "":
            x = left + float(row.week_hours_max) * scale
            out.append(f'<line class="maximum" x1="{x:.1f}" y1="{y - 1}" x2="{x:.1f}" y2="{y + bar_h + 1}" '
                       'stroke="#000" stroke-width="1" stroke-dasharray="3,2"/>')
    out.append("</svg>")
    return "\n".join(out)


def _colour(share: float) -> str:
    """White (0) to dark blue (1)."""
    share = min(1.0, max(0.0, share))
    r = int(255 - share * (255 - 8))
    g = int(255 - share * (255 - 69))
    b = int(255 - share * (255 - 148))
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_map(grid: pd.DataFrame, title: str, css_class: str) -> str:
    """Days down, hours across; each cell's colour and label is the share in use."""
    cell_w, cell_h, left, top = 46, 26, 44, 30
    width = left + cell_w * len(grid.columns) + 10
    height = top + cell_h * len(grid.index) + 10
    out = [f'<svg class="heat {css_class}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'role="img" aria-label="{escape(title)}">',
           f'<text x="{left}" y="12" font-size="11">{escape(title)}</text>']
    for j, hour in enumerate(grid.columns):
        out.append(f'<text x="{left + j * cell_w + cell_w / 2}" y="{top - 4}" font-size="10" '
                   f'text-anchor="middle">{escape(str(hour))}</text>')
    for i, day in enumerate(grid.index):
        y = top + i * cell_h
        out.append(f'<text x="{left - 6}" y="{y + cell_h / 2 + 4}" font-size="11" text-anchor="end">'
                   f'{escape(str(day))}</text>')
        for j, hour in enumerate(grid.columns):
            share = float(grid.loc[day, hour])
            x = left + j * cell_w
            ink = "#fff" if share > 0.55 else "#222"
            out.append(f'<rect class="cell" x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" '
                       f'fill="{_colour(share)}" stroke="#ccc"><title>{escape(str(day))} {escape(str(hour))}: '
                       f'{share:.0%}</title></rect>')
            out.append(f'<text x="{x + cell_w / 2}" y="{y + cell_h / 2 + 4}" font-size="10" '
                       f'text-anchor="middle" fill="{ink}">{share:.0%}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _table(df: pd.DataFrame, limit: int | None = None) -> str:
    rows = df if limit is None else df.head(limit)
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    body = "\n".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in r) + "</tr>"
                     for r in rows.itertuples(index=False))
    more = f"<p>… and {len(df) - limit} more rows (see the workbook or CSV files)</p>" \
        if limit is not None and len(df) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def render(fig: Figures, program: Program, show_names: bool = False) -> str:
    labels = ({p.participant_id: f"{p.participant_id} {p.name}".strip() for p in program.participants}
              if show_names else {})
    participants = fig.participants
    if show_names:
        participants = participants.copy()
        participants.insert(1, "name", [labels.get(pid, pid)[len(pid):].strip()
                                        for pid in participants["participant_id"]])
    key = pd.DataFrame([{"figure": k, "value": v} for k, v in fig.program.items()])
    rule_sets = pd.DataFrame([{
        "rule_set": rs.name, "week_hours_min": rs.week_hours_min, "week_hours_max": rs.week_hours_max,
        "day_services_min": rs.day_services_min, "day_services_high_tier": rs.day_services_high_tier,
        "recertify_days": rs.recertify_days, "source": rs.source} for rs in fig.rule_sets.values()]
    ).fillna("")
    title = f"{program.rules.program_name}: compliance and utilisation"
    week = f"week of {fig.week_start.isoformat()}" if fig.week_start else ""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1><p>{escape(week)}. Participants are identified by id"
        f"{' and name' if show_names else ''}. Confidential: protected health information.</p>",
        "<h2>Key figures</h2>", _table(key),
        "<h2>Rule sets</h2>", _table(rule_sets) if len(rule_sets) else "<p>none</p>",
        "<h2>Hours per participant against the weekly minimum</h2>",
        f'<div class="chart">{hours_chart(fig, labels)}</div>',
        "<h2>Room use by day and hour</h2>",
        f'<div class="chart">{heat_map(room_grid(fig), "share of room time in use", "rooms")}</div>',
        "<h2>Staff use by day and hour</h2>",
        f'<div class="chart">{heat_map(staff_grid(fig), "staff time leading sessions / time available", "staff")}'
        "</div>",
        "<h2>Flags</h2>", _table(fig.flags) if len(fig.flags) else "<p>none</p>",
        "<h2>Participants</h2>", _table(participants),
        "<h2>Service types</h2>", _table(fig.service_types),
        "<h2>Staff hours against availability</h2>", _table(fig.staff),
        "<footer>Confidential: protected health information.</footer>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_html(fig: Figures, program: Program, folder: Path, show_names: bool = False) -> Path:
    """Write `report.html` into `folder` (created); returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "report.html"
    write_text_atomic(page, render(fig, program, show_names))
    return page
