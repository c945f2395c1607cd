"""PDF timetables (optional: needs the pure-Python `reportlab` package).

Page 1 is the weekly grid on landscape US Letter, with the program's name, the week and
a legend; staff files continue with the rosters. Text is drawn with a TrueType font
(DejaVu Sans when the system has it, else the Vera font bundled with reportlab) so
accented names print correctly.
"""

from __future__ import annotations

import functools
from pathlib import Path

from iopsched.domain import hhmm
from iopsched.errors import IopschedError
from iopsched.export.grid import Grid, Placed, layout
from iopsched.export.people import STAFF, Page, Person, day_heading, detail
from iopsched.workbook.safe_io import atomic_path, neutralise

MARGIN = 36.0  # points (half an inch)
TIME_COL = 40.0
HEAD_ROW = 26.0
MAX_PT_PER_MINUTE = 1.5
_FONT_FILES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("Vera.ttf", "VeraBd.ttf"),  # shipped inside reportlab
)


def require_reportlab() -> None:
    try:
        import reportlab  # noqa: F401
    except ImportError:
        raise IopschedError(
            "--format pdf needs the optional package 'reportlab' "
            "(pip install reportlab); the html pages print to PDF from any browser"
        ) from None


@functools.cache
def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for regular, bold in _FONT_FILES:
        try:
            pdfmetrics.registerFont(TTFont("IopSans", regular))
            pdfmetrics.registerFont(TTFont("IopSans-Bold", bold))
            return "IopSans", "IopSans-Bold"
        except Exception:  # font file missing or unreadable: try the next
            continue
    return "Helvetica", "Helvetica-Bold"


def _text(value: object) -> str:
    return str(neutralise("" if value is None else value))


class _Pdf:
    """A canvas with the fonts and a few drawing helpers."""

    def __init__(self, path: Path, title: str):
        from reportlab.lib.pagesizes import landscape, letter
        from reportlab.pdfgen.canvas import Canvas

        self.regular, self.bold = _fonts()
        self.width, self.height = landscape(letter)
        self.c = Canvas(str(path), pagesize=(self.width, self.height), pageCompression=1)
        self.c.setTitle(title)
        self.c.setAuthor("iopsched")
        self.c.setSubject("Confidential: protected health information")

    def fit(self, text: str, font: str, size: float, width: float) -> str:
        """text, cut with an ellipsis to fit width."""
        from reportlab.pdfbase.pdfmetrics import stringWidth

        if stringWidth(text, font, size) <= width:
            return text
        while text and stringWidth(text + "\u2026", font, size) > width:
            text = text[:-1]
        return text + "\u2026" if text else ""

    def wrap(self, text: str, font: str, size: float, width: float) -> list[str]:
        from reportlab.lib.utils import simpleSplit

        return simpleSplit(text, font, size, width) or [""]

    def footer(self, page: Page) -> None:
        c = self.c
        c.setFont(self.regular, 7)
        c.setFillColorRGB(0.35, 0.35, 0.35)
        c.drawString(MARGIN, MARGIN / 2, "Confidential: protected health information. "
                                         "Do not forward.")
        generated = page.generated.astimezone(page.week.tz).strftime("%Y-%m-%d %H:%M")
        c.drawRightString(self.width - MARGIN, MARGIN / 2,
                          f"iopsched \u00b7 generated {generated} \u00b7 page {c.getPageNumber()}")
        c.setFillColorRGB(0, 0, 0)

    def new_page(self, page: Page) -> None:
        self.footer(page)
        self.c.showPage()


def _header(pdf: _Pdf, person: Person, page: Page) -> float:
    """Draw the title block; return the y below it."""
    c, top = pdf.c, pdf.height - MARGIN
    right = pdf.width - MARGIN
    c.setFont(pdf.bold, 16)
    c.drawString(MARGIN, top - 14, pdf.fit(_text(page.program_name), pdf.bold, 16, 420))
    c.setFont(pdf.bold, 12)
    c.drawString(MARGIN, top - 32, pdf.fit(_text(person.label), pdf.bold, 12, 420))
    c.setFont(pdf.bold, 12)
    c.drawRightString(right, top - 14, page.date_range())
    c.setFont(pdf.regular, 9)
    c.drawRightString(right, top - 28, person.stats)
    c.drawRightString(right, top - 40, f"times in {page.week.tz.key}")
    c.setLineWidth(1.5)
    c.line(MARGIN, top - 46, right, top - 46)
    return top - 54


def _hex(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


LEGEND_LINE = 14.0


def _legend_rows(pdf: _Pdf, person: Person, page: Page) -> list[list[tuple[str, str, float]]]:
    """The legend's items (type, label, width) wrapped into lines across the page."""
    rows: list[list[tuple[str, str, float]]] = [[]]
    used, room = 0.0, pdf.width - 2 * MARGIN
    for name in page.legend(person):
        kind = page.kinds.get(name, "")
        label = pdf.fit(_text(name) + (f" ({kind})" if kind else ""), pdf.regular, 8, 240)
        w = 14 + pdf.c.stringWidth(label, pdf.regular, 8) + 16
        if used + w > room and rows[-1]:
            rows.append([])
            used = 0.0
        rows[-1].append((name, label, w))
        used += w
    return rows if rows[0] else []


def _legend_height(pdf: _Pdf, person: Person, page: Page) -> float:
    return LEGEND_LINE * len(_legend_rows(pdf, person, page))


def _box(pdf: _Pdf, person: Person, page: Page, p: Placed, x: float, y_top: float, w: float,
         h: float) -> None:
    c, s, e = pdf.c, p.entry.session, p.entry
    c.setFillColorRGB(*_hex(page.colour(s.session_type)))
    c.setStrokeColorRGB(0.3, 0.3, 0.3)
    c.setLineWidth(0.8)
    c.roundRect(x + 1, y_top - h + 1, w - 2, h - 2, 2.5, stroke=1, fill=1)
    c.setFillColorRGB(0, 0, 0)
    meta = [e.time_range] + ([_text(s.room_id)] if s.room_id else [])
    last = _text(detail(person, e))
    name = _text(s.session_type)
    if h < 20:  # one line: the type in bold, then the rest
        c.setFont(pdf.bold, 8)
        name = pdf.fit(name, pdf.bold, 8, w - 8)
        c.drawString(x + 4, y_top - 10, name)
        used = c.stringWidth(name, pdf.bold, 8)
        c.setFont(pdf.regular, 7)
        rest = pdf.fit(" \u00b7 " + " \u00b7 ".join([*meta, last]), pdf.regular, 7, w - 8 - used)
        c.drawString(x + 4 + used, y_top - 10, rest)
        return
    title = pdf.wrap(name, pdf.bold, 8, w - 8)
    if len(title) > 2 or h < 44:  # short boxes keep room for the time
        title = [" ".join(title)]
    lines = [(pdf.bold, 8.0, t) for t in title]
    if h >= 30:
        lines += [(pdf.regular, 7.0, " \u00b7 ".join(meta)), (pdf.regular, 7.0, last)]
    else:
        lines.append((pdf.regular, 7.0, " \u00b7 ".join([*meta, last])))
    y = y_top - 10
    for font, size, text in lines:
        if y < y_top - h + 3:
            break
        c.setFont(font, size)
        c.drawString(x + 4, y, pdf.fit(text, font, size, w - 8))
        y -= size + 2


def _grid(pdf: _Pdf, person: Person, page: Page, grid: Grid, top: float) -> float:
    c = pdf.c
    bottom_limit = MARGIN + 8 + _legend_height(pdf, person, page)
    scale = min(MAX_PT_PER_MINUTE, (top - HEAD_ROW - bottom_limit) / grid.minutes)
    left, right = MARGIN + TIME_COL, pdf.width - MARGIN
    total_lanes = sum(grid.lanes.get(d, 1) for d in grid.days)
    lane_w = (right - left) / total_lanes
    y0 = top - HEAD_ROW
    bottom = y0 - scale * grid.minutes

    def y(minutes: int) -> float:
        return y0 - (minutes - grid.first) * scale

    x_of: dict[int, float] = {}
    x = left
    for day in grid.days:
        x_of[day] = x
        x += lane_w * grid.lanes.get(day, 1)
    # header
    c.setFillColorRGB(0.93, 0.94, 0.95)
    c.rect(left, y0, right - left, HEAD_ROW, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    for day in grid.days:
        name, date = day_heading(page, day)
        cx = x_of[day] + lane_w * grid.lanes.get(day, 1) / 2
        c.setFont(pdf.bold, 10)
        c.drawCentredString(cx, y0 + 14, name)
        c.setFont(pdf.regular, 8)
        c.drawCentredString(cx, y0 + 4, date)
    # axis: hour lines with labels, lighter half-hour lines
    for minutes in grid.marks(30):
        on_hour = minutes % 60 == 0
        c.setStrokeColorRGB(*((0.55,) * 3 if on_hour else (0.85,) * 3))
        c.setLineWidth(0.7 if on_hour else 0.4)
        c.line(MARGIN if on_hour else left, y(minutes), right, y(minutes))
        if minutes < grid.last and (on_hour or 30 * scale >= 12):
            c.setFont(pdf.bold if on_hour else pdf.regular, 8 if on_hour else 7)
            c.drawRightString(left - 4, y(minutes) - 9, hhmm(minutes))
    c.setStrokeColorRGB(0.55, 0.55, 0.55)
    c.setLineWidth(0.7)
    for xx in [*x_of.values(), right]:
        c.line(xx, y0 + HEAD_ROW, xx, bottom)
    # sessions, drawn to scale
    for p in grid.placed:
        x = x_of[p.day] + lane_w * p.lane
        _box(pdf, person, page, p, x, y(p.start), lane_w, (p.end - p.start) * scale)
    return bottom


def _legend(pdf: _Pdf, person: Person, page: Page, y: float) -> None:
    c = pdf.c
    for row in _legend_rows(pdf, person, page):
        x = MARGIN
        for name, label, w in row:
            c.setFillColorRGB(*_hex(page.colour(name)))
            c.setStrokeColorRGB(0.3, 0.3, 0.3)
            c.rect(x, y - 9, 10, 10, stroke=1, fill=1)
            c.setFillColorRGB(0, 0, 0)
            c.setFont(pdf.regular, 8)
            c.drawString(x + 14, y - 8, label)
            x += w
        y -= LEGEND_LINE


def _rosters(pdf: _Pdf, person: Person, page: Page) -> None:
    c = pdf.c
    y = pdf.height - MARGIN
    c.setFont(pdf.bold, 13)
    c.drawString(MARGIN, y - 12, _text(f"Rosters \u2013 {person.label}"))
    y -= 30
    width = pdf.width - 2 * MARGIN
    for e in person.entries:
        s = e.session
        name, date = day_heading(page, s.day)
        kind = " (co-leader)" if e.co_leading else ""
        head = (f"{name} {date}, {e.time_range} \u00b7 {_text(s.session_type)}{kind} \u00b7 "
                f"{_text(s.room_id)} \u00b7 {len(e.roster)} participant"
                f"{'s' if len(e.roster) != 1 else ''}")
        body = pdf.wrap(", ".join(_text(r) for r in e.roster) or "\u2014", pdf.regular, 9,
                        width - 12)
        needed = 14 + 11 * len(body) + 6
        if y - needed < MARGIN + 10:
            pdf.new_page(page)
            y = pdf.height - MARGIN
        c.setFont(pdf.bold, 10)
        c.drawString(MARGIN, y - 10, pdf.fit(head, pdf.bold, 10, width))
        y -= 14
        c.setFont(pdf.regular, 9)
        for line in body:
            c.drawString(MARGIN + 12, y - 9, line)
            y -= 11
        y -= 6


def write_pdf(person: Person, page: Page, target: Path) -> None:
    require_reportlab()
    with atomic_path(target) as tmp:
        title = f"{page.program_name} \u2013 {person.label} \u2013 week of {page.week.monday}"
        pdf = _Pdf(tmp, _text(title))
        top = _header(pdf, person, page)
        grid = layout(person, page)
        if grid is None:
            pdf.c.setFont(pdf.regular, 13)
            pdf.c.drawString(MARGIN, top - 24, "No sessions scheduled this week.")
        else:
            bottom = _grid(pdf, person, page, grid, top)
            _legend(pdf, person, page, bottom - 6)
        if person.role == STAFF and person.entries:
            pdf.new_page(page)
            _rosters(pdf, person, page)
        pdf.footer(page)
        pdf.c.save()
