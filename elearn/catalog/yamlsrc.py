"""YAML read with line numbers: PyYAML's node tree composed, then turned into located values."""
from __future__ import annotations

from dataclasses import dataclass

import yaml


class LDict(dict):
    """A mapping that remembers the line of each key and the raw text of scalar values."""

    line: int = 0
    key_lines: dict
    value_lines: dict
    raw: dict

    def line_of(self, key) -> int:
        """Line of the value of `key` (or of the mapping itself when the key is absent)."""
        return self.value_lines.get(key, self.key_lines.get(key, self.line))

    def raw_of(self, key) -> str | None:
        """The scalar exactly as written (`id: true` → 'true', `doc: 002` → '002')."""
        return self.raw.get(key)


class LList(list):
    """A sequence that remembers the line and raw scalar text of each item."""

    line: int = 0
    item_lines: list
    raw: list

    def line_of(self, index: int) -> int:
        """Line of item `index`."""
        return self.item_lines[index] if index < len(self.item_lines) else self.line


@dataclass
class YamlProblem:
    """A syntax error or duplicate key found while reading."""

    line: int
    message: str
    rule: str


def load(text: str) -> tuple[object, list[YamlProblem]]:
    """Parse `text` into LDict/LList/scalars; syntax errors come back as problems, not raised."""
    loader = yaml.SafeLoader(text)
    problems: list[YamlProblem] = []
    try:
        node = loader.get_single_node()
        if node is None:
            return None, problems
        return _convert(node, loader, problems), problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return None, [YamlProblem(line, f"YAML syntax: {message}", "yaml.syntax")]
    except yaml.YAMLError as exc:
        return None, [YamlProblem(1, f"YAML syntax: {exc}", "yaml.syntax")]
    finally:
        loader.dispose()


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _raw(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _convert(node: yaml.Node, loader: yaml.SafeLoader, problems: list[YamlProblem]):
    """Build the located value of one node (recursively)."""
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys
        result = LDict()
        result.line, result.key_lines, result.value_lines, result.raw = _line(node), {}, {}, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, bool):  # `true:` as a key means the text "true" in our files
                key = key_node.value
            try:
                hash(key)
            except TypeError:
                problems.append(YamlProblem(_line(key_node), "a mapping key must be a plain value", "yaml.syntax"))
                continue
            if key in result:
                problems.append(YamlProblem(
                    _line(key_node), f"duplicate key '{key}' (first on line {result.key_lines[key]})",
                    "yaml.duplicate-key"))
                continue
            result[key] = _convert(value_node, loader, problems)
            result.key_lines[key] = _line(key_node)
            result.value_lines[key] = _line(value_node)
            result.raw[key] = _raw(value_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        result = LList()
        result.line, result.item_lines, result.raw = _line(node), [], []
        for item in node.value:
            result.append(_convert(item, loader, problems))
            result.item_lines.append(_line(item))
            result.raw.append(_raw(item))
        return result
    return loader.construct_object(node, deep=True)
