"""YAML read with line numbers: PyYAML's node tree composed, then turned into located values."""
from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass

import yaml


class LDict(dict):
    """A mapping that remembers the line of each key and the raw text of scalar values."""

    line: int = 0
    key_lines: dict
    value_lines: dict
    raw: dict
    styles: dict

    def line_of(self, key) -> int:
        """Line of the value of `key` (or of the mapping itself when the key is absent)."""
        return self.value_lines.get(key, self.key_lines.get(key, self.line))

    def raw_of(self, key) -> str | None:
        """The scalar exactly as written (`id: true` → 'true', `doc: 002` → '002')."""
        return self.raw.get(key)

    def text_line(self, key, line_in_text: int) -> int:
        """File line of line `line_in_text` (1-based) of a text value: exact for a `|` block, whose
        lines are the file's; the value's first line for any other (folded) style."""
        if self.styles.get(key) == "|":
            return self.line_of(key) + line_in_text
        return self.line_of(key)


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
    problems: list[YamlProblem] = []
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character (NUL, …): refused before any parsing
        line = text.count("\n", 0, exc.position) + 1
        return None, [YamlProblem(line, f"YAML syntax: character #x{exc.character:04x} is not allowed "
                                        "(control characters cannot appear in YAML)", "yaml.syntax")]
    lines = _Lines(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, problems
        return _convert(node, loader, problems, lines), problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = lines.of(mark) if mark else 1
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return None, [YamlProblem(line, f"YAML syntax: {message}", "yaml.syntax")]
    except yaml.YAMLError as exc:
        return None, [YamlProblem(1, f"YAML syntax: {exc}", "yaml.syntax")]
    except RecursionError:  # [[[[… or {a: {a: … hundreds deep: no content is shaped like that
        return None, [YamlProblem(lines.of(loader.get_mark()), "YAML syntax: nested too deeply", "yaml.syntax")]
    finally:
        loader.dispose()


class _Lines:
    """Line numbers as an editor counts them: PyYAML also ends a line at NEL, LINE SEPARATOR and
    PARAGRAPH SEPARATOR, so its own mark.line would point below the line the author sees."""

    def __init__(self, text: str):
        self.newlines = [match.start() for match in re.finditer("\n", text)]

    def of(self, mark: yaml.Mark) -> int:
        """The 1-based line of a mark (by its character index)."""
        return bisect_left(self.newlines, mark.index) + 1

    def at(self, node: yaml.Node) -> int:
        """The line a node starts on."""
        return self.of(node.start_mark)


def _raw(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _convert(node: yaml.Node, loader: yaml.SafeLoader, problems: list[YamlProblem], lines: _Lines):
    """Build the located value of one node (recursively)."""
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys
        result = LDict()
        result.line, result.key_lines, result.value_lines, result.raw, result.styles = lines.at(node), {}, {}, {}, {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, loader, problems, lines) if isinstance(key_node, yaml.ScalarNode) \
                else loader.construct_object(key_node, deep=True)
            if isinstance(key, bool):  # `true:` as a key means the text "true" in our files
                key = key_node.value
            try:
                hash(key)
            except TypeError:
                problems.append(YamlProblem(lines.at(key_node), "a mapping key must be a plain value", "yaml.syntax"))
                continue
            if key in result:
                problems.append(YamlProblem(
                    lines.at(key_node), f"duplicate key '{key}' (first on line {result.key_lines[key]})",
                    "yaml.duplicate-key"))
                continue
            result[key] = _convert(value_node, loader, problems, lines)
            result.key_lines[key] = lines.at(key_node)
            result.value_lines[key] = lines.at(value_node)
            result.raw[key] = _raw(value_node)
            result.styles[key] = value_node.style if isinstance(value_node, yaml.ScalarNode) else None
        return result
    if isinstance(node, yaml.SequenceNode):
        result = LList()
        result.line, result.item_lines, result.raw = lines.at(node), [], []
        for item in node.value:
            result.append(_convert(item, loader, problems, lines))
            result.item_lines.append(lines.at(item))
            result.raw.append(_raw(item))
        return result
    return _scalar(node, loader, problems, lines)


def _scalar(node: yaml.ScalarNode, loader: yaml.SafeLoader, problems: list[YamlProblem], lines: _Lines):
    """A scalar's value; one the catalog cannot keep as JSON (a date, binary data, .nan, .inf, an
    impossible date, a number of more than 4300 digits) is reported and read as the text written."""
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError:  # 2024-02-30, or int() of 5000 digits
        value = None
    else:
        if value is None or isinstance(value, (str, int)) or (isinstance(value, float) and math.isfinite(value)):
            return value   # (bool is an int)
    shown = node.value if len(node.value) <= 40 else node.value[:40] + "…"
    problems.append(YamlProblem(lines.at(node), f"the value '{shown}' cannot be stored (a date, binary data, .nan, "
                                                "or a number out of range); quote it if it is text", "yaml.value"))
    return node.value
