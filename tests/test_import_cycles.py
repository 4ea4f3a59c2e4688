"""The code's import graph stays a graph without file-level cycles, and packages import only what
docs/architecture.md says they may (read from the source's AST, not by importing it)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("elearn", "lti", "demolms")


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every .py file of our packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _targets(node: ast.AST) -> list[str]:
    """Our modules an import statement names (`from a import b` is a.b when b is a module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                 for a in node.names]
    else:
        return []
    return [name for name in names if name in MODULES]


def _is_type_checking(node: ast.AST) -> bool:
    """`if TYPE_CHECKING:` — imports for annotations only, never run."""
    return isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING"


def _file_level(body: list[ast.stmt]):
    """Import statements that run when the file is imported (module body, its if/try blocks)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)) and not _is_type_checking(node):
            for block in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, block, []):
                    yield from _file_level(getattr(child, "body", None) if isinstance(child, ast.ExceptHandler)
                                           else [child])


def import_graph(file_level_only: bool) -> dict[str, set[str]]:
    """module → the modules it imports (at file level, or anywhere in the file)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = _file_level(tree.body) if file_level_only else ast.walk(tree)
        graph[name] = {t for node in nodes for t in _targets(node) if t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan), as sorted names."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _table_rows() -> list[list[str]]:
    """The cells of docs/architecture.md's package table, one list per row."""
    rows = []
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows.append(cells)
    return rows


def _members() -> dict[str, set[str]]:
    """Rows that group top-level modules, as the doc names them: `base` (`extensions`, `translate*`, …);
    `name*` is every module whose name starts so; `app` also holds the package's own __init__ (the
    empty name). Read from the doc so that the table is the one owner of the grouping."""
    found: dict[str, set[str]] = {}
    for cells in _table_rows():
        names = cells[0].split("`")[1::2]
        if len(names) > 1:
            found[names[0]] = {n.replace("elearn/__init__", "") for n in names[1:]}
    return found


ROWS = _members()


def test_no_import_cycles_between_files():
    """Counting imports inside functions too: one placed there hides a cycle, it does not break it (and
    the file-level graph is a part of this one, so it has none either)."""
    assert cycles(import_graph(file_level_only=False)) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def row_of(module: str) -> str:
    """The row of docs/architecture.md's table a module belongs to."""
    parts = module.split(".")
    if parts[0] != "elearn":
        return parts[0]
    name = parts[1] if len(parts) > 1 else ""
    if len(parts) <= 2:
        for row, members in ROWS.items():
            if name in members or any(m.endswith("*") and name.startswith(m[:-1]) for m in members):
                return row
    return name


def documented_rules() -> dict[str, set[str] | None]:
    """Row → the rows it may import (None: anything), from the table in docs/architecture.md."""
    rules: dict[str, set[str] | None] = {}
    for cells in _table_rows():
        row = cells[0].split("`")[1]
        allowed = cells[2]
        rules[row] = None if allowed == "anything" else {r.strip() for r in allowed.split(",") if r.strip() not in ("", "—")}
    return rules


def test_packages_import_only_what_the_architecture_doc_allows():
    rules = documented_rules()
    graph = import_graph(file_level_only=False)
    assert {row_of(m) for m in graph} <= set(rules), "every package has a row in docs/architecture.md"
    breaches = sorted(f"{module} imports {target}" for module, targets in graph.items() for target in targets
                      if row_of(module) != row_of(target) and rules[row_of(module)] is not None
                      and row_of(target) not in rules[row_of(module)])
    assert breaches == []


def test_the_rules_are_read_from_the_doc():
    rules = documented_rules()
    assert rules["lti"] == set() and rules["questions"] == set() and rules["app"] is None
    assert "quizzes" not in rules["grades"] and "quizzes" not in rules["catalog"]
