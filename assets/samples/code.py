"""Read daily river levels and report the weekly maximum."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Reading:
    day: str
    level_m: float


def load_readings(path: Path) -> list[Reading]:
    with path.open(newline="", encoding="utf-8") as f:
        return [Reading(row["day"], float(row["level_m"])) for row in csv.DictReader(f)]


def weekly_max(readings: list[Reading]) -> float:
    if not readings:
        raise ValueError("no readings")
    return max(r.level_m for r in readings)


if __name__ == "__main__":
    levels = load_readings(Path("levels.csv"))
    print(f"highest level this week: {weekly_max(levels):.2f} m")
