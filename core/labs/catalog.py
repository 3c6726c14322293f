"""What the home page and the navigation need to know about each lab — id, title, question,
what you will see, icon, order, group — read from the lab packages' source without importing
them.

Importing a lab imports torch and its models (over a second); the home page only needs these
strings, so it reads them from the `LAB = LabSpec(...)` literal in each package's `__init__.py`. A test checks
the catalog against the imported registry.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LABS_DIR = Path(__file__).parent
CARD_FIELDS = ("id", "title", "question", "what_you_see", "icon", "order", "group")


@dataclass(frozen=True)
class LabCard:
    id: str
    title: str
    question: str
    what_you_see: str
    icon: str = ":material/science:"
    order: int = 100
    group: str = ""  # labs of one group are shown together under its name


def _card_from_source(source: str, where: str = "a lab module") -> LabCard | None:
    for node in ast.parse(source).body:
        if (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "LAB"
                                                  for t in node.targets)
                and isinstance(node.value, ast.Call)):
            fields = {}
            for kw in node.value.keywords:
                if kw.arg not in CARD_FIELDS:
                    continue
                try:
                    fields[kw.arg] = ast.literal_eval(kw.value)
                except ValueError:
                    raise ValueError(
                        f"{where}: LabSpec's {kw.arg}= must be written as a literal (a string "
                        f"or number, no names or expressions): the home page reads it from "
                        f"the source without importing the lab") from None
            return LabCard(**fields)
    return None


@lru_cache(maxsize=1)
def lab_cards() -> tuple[LabCard, ...]:
    cards = []
    for path in sorted(LABS_DIR.glob("*/__init__.py")):
        if path.parent.name.startswith("_"):
            continue
        card = _card_from_source(path.read_text(encoding="utf-8"),
                                 f"core/labs/{path.parent.name}/__init__.py")
        if card is not None:
            cards.append(card)
    return tuple(sorted(cards, key=lambda c: (c.order, c.id)))


def grouped_cards(cards) -> dict[str, list[LabCard]]:
    """The cards by group, in order: the ungrouped labs under "" first, then each group in
    the order of its first lab (a group's labs stay together whatever their order)."""
    groups: dict[str, list[LabCard]] = {"": []}
    for card in cards:
        groups.setdefault(card.group, []).append(card)
    return groups
