"""Small-number suppression for viewers without ``Cap.DASHBOARD_FULL``.

Rules (simple and safe): a count from 1 to 4 is shown as "<5"; a total (row total, year or
period total) is suppressed when any cell it adds up is suppressed, or when it is itself
from 1 to 4; a derived figure (a share, a median) is suppressed when any count it depends
on is.  Zero is shown: it identifies nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format

from dashboard.selectors import Table

SMALL = 5
HIDDEN = "<5"
STEPS = 20  # bar widths in steps of 5 % (CSS classes dash-w0 … dash-w20)


def is_small(value: int) -> bool:
    return 0 < value < SMALL


@dataclass
class Cell:
    value: int | float | None  # None when suppressed (or a derived figure with no base)
    suppressed: bool = False
    unit: str = ""

    @property
    def text(self) -> str:
        if self.suppressed:
            return HIDDEN
        if self.value is None:
            return "–"
        if isinstance(self.value, float) and not self.value.is_integer():
            return f"{self.value:.1f}{self.unit}"
        return f"{int(self.value)}{self.unit}"

    @property
    def display(self) -> str:
        """The figure as a page shows it: Indian digit grouping (12,34,567) in every language.

        ``text`` stays ungrouped for the CSV, which other programs read."""
        if self.suppressed or self.value is None:
            return self.text
        if isinstance(self.value, float) and not self.value.is_integer():
            shown = number_format(self.value, decimal_pos=1, force_grouping=True)
        else:
            shown = number_format(int(self.value), force_grouping=True)
        return f"{shown}{self.unit}"


@dataclass
class ShownRow:
    label: str
    cells: list[Cell]
    is_total: bool
    bar: Cell  # the figure drawn in the chart
    step: int = 0  # its bar width, 0…STEPS


@dataclass
class ShownTable:
    table: Table
    headers: list[str]
    rows: list[ShownRow]

    @property
    def key(self) -> str:
        return self.table.key

    @property
    def chart_rows(self) -> list[ShownRow]:
        return [r for r in self.rows if not r.is_total]


def shown(table: Table, *, full: bool) -> ShownTable:
    width = len(table.columns)
    hidden = [[(not full) and is_small(v) for v in row.values] for row in table.rows]
    # Totals over rows: suppressed when any part is (parts are never totals themselves).
    for r, row in enumerate(table.rows):
        if row.parts is not None and not full:
            for c in range(width):
                hidden[r][c] = is_small(row.values[c]) or any(hidden[p][c] for p in row.parts)
    rows: list[ShownRow] = []
    for r, row in enumerate(table.rows):
        cells = [Cell(None if hidden[r][c] else v, hidden[r][c]) for c, v in enumerate(row.values)]
        total_cell = None
        if table.total_column:
            total = sum(row.values)
            off = (not full) and (is_small(total) or any(hidden[r]))
            total_cell = Cell(None if off else total, off)
            cells.append(total_cell)
        if table.extra_label:
            off = any(hidden[r][c] for c in row.extra_of)
            cells.append(Cell(None if off else row.extra, off, table.extra_unit))
        if table.chart_extra:
            bar = cells[-1]
        else:
            bar = total_cell or cells[0]
        rows.append(ShownRow(row.label, cells, row.parts is not None, bar))
    _scale(rows, percent=table.chart_extra and table.extra_unit == "%")
    headers = [*table.columns]
    if table.total_column:
        headers.append(_total_header())
    if table.extra_label:
        headers.append(table.extra_label)
    return ShownTable(table, headers, rows)


def _total_header() -> str:
    from django.utils.translation import gettext

    return gettext("Total")


def _scale(rows: list[ShownRow], *, percent: bool) -> None:
    """Bar widths relative to the largest shown value (or to 100 for a share)."""
    values = [r.bar.value for r in rows if not r.is_total and r.bar.value is not None]
    top = 100 if percent else max(values, default=0)
    for row in rows:
        if row.is_total or row.bar.value is None or not top:
            continue
        row.step = round(STEPS * min(row.bar.value, top) / top)
