"""Where a platform keeps its state. MemoryStore for tests; elearn.demo has a database store.

A store holds plain JSON-able dicts. The methods below are the whole interface.
"""
from __future__ import annotations

import itertools
import threading
import time


class MemoryStore:
    """Thread-safe in-memory state (the test platform serves requests from several threads)."""

    def __init__(self):
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.keys: dict[str, dict] = {}
        self.tools: dict[str, dict] = {}
        self.contexts: dict[str, dict] = {}
        self.members: dict[str, dict[str, dict]] = {}
        self.links: dict[str, dict] = {}
        self.lineitems: dict[str, dict] = {}
        self.scores: list[dict] = []
        self.deep_link_responses: list[dict] = []
        self._once: dict[tuple[str, str], float] = {}

    # keys
    def load_keys(self) -> list[dict]:
        """Every key record."""
        with self._lock:
            return [dict(r) for r in self.keys.values()]

    def save_key(self, record: dict) -> None:
        """Insert or update a key record by kid."""
        with self._lock:
            self.keys[record["kid"]] = dict(record)

    def delete_key(self, kid: str) -> None:
        """Forget a key."""
        with self._lock:
            self.keys.pop(kid, None)

    # tools (registrations on the platform side)
    def get_tool(self, client_id: str) -> dict | None:
        """A registered tool by client_id."""
        with self._lock:
            return self.tools.get(client_id)

    def save_tool(self, tool: dict) -> None:
        """Insert or update a tool registration."""
        with self._lock:
            self.tools[tool["client_id"]] = tool

    def list_tools(self) -> list[dict]:
        """Every registered tool."""
        with self._lock:
            return list(self.tools.values())

    # contexts, members, resource links
    def get_context(self, context_id: str) -> dict | None:
        """A course by id."""
        with self._lock:
            return self.contexts.get(context_id)

    def save_context(self, context: dict) -> None:
        """Insert or update a course."""
        with self._lock:
            self.contexts[context["id"]] = context

    def list_members(self, context_id: str) -> list[dict]:
        """Members of a course in the order they joined."""
        with self._lock:
            return list(self.members.get(context_id, {}).values())

    def save_member(self, context_id: str, member: dict) -> None:
        """Insert or update a member (by user_id) of a course."""
        with self._lock:
            self.members.setdefault(context_id, {})[member["user_id"]] = member

    def get_link(self, link_id: str) -> dict | None:
        """A resource link by id."""
        with self._lock:
            return self.links.get(link_id)

    def save_link(self, link: dict) -> None:
        """Insert or update a resource link."""
        with self._lock:
            self.links[link["id"]] = link

    def list_links(self, context_id: str) -> list[dict]:
        """Resource links placed in a course."""
        with self._lock:
            return [link for link in self.links.values() if link.get("context_id") == context_id]

    # line items and scores
    def add_lineitem(self, item: dict) -> str:
        """Store a new line item; returns its id."""
        with self._lock:
            item_id = str(next(self._ids))
            self.lineitems[item_id] = dict(item, _id=item_id, _created_at=time.time())
            return item_id

    def get_lineitem(self, item_id: str) -> dict | None:
        """A line item by id."""
        with self._lock:
            return self.lineitems.get(item_id)

    def update_lineitem(self, item_id: str, item: dict) -> None:
        """Replace a line item's data."""
        with self._lock:
            self.lineitems[item_id] = dict(item, _id=item_id)

    def delete_lineitem(self, item_id: str) -> None:
        """Remove a line item and its scores."""
        with self._lock:
            self.lineitems.pop(item_id, None)

    def list_lineitems(self, context_id: str | None = None) -> list[dict]:
        """Line items of a course (or all), oldest first."""
        with self._lock:
            return [i for i in self.lineitems.values() if context_id is None or i["_context_id"] == context_id]

    def add_score(self, record: dict) -> None:
        """Append a received score."""
        with self._lock:
            self.scores.append(record)

    def list_scores(self, lineitem_id: str | None = None) -> list[dict]:
        """Scores in arrival order, of one line item or all."""
        with self._lock:
            return [s for s in self.scores if lineitem_id is None or s["lineitem_id"] == lineitem_id]

    # deep linking
    def add_deep_link_response(self, record: dict) -> None:
        """Append a verified deep-linking response."""
        with self._lock:
            self.deep_link_responses.append(record)

    def list_deep_link_responses(self) -> list[dict]:
        """Verified deep-linking responses in arrival order."""
        with self._lock:
            return list(self.deep_link_responses)

    # one-time values (nonces, jti, registration tokens)
    def use_once(self, kind: str, value: str, ttl: float) -> bool:
        """True the first time (kind, value) is seen within ttl seconds, False on a replay."""
        now = time.time()
        with self._lock:
            self._once = {k: exp for k, exp in self._once.items() if exp > now}
            if (kind, value) in self._once:
                return False
            self._once[(kind, value)] = now + ttl
            return True
