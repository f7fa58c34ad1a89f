"""Small-number suppression for viewers without ``Cap.DASHBOARD_FULL``.

The rule (``docs/dashboard.md`` explains it for readers):

1. **Primary**: a count from 1 to 4 is not shown.  Zero is shown: it is nobody, and showing
   it lets a reader know that every hidden count is at least 1 (which the checks below
   take into account).
2. **The unit of protection is one IST month.**  Each month's counts, across every figure,
   form one small system of equations: a row's total is the sum of its cells; in a table of
   organisations or rules, each column's "Total" is the sum of its rows; and figures that
   count the same people share equations (the referrals by state and by service have the
   same total each month; the referrals accepted in the median figure are the referrals now
   accepted or completed).  **Complementary** cells are hidden in that month until no hidden
   count can be worked out from what is shown: not by any sum or difference of published
   figures (exact linear algebra over the month's equations), and not from a sum of hidden
   counts that could only be made of ones.  The cells hidden as complements are the
   smallest non-zero ones, inside a table before its totals.
3. **A figure over several months** (a year or period total row, or a table of
   organisations or rules over the period) is shown only when every month it adds up is
   shown in that position.  So nothing hidden for a month can be recovered by comparing
   periods (January-March against February-March), month rows against year totals, or two
   tables: each month is protected on its own and every other figure is a sum of shown ones.
4. A derived figure (a share, a median) is hidden when any count it depends on is.
5. Hidden cells all look the same ("*"), primary or complementary, so the marker says
   nothing about the value.

A table that is not built from months (the action items of today) is protected on its own
equations, the same way.  Page and CSV are rendered from the same result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.formats import number_format

from dashboard.selectors import Table

SMALL = 5
HIDDEN = "*"
STEPS = 20  # bar widths in steps of 5 % (CSS classes dash-w0 … dash-w20)
MONTH = "m"  # the row key of a month table's only row in a month's slice
TOTAL = "Σ"  # the row key of a table's "Total" row
_PRIME = (1 << 61) - 1  # exact arithmetic modulo a large prime for the rank computations

Key = tuple[str, str, int]  # (table key, row key, column; len(columns) = the total column)
Equation = dict[Key, int]  # sum of coefficient × value == 0


def is_small(value: int) -> bool:
    return 0 < value < SMALL


# --- the protection of one system of equations -------------------------------------------


def determined(values: dict[Key, int], equations: list[Equation], hidden: set[Key]) -> set[Key]:
    """The hidden cells whose value follows from the shown ones.

    Linear: a hidden cell is determined when the equations restricted to the hidden cells
    (shown values moved to the other side) fix it, i.e. when it is a pivot of the reduced
    row echelon form with no free variable in its row.  Bounds: an equation whose hidden
    cells all have the same sign sums them to a known D; hidden cells are at least 1 (zero
    is shown), so when D equals their number every one of them is 1.
    """
    found: set[Key] = set()
    pivots: dict[Key, dict[Key, int]] = {}
    for equation in equations:
        part = {k: c % _PRIME for k, c in equation.items() if k in hidden and c}
        if not part:
            continue
        signs = {c > 0 for k, c in equation.items() if k in hidden and c}
        if len(signs) == 1:
            sign = 1 if signs.pop() else -1
            rest = -sum(c * values[k] for k, c in equation.items() if k not in hidden)
            if sign * rest == len(part):
                found.update(part)
        for var in [v for v in part if v in pivots]:
            factor = part.get(var, 0)
            if factor:
                for k, c in pivots[var].items():
                    part[k] = (part.get(k, 0) - factor * c) % _PRIME
                    if not part[k]:
                        del part[k]
        if not part:
            continue
        pivot = min(part)
        if part[pivot] == 1:
            row = part
        else:
            inverse = pow(part[pivot], _PRIME - 2, _PRIME)
            row = {k: c * inverse % _PRIME for k, c in part.items()}
        for other in pivots.values():
            factor = other.get(pivot, 0)
            if factor:
                for k, c in row.items():
                    other[k] = (other.get(k, 0) - factor * c) % _PRIME
                    if not other[k]:
                        del other[k]
        pivots[pivot] = row
    found.update(v for v, row in pivots.items() if len(row) == 1)
    return found


def protect(
    values: dict[Key, int], equations: list[Equation], margins: Iterable[Key] = ()
) -> set[Key]:
    """Primary and complementary suppression for one system: the cells to hide.

    The system is split into its independent parts (cells linked by no chain of equations
    cannot inform one another), each protected on its own: the same result, much cheaper.
    """
    parent = {k: k for k in values}

    def root(k: Key) -> Key:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for equation in equations:
        first, *rest = equation
        for k in rest:
            parent[root(k)] = root(first)
    parts: dict[Key, tuple[dict[Key, int], list[Equation]]] = {}
    for k, v in values.items():
        parts.setdefault(root(k), ({}, []))[0][k] = v
    for equation in equations:
        parts[root(next(iter(equation)))][1].append(equation)
    margins = set(margins)
    hidden: set[Key] = set()
    for part_values, part_equations in parts.values():
        hidden |= _protect_part(part_values, part_equations, margins)
    return hidden


def _protect_part(values: dict[Key, int], equations: list[Equation], margins: set[Key]) -> set[Key]:
    """``protect`` on one connected system.

    Greedy: while some hidden cell can be worked out, hide the cheapest shown cell (or
    pair of cells) sharing an equation with it that makes it unknown again.  Cheapest: a
    count of at least 2 (a hidden 1 next to hidden ones could be pinned by the bound), a cell
    inside the table before a total, the smaller value.  Zero is never hidden (it is shown
    as a matter of rule); if nothing else is left, every non-zero cell is hidden.
    """
    hidden = {k for k, v in values.items() if is_small(v)}
    by_cell: dict[Key, list[Equation]] = {}
    for equation in equations:
        for k in equation:
            by_cell.setdefault(k, []).append(equation)

    def preference(k: Key) -> tuple[bool, bool, int, Key]:
        return (values[k] < 2, k in margins, values[k], k)

    def beside(cells: Iterable[Key], hidden: set[Key]) -> list[Key]:
        near = {
            k
            for cell in cells
            for equation in by_cell.get(cell, [])
            for k in equation
            if k not in hidden and values[k] > 0
        }
        return sorted(near, key=preference)

    def unknown(cell: Key, trial: set[Key]) -> bool:
        return cell not in determined(values, equations, trial)

    everything = {k for k, v in values.items() if v > 0}
    for _round in range(len(values) + 1):
        problems = determined(values, equations, hidden)
        if not problems:
            return hidden
        problem = min(problems)
        first = beside([problem], hidden)
        if not first:
            return everything
        single = next((k for k in first if unknown(problem, hidden | {k})), None)
        if single is not None:
            hidden.add(single)
            continue
        pairs = [
            (k1, k2)
            for k1 in first[:8]
            for k2 in beside([problem, k1], hidden | {k1})[:8]
            if unknown(problem, hidden | {k1, k2})
        ]
        if pairs:
            best = min(
                pairs,
                key=lambda p: (
                    sum(values[k] < 2 for k in p),
                    sum(k in margins for k in p),
                    sum(values[k] for k in p),
                    sorted(p),
                ),
            )
            hidden.update(best)
        else:
            hidden.add(first[0])
    return everything


# --- building the systems from the tables ------------------------------------------------


def _row_keys(table: Table) -> list[str]:
    """Stable keys for a table's rows that are not totals (labels unless keys are given)."""
    plain = [r for r in table.rows if r.parts is None]
    if table.row_keys and len(table.row_keys) == len(plain):
        return list(table.row_keys)
    return [r.label for r in plain]


def _grid(
    table: Table, keys: list[str], grid: list[list[int]], total_parts: list[list[int]] | None
) -> tuple[dict[Key, int], list[Equation], set[Key]]:
    """Cells, equations and margins of one table's grid (rows ``keys``; totals of parts)."""
    width = len(table.columns)
    values: dict[Key, int] = {}
    equations: list[Equation] = []
    margins: set[Key] = set()
    rows: list[tuple[str, list[int]]] = list(zip(keys, grid, strict=True))
    for n, parts in enumerate(total_parts or []):
        key = TOTAL if n == 0 and len(total_parts or []) == 1 else f"{TOTAL}{n}"
        rows.append((key, [sum(grid[p][c] for p in parts) for c in range(width)]))
        margins.update((table.key, key, c) for c in range(width + 1))
        for c in range(width + (1 if table.total_column else 0)):
            equations.append(
                {(table.key, key, c): -1} | {(table.key, keys[p], c): 1 for p in parts}
            )
    for key, cells in rows:
        for c, v in enumerate(cells):
            values[(table.key, key, c)] = v
        if table.total_column:
            values[(table.key, key, width)] = sum(cells)
            margins.add((table.key, key, width))
            equations.append(
                {(table.key, key, width): -1} | {(table.key, key, c): 1 for c in range(width)}
            )
    return values, equations, margins


def _links(values: dict[Key, int], tables: dict[str, Table]) -> list[Equation]:
    """Equations between figures that count the same things in the same month."""
    links: list[Equation] = []
    state, service = tables.get("referrals_state"), tables.get("referrals_service")
    if state and service:
        links.append(
            {
                ("referrals_state", MONTH, len(state.columns)): 1,
                ("referrals_service", MONTH, len(service.columns)): -1,
            }
        )
    if state and "acceptance" in tables and {"accepted", "completed"} <= set(state.column_keys):
        taken = [state.column_keys.index(s) for s in ("accepted", "completed")]
        links.append(
            {("acceptance", MONTH, 0): 1} | {("referrals_state", MONTH, c): -1 for c in taken}
        )
    return [e for e in links if all(k in values for k in e)]


def _month_slice(tables: list[Table], i: int) -> tuple[dict[Key, int], list[Equation], set[Key]]:
    values: dict[Key, int] = {}
    equations: list[Equation] = []
    margins: set[Key] = set()
    for table in tables:
        if table.month_rows:
            grid, keys, totals = [table.rows[i].values], [MONTH], None
        elif table.by_month is not None:
            keys = _row_keys(table)
            grid = table.by_month[i]
            totals = [list(range(len(keys)))] if any(r.parts for r in table.rows) else None
        else:
            continue
        v, e, m = _grid(table, keys, grid, totals)
        values |= v
        equations += e
        margins |= m
    equations += _links(values, {t.key: t for t in tables})
    return values, equations, margins


def hidden_cells(tables: list[Table]) -> dict[str, list[list[bool]]]:
    """For each table, which cells (rows × columns, then the total column) to hide."""
    result: dict[str, list[list[bool]]] = {}
    monthly = [t for t in tables if t.month_rows or t.by_month is not None]
    months = max([t.month_rows or len(t.by_month or []) for t in monthly], default=0)
    month_hidden: list[set[Key]] = []
    for i in range(months):
        values, equations, margins = _month_slice(monthly, i)
        month_hidden.append(protect(values, equations, margins))
    for table in tables:
        width = len(table.columns) + (1 if table.total_column else 0)
        sums = [[*r.values, sum(r.values)][:width] for r in table.rows]
        if table.month_rows:
            hidden = [
                [(table.key, MONTH, c) in month_hidden[r] for c in range(width)]
                if r < table.month_rows
                else [False] * width
                for r in range(len(table.rows))
            ]
            for r, row in enumerate(table.rows):
                if row.parts is not None:
                    hidden[r] = [
                        is_small(sums[r][c]) or any(hidden[p][c] for p in row.parts)
                        for c in range(width)
                    ]
        elif table.by_month is not None:
            keys = iter(_row_keys(table))
            hidden = []
            for r, row in enumerate(table.rows):
                key = TOTAL if row.parts is not None else next(keys)
                hidden.append(
                    [
                        is_small(sums[r][c]) or any((table.key, key, c) in h for h in month_hidden)
                        for c in range(width)
                    ]
                )
        else:
            hidden = _standalone(table, width)
        result[table.key] = hidden
    return result


def _standalone(table: Table, width: int) -> list[list[bool]]:
    """A table not built from months, protected on its own equations."""
    keys = [f"{n}:{key}" for n, key in enumerate(_row_keys(table))]
    plain = [r for r in table.rows if r.parts is None]
    index = {id(r): n for n, r in enumerate(plain)}
    totals = [[index[id(table.rows[p])] for p in r.parts] for r in table.rows if r.parts]
    values, equations, margins = _grid(table, keys, [r.values for r in plain], totals)
    # A total row's stored values are the ones shown: protect those, not recomputed sums.
    names = iter([TOTAL] if len(totals) == 1 else [f"{TOTAL}{n}" for n in range(len(totals))])
    row_key = [keys[index[id(r)]] if r.parts is None else next(names) for r in table.rows]
    for r, row in enumerate(table.rows):
        for c, v in enumerate([*row.values, sum(row.values)][:width]):
            values[(table.key, row_key[r], c)] = v
    hidden = protect(values, equations, margins)
    return [[(table.key, key, c) in hidden for c in range(width)] for key in row_key]


# --- what is shown -----------------------------------------------------------------------


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


def shown_tables(tables: list[Table], *, full: bool) -> list[ShownTable]:
    """The tables as shown to a viewer (every number when ``full``), suppressed together."""
    hidden = {} if full else hidden_cells(tables)
    return [_shown(t, hidden.get(t.key)) for t in tables]


def shown(table: Table, *, full: bool) -> ShownTable:
    return shown_tables([table], full=full)[0]


def _shown(table: Table, hidden: list[list[bool]] | None) -> ShownTable:
    width = len(table.columns)
    rows: list[ShownRow] = []
    for r, row in enumerate(table.rows):
        off = hidden[r] if hidden else [False] * (width + 1)
        cells = [Cell(None if off[c] else v, off[c]) for c, v in enumerate(row.values)]
        total_cell = None
        if table.total_column:
            total_cell = Cell(None if off[width] else sum(row.values), off[width])
            cells.append(total_cell)
        if table.extra_label:
            gone = any(off[c] for c in row.extra_of)
            cells.append(Cell(None if gone else row.extra, gone, table.extra_unit))
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
