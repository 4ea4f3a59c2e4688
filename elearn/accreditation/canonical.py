"""Canonical JSON: the one byte form that both the ledger's hashes and its signed checkpoints cover,
in a module of its own so that accreditation.checkpoints need not import the ledger that uses it."""
from __future__ import annotations

import json


def canonical(value) -> str:
    """JSON with sorted keys and no spaces: the bytes that are hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
