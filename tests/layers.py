"""The house's rooms (statusboard's top-level modules and packages) and the imports between them, read from
the source: `python -m tests.layers` prints the room list, each room with the rooms it imports."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top: a room imports only rooms below it (and itself). Data flows up this list: config -> checks
# (kinds, over net) -> the live table -> frames (render) -> the LEDs (display) and the outputs.
ROOMS = ["text", "errors", "readfile", "vocabulary", "model", "display", "config", "net", "kinds", "discover",
         "table", "controls", "render", "report", "files", "writer", "notify", "waker", "mqtt", "workers",
         "scheduler", "history", "outputs", "web", "outputset", "keptframe", "runtime", "daemon", "demo", "cli_status",
         "cli_reload", "cli_push", "cli_history", "cli_discover", "cli_parser", "cli", "__main__"]


def modules() -> Dict[str, Path]:
    """Every module of the package by its dotted name."""
    out = {}
    for path in sorted((ROOT / "statusboard").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name[:-len(".__init__")] if name.endswith(".__init__") else name] = path
    return out


def imports() -> Dict[str, Set[str]]:
    """module -> the package's modules it imports (at the top, in a function, or for type checking alone)."""
    known = modules()
    out: Dict[str, Set[str]] = defaultdict(set)
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: List[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                base = node.module if not node.level else ".".join(
                    package.split(".")[:len(package.split(".")) - node.level + 1] + [node.module])
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target in known and target != name and target != "statusboard":
                    out[name].add(target)
    return out


def room(module: str) -> str:
    """The room a module lives in: its top-level module or package under statusboard."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def room_graph() -> Dict[str, Set[str]]:
    """room -> the other rooms it imports."""
    out: Dict[str, Set[str]] = defaultdict(set)
    for module, targets in imports().items():
        for target in targets:
            if room(target) != room(module):
                out[room(module)].add(room(target))
    return out


def circles(graph: Dict[str, Set[str]]) -> List[Tuple[str, ...]]:
    """Every import circle in a graph, each once (as its strongly connected set)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found: List[Tuple[str, ...]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(tuple(sorted(group)))
    for node in sorted(set(graph) | {t for ts in graph.values() for t in ts}):
        if node not in index:
            visit(node)
    return found


if __name__ == "__main__":
    graph = room_graph()
    for name in ROOMS:
        print(f"{name:11} -> {', '.join(sorted(graph.get(name, ()), key=ROOMS.index)) or '(nothing)'}")
    print("circles between modules:", circles(imports()) or "none")
