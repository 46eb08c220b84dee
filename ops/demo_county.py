"""The demo county, defined once in demo_county.toml: its org units (parents before children)
and its people. `minxin demo`, `minxin extract` without a gazetteer, the tests and the benches
read it through `load()`. Plain data: nothing here touches the database."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple, Optional

DEMO_COUNTY_FILE = Path(__file__).with_name("demo_county.toml")

LEVELS = ("county", "township", "village")
ROLES = ("cadre", "supervisor", "admin")


class Unit(NamedTuple):
    """An org unit as the gazetteer takes it: (name, level, parent name)."""

    name: str
    level: str
    parent: Optional[str]


class Person(NamedTuple):
    login: str
    name: str
    role: str
    unit: str


@dataclass(frozen=True)
class DemoCounty:
    units: tuple[Unit, ...]
    people: tuple[Person, ...]

    def person(self, login: str) -> Person:
        for p in self.people:
            if p.login == login:
                return p
        raise KeyError(f"no {login!r} among the demo county's people")


def parse(data: dict, source: str = "demo county") -> DemoCounty:
    """The county from the TOML's tables; a unit whose parent is unknown (or comes after it), an
    unknown level or role, or a person in an unknown unit is an error naming the entry."""
    units: list[Unit] = []
    seen: set[str] = set()
    for row in data.get("units", []):
        unit = Unit(row["name"], row["level"], row.get("parent"))
        if unit.level not in LEVELS:
            raise ValueError(f"{source}: unit {unit.name}: unknown level {unit.level!r}")
        if unit.parent is not None and unit.parent not in seen:
            raise ValueError(f"{source}: unit {unit.name}: parent {unit.parent} is not listed before it")
        units.append(unit)
        seen.add(unit.name)
    people: list[Person] = []
    for row in data.get("people", []):
        person = Person(row["login"], row["name"], row["role"], row["unit"])
        if person.role not in ROLES:
            raise ValueError(f"{source}: {person.login}: unknown role {person.role!r}")
        if person.unit not in seen:
            raise ValueError(f"{source}: {person.login}: unknown unit {person.unit}")
        people.append(person)
    return DemoCounty(units=tuple(units), people=tuple(people))


@cache
def load(path: Path = DEMO_COUNTY_FILE) -> DemoCounty:
    with open(path, "rb") as fh:
        return parse(tomllib.load(fh), source=str(path))
