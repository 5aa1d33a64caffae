"""The cross-repo dependency graph aivcs sequences releases over (FORMATS.md §5).

An edge "B depends on A" means A is released before B. Cycles are refused when they are
made, so every graph held here has a topological order.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

from core.models.errors import CycleError, InvalidInput, NotFound, ParseError
from core.models.releases import DependencyEdge, GraphFile, RepoRef


class ReleaseGraph:
    def __init__(self) -> None:
        # Insertion-ordered sets (dicts to None), so a saved graph keeps the file's order.
        self._dependencies: dict[str, dict[str, None]] = {}
        self._dependents: dict[str, dict[str, None]] = {}
        self._edges: list[tuple[str, str]] = []

    @classmethod
    def from_file(cls, path: Path) -> ReleaseGraph:
        """Load aivcs's graph JSON; the errors name the file."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound("graph file", str(path)) from None
        except UnicodeDecodeError:
            raise ParseError(str(path), None, "not valid UTF-8") from None
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(str(path), exc.lineno, exc.msg) from None
        repos, edges = _names_in_graph_json(raw, str(path))
        return cls._build(repos, edges, f"{path}: ")

    @classmethod
    def from_model(cls, model: GraphFile) -> ReleaseGraph:
        edges = [(edge.dependent.name, edge.dependency.name) for edge in model.dependencies]
        return cls._build([repo.name for repo in model.repos], edges, "")

    @classmethod
    def _build(cls, repos: list[str], edges: list[tuple[str, str]], where: str) -> ReleaseGraph:
        """Add everything unchecked, then look for a cycle once: linear, not one search per
        edge (a 2,000-repo graph has thousands of edges)."""
        graph = cls()
        for repo in repos:
            graph.add_repo(repo)
        for dependent, dependency in edges:
            for name in (dependent, dependency):
                if name not in graph._dependencies:
                    raise InvalidInput(f"{where}repo not found in graph: {name}")
            if dependent == dependency:
                raise CycleError([dependent, dependent])
            graph._link(dependent, dependency)
        cycle = graph._find_cycle()
        if cycle is not None:
            raise CycleError(cycle)
        return graph

    def to_model(self) -> GraphFile:
        return GraphFile(
            repos=[RepoRef(name=name) for name in self._dependencies],
            dependencies=[
                DependencyEdge(dependent=RepoRef(name=dependent), dependency=RepoRef(name=dep))
                for dependent, dep in self._edges
            ],
        )

    def add_repo(self, name: str) -> None:
        if not name:
            raise InvalidInput("a repo needs a name")
        self._dependencies.setdefault(name, {})
        self._dependents.setdefault(name, {})

    def add_dependency(self, dependent: str, dependency: str) -> None:
        """Record that `dependent` depends on `dependency`; refuses an edge closing a cycle."""
        self._require(dependent)
        self._require(dependency)
        if dependent == dependency:
            raise CycleError([dependent, dependent])
        if dependency in self._dependencies[dependent]:
            return
        path = self._dependency_path(dependency, dependent)
        if path is not None:
            raise CycleError([dependent, *path])
        self._link(dependent, dependency)

    @property
    def repos(self) -> list[str]:
        return sorted(self._dependencies)

    def __contains__(self, repo: object) -> bool:
        return repo in self._dependencies

    def __len__(self) -> int:
        return len(self._dependencies)

    def dependencies_of(self, repo: str) -> list[str]:
        self._require(repo)
        return sorted(self._dependencies[repo])

    def dependents_of(self, repo: str) -> list[str]:
        self._require(repo)
        return sorted(self._dependents[repo])

    def transitive_dependents(self, repo: str) -> set[str]:
        """Every repo that depends on `repo`, directly or not (what a failure blocks)."""
        self._require(repo)
        found: set[str] = set()
        queue = deque([repo])
        while queue:
            for dependent in self._dependents[queue.popleft()]:
                if dependent not in found:
                    found.add(dependent)
                    queue.append(dependent)
        return found

    def topological_order(self) -> list[str]:
        """aivcs's deterministic Kahn: roots sorted by name; the dependents a node frees are
        sorted and queued behind what is already waiting."""
        waiting_on = {repo: len(deps) for repo, deps in self._dependencies.items()}
        queue = deque(sorted(repo for repo, count in waiting_on.items() if count == 0))
        order: list[str] = []
        while queue:
            repo = queue.popleft()
            order.append(repo)
            freed: list[str] = []
            for dependent in self._dependents[repo]:
                waiting_on[dependent] -= 1
                if waiting_on[dependent] == 0:
                    freed.append(dependent)
            queue.extend(sorted(freed))
        return order

    def _require(self, repo: str) -> None:
        if repo not in self._dependencies:
            raise InvalidInput(f"repo not found in graph: {repo}")

    def _link(self, dependent: str, dependency: str) -> None:
        if dependency in self._dependencies[dependent]:
            return
        self._dependencies[dependent][dependency] = None
        self._dependents[dependency][dependent] = None
        self._edges.append((dependent, dependency))

    def _dependency_path(self, start: str, goal: str) -> list[str] | None:
        """`start`, what it depends on, ..., `goal` (breadth-first, so the shortest path)."""
        came_from: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            repo = queue.popleft()
            if repo == goal:
                path: list[str] = []
                step: str | None = repo
                while step is not None:
                    path.append(step)
                    step = came_from[step]
                return path[::-1]
            for dependency in self._dependencies[repo]:
                if dependency not in came_from:
                    came_from[dependency] = repo
                    queue.append(dependency)
        return None

    def _find_cycle(self) -> list[str] | None:
        """One cycle as a path along "depends on" edges, or None; iterative depth-first.

        The path starts at the dependent of the cycle's last-added edge, so a file reports
        the same path as adding its edges one by one would.
        """
        on_path, done = 1, 2
        state: dict[str, int] = {}
        for root in self._dependencies:
            if root in state:
                continue
            path = [root]
            branches = [iter(self._dependencies[root])]
            state[root] = on_path
            while branches:
                repo = next(branches[-1], None)
                if repo is None:
                    state[path.pop()] = done
                    branches.pop()
                elif state.get(repo) == on_path:
                    return self._rotate_to_last_edge(path[path.index(repo) :])
                elif repo not in state:
                    state[repo] = on_path
                    path.append(repo)
                    branches.append(iter(self._dependencies[repo]))
        return None

    def _rotate_to_last_edge(self, loop: list[str]) -> list[str]:
        position = {edge: index for index, edge in enumerate(self._edges)}
        pairs = [(loop[i], loop[(i + 1) % len(loop)]) for i in range(len(loop))]
        start = max(range(len(loop)), key=lambda i: position[pairs[i]])
        rotated = loop[start:] + loop[:start]
        return [*rotated, rotated[0]]


def _names_in_graph_json(raw: Any, path: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The repo names and (dependent, dependency) pairs of a GraphFile-shaped document.

    Checked by hand rather than through the GraphFile model: building thousands of small
    models costs more than the whole rest of loading a large graph.
    """

    def name_at(value: Any, where: str) -> str:
        name = value.get("name") if isinstance(value, dict) else None
        if not isinstance(name, str):
            raise ParseError(path, None, f"{where}.name: expected a string")
        return name

    if not isinstance(raw, dict):
        raise ParseError(path, None, "expected an object with repos and dependencies")
    repos = raw.get("repos")
    if not isinstance(repos, list):
        raise ParseError(path, None, "repos: expected a list")
    dependencies = raw.get("dependencies", [])
    if not isinstance(dependencies, list):
        raise ParseError(path, None, "dependencies: expected a list")
    names = [name_at(repo, f"repos.{index}") for index, repo in enumerate(repos)]
    edges: list[tuple[str, str]] = []
    for index, edge in enumerate(dependencies):
        if not isinstance(edge, dict):
            raise ParseError(path, None, f"dependencies.{index}: expected an object")
        edges.append(
            (
                name_at(edge.get("dependent"), f"dependencies.{index}.dependent"),
                name_at(edge.get("dependency"), f"dependencies.{index}.dependency"),
            )
        )
    return names, edges
