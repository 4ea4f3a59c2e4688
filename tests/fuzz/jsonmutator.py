"""A structure-aware libFuzzer mutator for inputs made of JSON documents (atheris custom_mutator).

Byte-level mutations of JSON text mostly give invalid JSON, or change a value the checks refuse
first (the nonce, the issuer), so the code behind the checks is rarely reached. This mutator
reads the documents, changes one thing the way a hostile sender would — drops a key, gives a
claim another type, a long, empty, NUL-bearing or non-ASCII string, NaN, a huge number, a
nested structure — and writes JSON again. A quarter of the time it leaves the bytes to
libFuzzer's own mutations, so malformed JSON stays covered too.
"""
from __future__ import annotations

import json
import random

import atheris

SEPARATOR = b"\0"
STRING_SIZES = (0, 1, 16, 64, 65, 255, 256, 321, 1024, 1025, 5000)
ODD_TEXT = ("", " ", "\0", "a\0b", "é", "\u202e", "\ud800", "\udfff", "x" * 300, "urn:lti:", "0", "true", "null")


def custom_mutator(keys: list[str], documents: int):
    """A libFuzzer custom mutator for `documents` JSON parts (then free bytes) joined by NUL.

    `keys` are the names worth adding at any level (claim names, configuration keys)."""

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        parts = data.split(SEPARATOR)
        if rng.random() < 0.25 or len(parts) < documents:
            return atheris.Mutate(data, max_size)
        index = rng.randrange(documents)
        try:
            value = json.loads(parts[index])
        except (ValueError, RecursionError):
            return atheris.Mutate(data, max_size)
        parts[index] = json.dumps(_mutated(value, rng, keys)).encode()
        out = SEPARATOR.join(parts)
        return out if len(out) <= max_size else atheris.Mutate(data, max_size)

    return mutate


def _mutated(value, rng: random.Random, keys: list[str]):
    """The value with one node changed (the root itself now and then)."""
    containers = [(None, None)]
    stack = [value]
    while stack:                                   # every dict/list node, as (container, key)
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            containers.append((node, key))
            stack.append(child)
    parent, key = rng.choice(containers)
    if parent is None:
        return _any(rng, keys) if rng.random() < 0.1 else _change_in(value, rng, keys)
    if isinstance(parent, dict) and rng.random() < 0.2:
        del parent[key]
    elif isinstance(parent[key], (dict, list)) and rng.random() < 0.5:
        parent[key] = _change_in(parent[key], rng, keys)
    else:
        parent[key] = _replacement(parent[key], rng, keys)
    return value


def _change_in(node, rng, keys):
    """Add a key (or item) to a container."""
    if isinstance(node, dict):
        node[rng.choice(keys) if keys and rng.random() < 0.8 else _text(rng)] = _any(rng, keys)
    elif isinstance(node, list):
        node.insert(rng.randrange(len(node) + 1), _any(rng, keys))
    return node


def _replacement(old, rng, keys):
    """A new value for a leaf: a mutated copy of the same type, or something of another type."""
    if isinstance(old, str) and rng.random() < 0.6:
        raw = old.encode("utf-8", "surrogatepass")   # JSON's \ud800 escapes give lone surrogates
        mutated = atheris.Mutate(raw, len(raw) + 64).decode("utf-8", "replace")
        return mutated if rng.random() < 0.8 else old * rng.choice((2, 20, 200))
    if isinstance(old, bool) or old is None:
        return _any(rng, keys)
    if isinstance(old, (int, float)) and rng.random() < 0.5:
        return rng.choice((0, -1, 1, old + 1, -old, 2**63, 2**64 + 1, 10**400, 1e308, float("nan"), float("inf")))
    return _any(rng, keys)


def _any(rng, keys, depth: int = 0):
    """A random JSON value (and NaN/Infinity, which Python's json reads)."""
    pick = rng.randrange(10 if depth < 3 else 7)
    if pick == 0:
        return None
    if pick == 1:
        return rng.random() < 0.5
    if pick == 2:
        return rng.choice((0, -1, 7, 2**53 + 1, 10**30, 1.5, -0.0, float("nan"), float("inf"), float("-inf")))
    if pick in (3, 4, 5):
        return _text(rng)
    if pick == 6:
        return rng.choice(keys) if keys else _text(rng)
    if pick in (7, 8):
        return [_any(rng, keys, depth + 1) for _ in range(rng.randrange(4))]
    return {(rng.choice(keys) if keys and rng.random() < 0.7 else _text(rng)): _any(rng, keys, depth + 1)
            for _ in range(rng.randrange(4))}


def _text(rng) -> str:
    if rng.random() < 0.5:
        return rng.choice(ODD_TEXT)
    return rng.choice("abcé\0-_:/#") * rng.choice(STRING_SIZES)
