"""demolms's store interface over the product database (tables demo_*), for the demo LMS."""
from __future__ import annotations

import hashlib
import time

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from elearn.demo.models import (DemoContext, DemoDeepLink, DemoKey, DemoLineItem, DemoLink, DemoMember,
                                DemoOnce, DemoScore, DemoTool)
from elearn.extensions import db


def _commit() -> None:
    """Each platform write stands alone (a launch, a score), so commit it at once."""
    db.session.commit()


class SqlStore:
    """Same methods as demolms.store.MemoryStore, kept in the product database."""

    # keys
    def load_keys(self) -> list[dict]:
        """Every key record."""
        return [{"kid": k.kid, "pem": k.pem, "created_at": k.created_at, "retired_at": k.retired_at}
                for k in db.session.scalars(select(DemoKey))]

    def save_key(self, record: dict) -> None:
        """Insert or update a key by kid."""
        db.session.merge(DemoKey(**record))
        _commit()

    def delete_key(self, kid: str) -> None:
        """Forget a key."""
        db.session.execute(delete(DemoKey).where(DemoKey.kid == kid))
        _commit()

    # tools
    def get_tool(self, client_id: str) -> dict | None:
        """A registered tool by client_id."""
        row = db.session.get(DemoTool, client_id)
        return dict(row.data) if row else None

    def save_tool(self, tool: dict) -> None:
        """Insert or update a tool."""
        db.session.merge(DemoTool(client_id=tool["client_id"], data=dict(tool)))
        _commit()

    def list_tools(self) -> list[dict]:
        """Every registered tool."""
        return [dict(t.data) for t in db.session.scalars(select(DemoTool))]

    # courses, people, links
    def get_context(self, context_id: str) -> dict | None:
        """A course by id."""
        row = db.session.get(DemoContext, context_id)
        return dict(row.data) if row else None

    def save_context(self, context: dict) -> None:
        """Insert or update a course."""
        db.session.merge(DemoContext(id=context["id"], data=dict(context)))
        _commit()

    def list_members(self, context_id: str) -> list[dict]:
        """Members of a course in the order they joined."""
        rows = db.session.scalars(select(DemoMember).where(DemoMember.context_id == context_id).order_by(DemoMember.id))
        return [dict(m.data) for m in rows]

    def save_member(self, context_id: str, member: dict) -> None:
        """Insert or update a member by user_id."""
        row = db.session.scalar(select(DemoMember).where(DemoMember.context_id == context_id,
                                                         DemoMember.user_id == member["user_id"]))
        if row is None:
            db.session.add(DemoMember(context_id=context_id, user_id=member["user_id"], data=dict(member)))
        else:
            row.data = dict(member)
        _commit()

    def get_link(self, link_id: str) -> dict | None:
        """A resource link by id."""
        row = db.session.get(DemoLink, link_id)
        return dict(row.data) if row else None

    def save_link(self, link: dict) -> None:
        """Insert or update a resource link."""
        db.session.merge(DemoLink(id=link["id"], context_id=link.get("context_id"), data=dict(link)))
        _commit()

    def list_links(self, context_id: str) -> list[dict]:
        """Resource links of a course."""
        return [dict(link.data) for link in db.session.scalars(select(DemoLink).where(DemoLink.context_id == context_id))]

    # line items and scores
    @staticmethod
    def _item(row: DemoLineItem) -> dict:
        """A line item row as the dict demolms expects."""
        return dict(row.data, _id=str(row.id), _context_id=row.context_id, _created_at=row.created_at)

    def add_lineitem(self, item: dict) -> str:
        """Store a new line item; returns its id."""
        data = {k: v for k, v in item.items() if k not in ("_id", "_context_id", "_created_at")}
        row = DemoLineItem(context_id=item["_context_id"], data=data, created_at=time.time())
        db.session.add(row)
        _commit()
        return str(row.id)

    def get_lineitem(self, item_id: str) -> dict | None:
        """A line item by id."""
        row = db.session.get(DemoLineItem, int(item_id)) if str(item_id).isdigit() else None
        return self._item(row) if row else None

    def update_lineitem(self, item_id: str, item: dict) -> None:
        """Replace a line item's data."""
        row = db.session.get(DemoLineItem, int(item_id))
        row.data = {k: v for k, v in item.items() if k not in ("_id", "_context_id", "_created_at")}
        _commit()

    def delete_lineitem(self, item_id: str) -> None:
        """Remove a line item and its scores."""
        db.session.execute(delete(DemoScore).where(DemoScore.lineitem_id == str(item_id)))
        db.session.execute(delete(DemoLineItem).where(DemoLineItem.id == int(item_id)))
        _commit()

    def list_lineitems(self, context_id: str | None = None) -> list[dict]:
        """Line items of a course (or all), oldest first."""
        query = select(DemoLineItem).order_by(DemoLineItem.id)
        if context_id is not None:
            query = query.where(DemoLineItem.context_id == context_id)
        return [self._item(row) for row in db.session.scalars(query)]

    def add_score(self, record: dict) -> None:
        """Append a received score."""
        db.session.add(DemoScore(**record))
        _commit()

    def list_scores(self, lineitem_id: str | None = None) -> list[dict]:
        """Scores in arrival order."""
        query = select(DemoScore).order_by(DemoScore.id)
        if lineitem_id is not None:
            query = query.where(DemoScore.lineitem_id == str(lineitem_id))
        return [{"lineitem_id": s.lineitem_id, "context_id": s.context_id, "client_id": s.client_id,
                 "received_at": s.received_at, "body": dict(s.body)} for s in db.session.scalars(query)]

    # deep linking
    def add_deep_link_response(self, record: dict) -> None:
        """Append a verified deep-linking response."""
        db.session.add(DemoDeepLink(context_id=record.get("context_id"), received_at=record["received_at"],
                                    data=dict(record)))
        _commit()

    def list_deep_link_responses(self) -> list[dict]:
        """Verified responses in arrival order."""
        return [dict(d.data) for d in db.session.scalars(select(DemoDeepLink).order_by(DemoDeepLink.id))]

    # one-time values
    def use_once(self, kind: str, value: str, ttl: float) -> bool:
        """True the first time (kind, value) is seen within ttl seconds."""
        now = time.time()
        digest = hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()
        db.session.execute(delete(DemoOnce).where(DemoOnce.expires_at < now))
        if db.session.get(DemoOnce, digest) is not None:
            db.session.commit()
            return False
        db.session.add(DemoOnce(digest=digest, expires_at=now + ttl))
        try:
            _commit()
        except IntegrityError:  # another worker used it a moment ago
            db.session.rollback()
            return False
        return True
