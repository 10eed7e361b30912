"""The CP-SAT decision-variable container for one component of kept pairs."""

from __future__ import annotations

from ortools.sat.python import cp_model

from matching.candidates import PairTable


class MatchingModel:
    """Owns the CpModel and its variables; rules and terms are added by other modules.

    Variables:
        x[i]: pair i is assigned (one bool per kept pair; rules 1-7 hold by construction).
        active[q]: position q is staffed at all (only where min_count > 1).
        load(p): person p's assigned minutes (created on first use).
        fair[p]: person p's extra fairness cost over their recent minutes (in units of `unit`).
    """

    def __init__(
        self,
        table: PairTable,
        pairs: list[int],
        outside_minutes: dict[int, int] | None = None,
        outside_days: dict[tuple[int, int], int] | None = None,
    ) -> None:
        self.table = table
        # What people already hold outside this model (a neighbourhood of a larger solution):
        # their minutes, and their shifts per calendar day.
        self.outside_minutes = outside_minutes or {}
        self.outside_days = outside_days or {}
        self.model = cp_model.CpModel()
        self.pairs = pairs
        self.x: dict[int, cp_model.IntVar] = {i: self.model.new_bool_var(f"x{i}") for i in pairs}
        self.active: dict[int, cp_model.IntVar] = {}
        self.fair: dict[int, cp_model.IntVar] = {}
        self.squares: dict[int, cp_model.IntVar] = {}
        # The objective is written in multiples of this (see objective.objective_unit).
        self.unit = 1
        self._load: dict[int, cp_model.IntVar] = {}
        self.by_person: dict[int, dict[int, list[int]]] = {}
        self.by_position: dict[int, list[int]] = {}
        person, position, shift = table.pair_person, table.pair_position, table.pair_shift
        for i in pairs:
            self.by_person.setdefault(person[i], {}).setdefault(shift[i], []).append(i)
            self.by_position.setdefault(position[i], []).append(i)

    def person_shifts(self, person: int) -> dict[int, list[int]]:
        """Shift index -> the person's kept pairs on that shift."""
        return self.by_person[person]

    def recent(self, person: int) -> int:
        """Minutes the fairness term starts from: recent ones plus those held outside."""
        return self.table.person_recent[person] + self.outside_minutes.get(person, 0)

    def minutes_limit(self, person: int) -> int | None:
        """max_minutes left for this model (None: no limit)."""
        limit = self.table.people[person].max_minutes
        return None if limit is None else limit - self.outside_minutes.get(person, 0)

    def day_limit(self, person: int, day: int) -> int | None:
        """max_shifts_per_day left on `day` for this model (None: no limit)."""
        limit = self.table.people[person].max_shifts_per_day
        return None if limit is None else limit - self.outside_days.get((person, day), 0)

    def max_load(self, person: int) -> int:
        """The largest load the person's kept pairs allow (one position per shift)."""
        limit = self.minutes_limit(person)
        total = sum(self.table.shift_minutes[s] for s in self.by_person[person])
        return total if limit is None else max(0, min(total, limit))

    def load(self, person: int) -> cp_model.IntVar:
        """The person's assigned minutes as a variable tied to their pair variables."""
        var = self._load.get(person)
        if var is None:
            minutes = self.table.shift_minutes
            shifts = self.by_person[person]
            total = sum(minutes[s] for s in shifts)
            var = self.model.new_int_var(0, total, f"load_{person}")
            pairs = [i for group in shifts.values() for i in group]
            coefficients = [minutes[self.table.pair_shift[i]] for i in pairs]
            self.model.add(
                var == cp_model.LinearExpr.weighted_sum([self.x[i] for i in pairs], coefficients)
            )
            self._load[person] = var
        return var

    @property
    def loads(self) -> dict[int, cp_model.IntVar]:
        return self._load

    def size(self) -> tuple[int, int]:
        """(variables, constraints) of the model as built."""
        proto = self.model.proto
        return len(proto.variables), len(proto.constraints)
