"""Independent parts of the people-shift eligibility graph, solvable separately."""

from __future__ import annotations

from dataclasses import dataclass

from matching.candidates import PairTable


@dataclass(frozen=True, slots=True)
class Component:
    """Pairs joined through shared people or shared shifts; no rule links two components."""

    pairs: list[int]
    people: list[int]
    positions: list[int]


def split_components(table: PairTable, pairs: list[int]) -> list[Component]:
    """Connected components of `pairs` over person and shift nodes, largest first.

    Every hard rule couples only pairs of one person (8-10) or one shift's positions (11), and
    every objective term is per pair or per person, so components are independent problems.
    """
    n_people = len(table.people)
    parent = list(range(n_people + len(table.shifts)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    person, shift = table.pair_person, table.pair_shift
    for i in pairs:
        a, b = find(person[i]), find(n_people + shift[i])
        if a != b:
            parent[a] = b
    groups: dict[int, list[int]] = {}
    for i in pairs:
        groups.setdefault(find(person[i]), []).append(i)
    out = []
    for group in groups.values():
        people = sorted({person[i] for i in group})
        positions = sorted({table.pair_position[i] for i in group})
        out.append(Component(group, people, positions))
    out.sort(key=lambda c: len(c.pairs), reverse=True)
    return out
