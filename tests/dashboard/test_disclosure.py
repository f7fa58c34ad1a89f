"""Small-number suppression cannot be undone by differencing.

Hand-built data (the "atoms": referrals by month × state × service, children by month,
deadlines by month × rule × outcome, action items by organisation) are turned into the
dashboard's tables by the selectors' own builders, for several periods, and suppressed
together as the page and the CSV do.  An attacker (``Attack``, independent of the code under
test: exact rational arithmetic over the atoms) then takes every figure published in every
table and every period, and tries to recompute every hidden cell and every count from 1 to 4:
a value is recomputable exactly when its vector over the atoms is a linear combination of
the published figures' vectors (differencing a total and its cells, a year and its months,
two tables of the same people, two periods).  Nothing hidden may be recomputable.
"""

from __future__ import annotations

import datetime
import itertools
from fractions import Fraction

import pytest

from dashboard import selectors
from dashboard.selectors import Period, Row, Table
from dashboard.suppression import shown_tables

D = datetime.date
JAN, FEB, MAR = D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)
DEC = D(2024, 12, 1)
STATES = ["sent", "accepted", "declined", "withdrawn", "completed"]
SERVICES = ["counselling", "shelter", "medical", "legal_aid"]
RULES = ["medical", "report", "sir"]
OUTCOMES = ["met", "late", "missed"]


# --- the data and the tables built from them ---------------------------------------------


class World:
    """Atoms (name → count) and, for each published cell, its vector over the atoms."""

    def __init__(self, referrals, children, deadlines, actions):
        self.referrals = referrals  # {(month, state, service): n}
        self.children = children  # {month: n}
        self.deadlines = deadlines  # {(month, rule, outcome): n}
        self.actions = actions  # {(org, column): n}; a snapshot, not by month

    def tables(self, period: Period) -> list[Table]:
        months = period.months

        def by(cols, pick):
            return {m: [pick(m, c) for c in cols] for m in months}

        ref = self.referrals
        state = by(
            STATES, lambda m, s: sum(v for (mm, ss, _), v in ref.items() if (mm, ss) == (m, s))
        )
        service = by(
            SERVICES, lambda m, v: sum(n for (mm, _, vv), n in ref.items() if (mm, vv) == (m, v))
        )
        accepted = {m: [state[m][1] + state[m][4]] for m in months}

        def month_table(key, columns, counts, total_column=True, column_keys=()):
            return Table(
                key,
                key,
                "Month",
                list(columns),
                selectors._month_rows(period, counts, len(columns)),
                total_column=total_column,
                month_rows=len(months),
                column_keys=list(column_keys),
            )

        deadlines: selectors.Counts = {}
        for (m, rule, outcome), n in self.deadlines.items():
            if m in months:
                cells = deadlines.setdefault(rule, {}).setdefault(m, dict.fromkeys(OUTCOMES, 0))
                cells[outcome] += n
        for by_rule in deadlines.values():
            for m in months:
                by_rule.setdefault(m, dict.fromkeys(OUTCOMES, 0))
        keys, rows, by_month = selectors._entity_table(deadlines, period, OUTCOMES, str)
        clocks = Table(
            "clocks",
            "clocks",
            "Rule",
            list(OUTCOMES),
            selectors._with_total_row(rows, 3),
            total_column=True,
            by_month=by_month,
            row_keys=keys,
        )
        orgs = sorted({org for org, _c in self.actions})
        action_rows = [
            Row(org, [self.actions.get((org, c), 0) for c in ("open", "overdue")]) for org in orgs
        ]
        actions = Table(
            "actions",
            "actions",
            "Org",
            ["open", "overdue"],
            selectors._with_total_row(action_rows, 2),
        )
        return [
            month_table(
                "rescued", ["children"], {m: [self.children.get(m, 0)] for m in months}, False
            ),
            month_table("acceptance", ["accepted"], accepted, False),
            month_table("referrals_state", STATES, state, column_keys=STATES),
            month_table("referrals_service", SERVICES, service, column_keys=SERVICES),
            clocks,
            actions,
        ]

    # Each published cell as a set of atoms (all coefficients are 1).

    def atoms(self, table: Table, period: Period, r: int, c: int) -> frozenset:
        row = table.rows[r]
        width = len(table.columns)
        if table.month_rows:
            months = [period.months[p] for p in (row.parts if row.parts is not None else [r])]
            if table.key == "rescued":
                return frozenset(("child", m) for m in months)
            if table.key == "acceptance":
                pick = {"accepted", "completed"}
                return frozenset(k for k in self._ref_keys() if k[1] in months and k[2] in pick)
            position = 2 if table.key == "referrals_state" else 3
            chosen = set(table.column_keys) if c == width else {table.column_keys[c]}
            return frozenset(
                k for k in self._ref_keys() if k[1] in months and k[position] in chosen
            )
        if table.key == "clocks":
            rules = set(table.row_keys) if row.parts is not None else {table.row_keys[r]}
            outcomes = set(OUTCOMES) if c == width else {OUTCOMES[c]}
            return frozenset(
                ("clock", m, rule, o) for m in period.months for rule in rules for o in outcomes
            )
        orgs = (
            {x.label for x in table.rows if x.parts is None}
            if row.parts is not None
            else {row.label}
        )
        return frozenset(("action", org, table.columns[c]) for org in orgs)

    def _ref_keys(self):
        return [("ref", m, s, v) for m in (DEC, JAN, FEB, MAR) for s in STATES for v in SERVICES]

    def value(self, atom) -> int:
        kind, *rest = atom
        if kind == "ref":
            return self.referrals.get(tuple(rest), 0)
        if kind == "child":
            return self.children.get(rest[0], 0)
        if kind == "clock":
            return self.deadlines.get(tuple(rest), 0)
        return self.actions.get(tuple(rest), 0)


# --- the attacker --------------------------------------------------------------------------


class Attack:
    """Every published figure as an equation over the atoms; exact rational elimination."""

    def __init__(self) -> None:
        self.basis: dict[object, dict[object, Fraction]] = {}  # pivot atom → reduced row

    def learn(self, atoms: frozenset) -> None:
        row = self._reduce({a: Fraction(1) for a in atoms})
        if row:
            pivot = min(row, key=repr)
            row = {a: v / row[pivot] for a, v in row.items()}
            for other in self.basis.values():
                factor = other.get(pivot)
                if factor:
                    for a, v in row.items():
                        other[a] = other.get(a, 0) - factor * v
                        if not other[a]:
                            del other[a]
            self.basis[pivot] = row

    def _reduce(self, row: dict) -> dict:
        row = dict(row)
        for pivot in [a for a in row if a in self.basis]:
            factor = row.get(pivot)
            if factor:
                for a, v in self.basis[pivot].items():
                    row[a] = row.get(a, 0) - factor * v
                    if not row[a]:
                        del row[a]
        return row

    def can_compute(self, atoms: frozenset) -> bool:
        return not self._reduce({a: Fraction(1) for a in atoms})


def publish(world: World, periods: list[Period]) -> tuple[Attack, list[tuple[str, frozenset, int]]]:
    """What a suppressed viewer sees over ``periods``: the attacker's knowledge, and every
    hidden cell (figure, atoms, true value)."""
    attack, hidden = Attack(), []
    for period in periods:
        tables = world.tables(period)
        for table, shown in zip(tables, shown_tables(tables, full=False), strict=True):
            width = len(table.columns) + (1 if table.total_column else 0)
            for r, row in enumerate(shown.rows):
                for c in range(width):
                    atoms = world.atoms(table, period, r, c)
                    cell = row.cells[c]
                    true = sum(world.value(a) for a in atoms)
                    if cell.suppressed:
                        hidden.append(
                            (
                                f"{table.key} {period.first:%b}-{period.last:%b} {row.label} {c}",
                                atoms,
                                true,
                            )
                        )
                    else:
                        assert cell.value == true
                        attack.learn(atoms)
    return attack, hidden


def small_counts(world: World, periods: list[Period]):
    """Every count from 1 to 4 in any cell of any table and period, or any atom's month-level
    cell: what must never be recomputable."""
    for period in periods:
        for table in world.tables(period):
            width = len(table.columns) + (1 if table.total_column else 0)
            for r, c in itertools.product(range(len(table.rows)), range(width)):
                atoms = world.atoms(table, period, r, c)
                true = sum(world.value(a) for a in atoms)
                if 0 < true < 5:
                    yield f"{table.key} {period.first:%b}-{period.last:%b} r{r} c{c}", atoms


def assert_nothing_recoverable(world: World, periods: list[Period]) -> Attack:
    attack, hidden = publish(world, periods)
    assert hidden, "the data should have something to hide"
    leaks = [name for name, atoms, _v in hidden if attack.can_compute(atoms)]
    leaks += [name for name, atoms in small_counts(world, periods) if attack.can_compute(atoms)]
    assert not leaks, leaks
    return attack


# --- the data ------------------------------------------------------------------------------

ALL = [Period(a, b) for a, b in itertools.combinations_with_replacement([JAN, FEB, MAR], 2)]
WITH_DEC = ALL + [Period(DEC, MAR), Period(DEC, JAN), Period(DEC, DEC)]


def referrals_world() -> World:
    """In January, 3 referrals accepted (all counselling) among 40, and every service at 5
    or more: the service table alone would give the month's total and 3 = total - others."""
    ref = {}
    for s, n in zip(STATES, [12, 3, 9, 6, 10], strict=True):
        for i in range(n):
            key = (JAN, s, SERVICES[i % 4] if s != "accepted" else "counselling")
            ref[key] = ref.get(key, 0) + 1
    for m in (FEB, MAR):
        for s, v in itertools.product(STATES, SERVICES):
            ref[(m, s, v)] = 2 if (m, s) != (MAR, "declined") else 0
    ref[(DEC, "sent", "shelter")] = 7
    ref[(DEC, "completed", "medical")] = 2
    return World(ref, {}, {}, {})


def test_a_small_cell_cannot_be_recomputed_from_another_table_of_the_same_referrals() -> None:
    world = referrals_world()
    assert_nothing_recoverable(world, WITH_DEC)
    # And the month's total is still there when it can be (January's is 40, shown in both).
    tables = world.tables(Period(JAN, JAN))
    state = shown_tables(tables, full=False)[2]
    assert state.rows[0].cells[1].text == "*" and state.rows[0].cells[-1].text == "40"


def test_the_attacker_finds_what_primary_suppression_alone_would_leak() -> None:
    """The checker can fail: hiding only the counts from 1 to 4 leaks January's 3."""
    world = referrals_world()
    period = Period(JAN, JAN)
    attack = Attack()
    for table in world.tables(period):
        width = len(table.columns) + (1 if table.total_column else 0)
        for r, c in itertools.product(range(len(table.rows)), range(width)):
            atoms = world.atoms(table, period, r, c)
            if not 0 < sum(world.value(a) for a in atoms) < 5:
                attack.learn(atoms)
    three = world.atoms(world.tables(period)[2], period, 0, 1)
    assert sum(world.value(a) for a in three) == 3
    assert attack.can_compute(three)


def test_months_years_and_periods_cannot_be_differenced() -> None:
    children = {DEC: 9, JAN: 2, FEB: 11, MAR: 0}
    world = World({}, children, {}, {})
    assert_nothing_recoverable(world, WITH_DEC)
    shown = shown_tables(world.tables(Period(DEC, MAR)), full=False)[0]
    assert [r.cells[0].text for r in shown.rows] == ["9", "*", "11", "0", "9", "*", "*"]


def test_a_table_of_rules_over_the_period_protects_each_month() -> None:
    """Rules × outcomes by month with zeros about: a month's small cell needs a rectangle
    of hidden cells, and the period's cells are shown only from shown months."""
    deadlines = {}
    for m, rule, outcome in itertools.product((JAN, FEB, MAR), RULES, OUTCOMES):
        deadlines[(m, rule, outcome)] = 8
    deadlines[(JAN, "medical", "missed")] = 1
    deadlines[(JAN, "report", "missed")] = 0
    deadlines[(JAN, "sir", "late")] = 0
    deadlines[(FEB, "sir", "met")] = 4
    deadlines[(MAR, "report", "late")] = 0
    deadlines[(MAR, "report", "missed")] = 3
    world = World({}, {}, deadlines, {})
    assert_nothing_recoverable(world, ALL)


def test_a_snapshot_table_with_zeros_is_protected_on_its_own() -> None:
    actions = {
        ("NGO", "open"): 3,
        ("NGO", "overdue"): 0,
        ("Shelter", "open"): 12,
        ("Shelter", "overdue"): 7,
        ("CWC", "open"): 6,
        ("CWC", "overdue"): 2,
        ("DCPU", "open"): 9,
        ("DCPU", "overdue"): 5,
    }
    world = World({}, {}, {}, actions)
    assert_nothing_recoverable(world, [Period(JAN, JAN)])


def test_everything_together_over_many_periods() -> None:
    world = referrals_world()
    world.children = {DEC: 1, JAN: 5, FEB: 3, MAR: 30}
    world.deadlines = {
        (JAN, "sir", "met"): 2,
        (JAN, "sir", "late"): 6,
        (FEB, "medical", "missed"): 9,
    }
    world.actions = {("NGO", "open"): 4, ("CWC", "open"): 9, ("CWC", "overdue"): 1}
    assert_nothing_recoverable(world, WITH_DEC)


@pytest.mark.parametrize("full", [True, False])
def test_full_access_sees_every_number(full) -> None:
    world = referrals_world()
    period = Period(DEC, MAR)
    tables = world.tables(period)
    shown = shown_tables(tables, full=full)
    cells = [c for t in shown for r in t.rows for c in r.cells]
    if full:
        assert not any(c.suppressed for c in cells)
        for table, st in zip(tables, shown, strict=True):
            width = len(table.columns) + (1 if table.total_column else 0)
            for r, c in itertools.product(range(len(table.rows)), range(width)):
                true = sum(world.value(a) for a in world.atoms(table, period, r, c))
                assert st.rows[r].cells[c].value == true
    else:
        assert any(c.suppressed for c in cells)


def test_hidden_ones_cannot_be_pinned_by_their_sum() -> None:
    """Two hidden cells of a row summing to 2 would both be 1 (zero is shown, so a hidden
    count is at least 1): another cell is hidden with them."""
    world = World({}, {}, {}, {("CWC", "open"): 1, ("DCPU", "open"): 20, ("NGO", "open"): 1})
    shown = shown_tables(world.tables(Period(JAN, JAN)), full=False)[-1]
    texts = [r.cells[0].text for r in shown.rows]
    assert texts[:2] == ["*", "*"] and "*" in texts[2:]
    assert_nothing_recoverable(world, [Period(JAN, JAN)])
