"""Drawing a paper from a pool, and rendering it again from the order an attempt stored.

A `Paper` is what an attempt keeps: the drawn item ids in the order shown and, per item,
the order of each option group. Marking always goes through the stored paper, so a post
can only answer items and options that were on it.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from elearn.questions import type_of
from elearn.questions.messages import N_, PaperError

PAPER_VERSION = 1


@dataclass(frozen=True)
class Paper:
    """Item ids in the order shown, and per item {group: option ids in the order shown}."""

    items: tuple[str, ...]
    orders: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def order_of(self, item_id: str) -> dict[str, list[str]]:
        """The stored option order of one item (what `normalise_response` needs)."""
        return {group: list(ids) for group, ids in self.orders.get(item_id, {}).items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for the attempt to store."""
        return {"version": PAPER_VERSION, "items": list(self.items),
                "orders": {i: {g: list(ids) for g, ids in groups.items()}
                           for i, groups in self.orders.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Paper:
        """Read a stored paper back; PaperError when it is not one."""
        try:
            if data["version"] != PAPER_VERSION:
                raise KeyError("version")
            items = tuple(str(i) for i in data["items"])
            orders = {str(i): {str(g): tuple(str(x) for x in ids) for g, ids in groups.items()}
                      for i, groups in data["orders"].items()}
        except (KeyError, TypeError, AttributeError):
            raise PaperError("bad_paper", N_("The stored paper cannot be read.")) from None
        if set(orders) - set(items) or len(set(items)) != len(items):
            raise PaperError("bad_paper", N_("The stored paper cannot be read."))
        return cls(items, orders)


@dataclass(frozen=True)
class PaperItem:
    """One item as the page shows it: its number, the pool item, its option groups in order."""

    number: int
    item: Mapping[str, Any]
    options: dict[str, list[dict]]
    order: dict[str, list[str]]


def draw_paper(pool: Mapping[str, Any], size: int | None = None,
               rng: random.Random | int | str | None = None) -> Paper:
    """Draw `size` items (default: the pool's `draw`), balanced over objectives, and shuffle.

    Objectives take turns (round-robin, in a random order so the extra items of an uneven
    draw move around); within an objective the item is random. Drawn items keep pool order,
    which follows the lessons. `rng` may be a Random, or a seed for a reproducible draw.
    """
    rand = rng if isinstance(rng, random.Random) else random.Random(rng)
    items = list(pool["items"])
    size = pool.get("draw", len(items)) if size is None else size
    if not 1 <= size <= len(items):
        raise PaperError("bad_draw", N_("Cannot draw %(size)s questions from a pool of %(pool)s."),
                         size=size, pool=len(items))
    by_objective: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        by_objective.setdefault(item.get("objective", ""), []).append(item)
    queues = list(by_objective.values())
    rand.shuffle(queues)
    for queue in queues:
        rand.shuffle(queue)
    chosen: set[str] = set()
    while len(chosen) < size:
        for queue in queues:
            if queue and len(chosen) < size:
                chosen.add(queue.pop()["id"])
    drawn = [item for item in items if item["id"] in chosen]
    return Paper(tuple(i["id"] for i in drawn), {i["id"]: shuffled_options(i, rand) for i in drawn})


def shuffled_options(item: Mapping[str, Any], rand: random.Random) -> dict[str, tuple[str, ...]]:
    """Each option group of an item in a random order; `pinned` options keep their place."""
    kind = type_of(item)
    orders = {}
    for group, options in kind.option_groups(item).items():
        ids = [o["id"] for o in options]
        if kind.shuffles:
            free = [i for i, o in enumerate(options) if not o.get("pinned")]
            moved = [ids[i] for i in free]
            rand.shuffle(moved)
            for place, option_id in zip(free, moved):
                ids[place] = option_id
        orders[group] = tuple(ids)
    return orders


def render_paper(pool: Mapping[str, Any], paper: Paper) -> list[PaperItem]:
    """The paper's items with their options in the stored order; PaperError if the pool differs."""
    by_id = {item["id"]: item for item in pool["items"]}
    rendered = []
    for number, item_id in enumerate(paper.items, start=1):
        if item_id not in by_id:
            raise PaperError("item_gone", N_("The stored paper names question %(item)s, which the pool lacks."),
                             item=item_id)
        item = by_id[item_id]
        groups = type_of(item).option_groups(item)
        order = paper.order_of(item_id)
        if set(order) != set(groups):
            raise PaperError("order_mismatch", N_("The stored paper does not match question %(item)s."),
                             item=item_id)
        options = {}
        for group, opts in groups.items():
            by_option = {o["id"]: o for o in opts}
            if sorted(order[group]) != sorted(by_option):
                raise PaperError("order_mismatch",
                                 N_("The stored paper does not match question %(item)s."), item=item_id)
            options[group] = [by_option[o] for o in order[group]]
        rendered.append(PaperItem(number, item, options, order))
    return rendered
