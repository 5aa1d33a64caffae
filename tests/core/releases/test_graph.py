from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from core.models.errors import CycleError, InvalidInput, NotFound, ParseError
from core.models.releases import GraphFile
from core.releases.graph import ReleaseGraph

EXAMPLE = Path(__file__).parent / "cross_repo_graph.example.json"


def graph_of(repos: list[str], edges: list[tuple[str, str]]) -> ReleaseGraph:
    """`edges` are (dependent, dependency)."""
    graph = ReleaseGraph()
    for repo in repos:
        graph.add_repo(repo)
    for dependent, dependency in edges:
        graph.add_dependency(dependent, dependency)
    return graph


def write_graph(path: Path, repos: list[str], edges: list[tuple[str, str]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "repos": [{"name": repo} for repo in repos],
                "dependencies": [
                    {"dependent": {"name": a}, "dependency": {"name": b}} for a, b in edges
                ],
            },
            indent=2,
        )
    )
    return path


def test_the_example_graph_orders_libraries_before_the_app() -> None:
    graph = ReleaseGraph.from_file(EXAMPLE)

    assert graph.topological_order() == ["org/lib-a", "org/lib-b", "org/app"]
    assert graph.repos == ["org/app", "org/lib-a", "org/lib-b"]


def test_a_loaded_graph_saves_back_to_the_same_json() -> None:
    graph = ReleaseGraph.from_file(EXAMPLE)

    assert graph.to_model() == GraphFile.model_validate_json(EXAMPLE.read_text())
    assert ReleaseGraph.from_model(graph.to_model()).topological_order() == (
        graph.topological_order()
    )


def test_a_diamond_releases_its_root_first_and_its_tip_last() -> None:
    graph = graph_of(
        ["tip", "right", "left", "root"],
        [("left", "root"), ("right", "root"), ("tip", "left"), ("tip", "right")],
    )

    assert graph.topological_order() == ["root", "left", "right", "tip"]


def test_freed_repos_queue_behind_those_already_waiting() -> None:
    # aivcs's Kahn uses a FIFO queue: "b", freed by "a", waits behind the root "c".
    graph = graph_of(["a", "b", "c"], [("b", "a")])

    assert graph.topological_order() == ["a", "c", "b"]


def test_the_order_does_not_depend_on_insertion_order() -> None:
    repos = ["m", "k", "z", "a", "q"]
    edges = [("k", "a"), ("z", "k"), ("q", "a"), ("z", "m")]
    shuffled_repos = list(reversed(repos))
    shuffled_edges = list(reversed(edges))

    assert (
        graph_of(repos, edges).topological_order()
        == graph_of(shuffled_repos, shuffled_edges).topological_order()
        == ["a", "m", "k", "q", "z"]
    )


def test_adding_an_edge_that_closes_a_cycle_is_refused_with_the_path() -> None:
    graph = graph_of(["org/a", "org/b", "org/c"], [("org/b", "org/a"), ("org/c", "org/b")])

    with pytest.raises(CycleError) as caught:
        graph.add_dependency("org/a", "org/c")

    assert caught.value.cycle == ["org/a", "org/c", "org/b", "org/a"]
    assert graph.dependencies_of("org/a") == []


def test_a_self_edge_is_a_cycle() -> None:
    graph = graph_of(["org/a"], [])

    with pytest.raises(CycleError) as caught:
        graph.add_dependency("org/a", "org/a")

    assert caught.value.cycle == ["org/a", "org/a"]


def test_adding_an_edge_to_an_unknown_repo_is_refused() -> None:
    graph = graph_of(["org/a"], [])

    with pytest.raises(InvalidInput, match="repo not found in graph: org/ghost"):
        graph.add_dependency("org/a", "org/ghost")


def test_a_cycle_in_a_file_is_reported_as_adding_its_edges_would(tmp_path: Path) -> None:
    path = write_graph(
        tmp_path / "graph.json",
        ["org/a", "org/b", "org/c"],
        [("org/b", "org/a"), ("org/c", "org/b"), ("org/a", "org/c")],
    )

    with pytest.raises(CycleError) as caught:
        ReleaseGraph.from_file(path)

    assert caught.value.cycle == ["org/a", "org/c", "org/b", "org/a"]


def test_a_two_repo_cycle_in_a_file_names_both(tmp_path: Path) -> None:
    path = write_graph(
        tmp_path / "graph.json", ["org/a", "org/b"], [("org/a", "org/b"), ("org/b", "org/a")]
    )

    with pytest.raises(CycleError) as caught:
        ReleaseGraph.from_file(path)

    assert caught.value.cycle == ["org/b", "org/a", "org/b"]


def test_a_self_edge_in_a_file_is_a_cycle(tmp_path: Path) -> None:
    path = write_graph(tmp_path / "graph.json", ["org/a"], [("org/a", "org/a")])

    with pytest.raises(CycleError) as caught:
        ReleaseGraph.from_file(path)

    assert caught.value.cycle == ["org/a", "org/a"]


def test_an_edge_naming_an_unknown_repo_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = write_graph(tmp_path / "graph.json", ["org/a"], [("org/a", "org/ghost")])

    with pytest.raises(InvalidInput) as caught:
        ReleaseGraph.from_file(path)

    assert str(caught.value) == f"{path}: repo not found in graph: org/ghost"


def test_malformed_json_is_a_parse_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    path.write_text('{\n  "repos": [\n    {"name": "org/a"},,\n  ]\n}\n')

    with pytest.raises(ParseError) as caught:
        ReleaseGraph.from_file(path)

    assert (caught.value.path, caught.value.line) == (str(path), 3)


def test_a_graph_of_the_wrong_shape_is_a_parse_error_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    path.write_text('{"repos": [{"title": "org/a"}]}')

    with pytest.raises(ParseError, match=r"repos\.0\.name"):
        ReleaseGraph.from_file(path)


def test_a_missing_graph_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        ReleaseGraph.from_file(tmp_path / "absent.json")


def test_transitive_dependents_follow_every_path_down() -> None:
    graph = graph_of(
        ["a", "b", "c", "d", "e"],
        [("b", "a"), ("c", "b"), ("d", "a"), ("d", "c")],
    )

    assert graph.transitive_dependents("a") == {"b", "c", "d"}
    assert graph.transitive_dependents("c") == {"d"}
    assert graph.transitive_dependents("e") == set()


def test_direct_neighbours_are_listed_sorted() -> None:
    graph = graph_of(["app", "z-lib", "a-lib"], [("app", "z-lib"), ("app", "a-lib")])

    assert graph.dependencies_of("app") == ["a-lib", "z-lib"]
    assert graph.dependents_of("z-lib") == ["app"]


def test_a_repeated_edge_is_kept_once() -> None:
    graph = graph_of(["a", "b"], [("b", "a"), ("b", "a")])

    assert len(graph.to_model().dependencies) == 1
    assert graph.topological_order() == ["a", "b"]


def test_a_two_thousand_repo_graph_loads_in_dependency_order(tmp_path: Path) -> None:
    rng = random.Random(2000)
    repos = [f"org/repo-{n:04d}" for n in range(2000)]
    edges: set[tuple[str, str]] = set()
    while len(edges) < 6000:
        low, high = sorted(rng.sample(range(2000), 2))
        edges.add((repos[high], repos[low]))
    path = write_graph(tmp_path / "graph.json", repos, sorted(edges))

    graph = ReleaseGraph.from_file(path)
    order = graph.topological_order()

    position = {repo: index for index, repo in enumerate(order)}
    assert len(order) == 2000
    assert all(position[dependency] < position[dependent] for dependent, dependency in edges)
