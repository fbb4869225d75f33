"""The rubric file model: a versioned tree of weighted nodes with one rule per indicator.

A rubric is data: YAML (read with ``yaml.safe_load``) or JSON, validated by :class:`Rubric`.
Structural mistakes (wrong types, unknown keys) and semantic ones (weights that do not sum to
1, unknown evidence kinds, fields, vocabulary values, rule types, references to missing
nodes) are reported together as a :class:`RubricError` whose lines read
``file: tree[1].children[0].weight: message``. See ``docs/rubrics.md``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from ..evidence.model import Slug
from ..evidence.report import shorten
from ..evidence.suggest import close_matches, with_hint
from ..yaml_load import NestingError, YamlValueError, check_depth, guarded_load
from .fields import YAML_BOOL_HINT, Problem, select_problems
from .lines import Locations, load_with_lines
from .node_aggregations import NODE_AGGREGATIONS
from .rules import RuleField, RuleSpec
from .screening import Screened, parse_missing
from .spec import Decay, Select, Spec, Window

ROOT_ID = "total"
WEIGHT_TOLERANCE = 1e-6
#: A registered node aggregation (:mod:`.node_aggregations`): arithmetic, geometric, minimum,
#: pooled, count_weighted, or one registered in Python.
Aggregation = Annotated[
    str,
    Field(
        description="A registered node aggregation: arithmetic, geometric, minimum, pooled,"
        " count_weighted (or one registered with @node_aggregation)",
        examples=["arithmetic", "geometric", "minimum", "pooled", "count_weighted"],
    ),
]
MissingPolicy = Literal["zero", "exclude"]
Weight = Annotated[float, Field(ge=0, le=1)]
SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"


class StatusWeights(Spec):
    """Weight of a record by its status. ``retracted`` must be 0 and
    ``alleged <= corroborated <= verified``."""

    verified: Weight = 1.0
    corroborated: Weight = 0.75
    alleged: Weight = 0.5
    disputed: Weight = 0.25
    retracted: Weight = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> StatusWeights:
        if self.retracted != 0:
            raise ValueError("retracted evidence must weigh 0")
        if not self.alleged <= self.corroborated <= self.verified:
            raise ValueError("weights must satisfy alleged <= corroborated <= verified")
        return self


class ReliabilityWeights(Spec):
    """Weight of a record by source reliability; ``low <= medium <= high``."""

    high: Weight = 1.0
    medium: Weight = 0.8
    low: Weight = 0.5

    @model_validator(mode="after")
    def _ordered(self) -> ReliabilityWeights:
        if not self.low <= self.medium <= self.high:
            raise ValueError("weights must satisfy low <= medium <= high")
        return self


class InvolvementWeights(Spec):
    """Penalty factor by the company's involvement (UNGP terms); ``unknown`` when the record
    does not say."""

    caused: Weight = 1.0
    contributed: Weight = 0.75
    directly_linked: Weight = 0.5
    unknown: Weight = 0.5


class Policies(Spec):
    """Rubric-wide defaults. ``missing``: an indicator without evidence scores 0 (``zero``)
    or is left out and its weight re-distributed among its siblings (``exclude``).
    ``min_coverage``: the share of the total weight (0-1) that must rest on evidence for a
    company to be ranked; below it the company is *insufficient evidence*: its partial score
    and coverage are shown with the reason, but it has no rank."""

    missing: MissingPolicy = "zero"
    min_coverage: Annotated[float, Field(ge=0, le=1)] = 0.0
    aggregation: Aggregation = "arithmetic"
    window: Window | None = None
    decay: Decay | None = None
    status_weights: StatusWeights = Field(default_factory=StatusWeights)
    reliability_weights: ReliabilityWeights = Field(default_factory=ReliabilityWeights)
    involvement_weights: InvolvementWeights = Field(default_factory=InvolvementWeights)


class WhenCase(Spec):
    """Alternative weights for a node's children, for the companies whose evidence meets
    ``select`` (at least one record selected in the window, of positive weight). A node's
    cases are tried in order; the first that holds applies, else the children's own weights.
    Give ``weights`` (child id -> weight, summing to 1) or, when the children have
    ``points``, ``points`` (child id -> points); children not listed get 0 (left out)."""

    id: Slug
    title: str | None = None
    select: Select
    weights: dict[str, Annotated[float, Field(ge=0, le=1)]] | None = None
    points: dict[str, Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _one(self) -> WhenCase:
        if (self.weights is None) == (self.points is None):
            raise ValueError("give exactly one of weights or points")
        return self


class Node(Spec):
    """A theme, sub-theme or indicator. A node has either ``children`` or a ``rule`` (then it
    is an indicator and needs a ``rationale``). ``weight`` is its share of the parent: give
    it on all siblings (summing to 1) or on none (equal shares); or give ``points`` on all
    siblings instead (a theme worth 10 points of 100: shares ``points / sum of points``).
    ``aggregation`` names a registered node aggregation; ``when`` gives conditional weights
    for the children. ``missing`` overrides the policy for the indicators below: ``zero``,
    ``exclude``, a fixed score, or a screening rule (``{screened: 100, topics:
    [retaliation]}``: "no reprisal recorded" counts only for companies screened for it, see
    :mod:`.screening`)."""

    id: Slug
    title: str = Field(min_length=1)
    description: str | None = None
    weight: Weight | None = None
    points: Annotated[float, Field(gt=0)] | None = None
    aggregation: Aggregation | None = None
    when: list[WhenCase] | None = None
    missing: Annotated[
        MissingPolicy | Annotated[float, Field(ge=0, le=100)] | Screened | None,
        BeforeValidator(parse_missing),
    ] = None
    rationale: str | None = None
    standards: list[str] = Field(default_factory=list)
    children: list[Node] | None = None
    rule: RuleField | None = None

    @property
    def is_indicator(self) -> bool:
        return self.rule is not None


class Penalty(Spec):
    """A deduction for serious allegations. Each selected record has a factor
    ``status weight x reliability weight x decay x involvement weight``; ``points``
    subtracts ``points x`` the largest factor (``combine: sum``: the sum of factors, limited
    to ``max_points``), ``cap`` limits the node to ``100 - (100 - cap) x`` the largest
    factor. The node is ``total`` (the root) or any node id."""

    id: Slug
    title: str = Field(min_length=1)
    description: str | None = None
    node: str = ROOT_ID
    select: Select
    points: Annotated[float, Field(gt=0, le=100)] | None = None
    cap: Annotated[float, Field(ge=0, le=100)] | None = None
    combine: Literal["max", "sum"] = "max"
    max_points: Annotated[float, Field(gt=0, le=100)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Penalty:
        if (self.points is None) == (self.cap is None):
            raise ValueError("give exactly one of points or cap")
        if self.max_points is not None and self.points is None:
            raise ValueError("max_points goes with points")
        return self


@dataclass(frozen=True)
class NodeInfo:
    """A node's place in the tree."""

    node: Node
    parent_id: str
    depth: int
    path: str  # YAML path, e.g. tree[1].children[0]
    theme_id: str  # top-level ancestor (itself at depth 1)
    weight: float  # effective share of its parent


class Rubric(Spec):
    """A scoring rubric: identity, policies, the node tree and penalties. Scores are 0-100;
    the root node is ``total`` and aggregates the top-level nodes with ``policies.aggregation``.
    """

    id: Slug
    version: Annotated[str, Field(pattern=SEMVER, description="Semantic version, e.g. 1.2.0")]
    title: str = Field(min_length=1)
    description: str | None = None
    policies: Policies = Field(default_factory=Policies)
    tree: list[Node] = Field(min_length=1)
    penalties: list[Penalty] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _drop_extensions(cls, data: Any) -> Any:
        # Top-level ``x-...`` keys hold YAML anchors shared by rules (as in OpenAPI or
        # docker-compose); they are not part of the rubric.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).startswith("x-")}
        return data

    @model_validator(mode="after")
    def _semantics(self) -> Rubric:
        problems = list(rubric_problems(self))
        if problems:
            raise RubricProblemsError(problems)
        return self

    def walk(self) -> Iterator[NodeInfo]:
        """Every node, parents before children, in file order."""

        def visit(
            nodes: list[Node], parent: str, depth: int, path: str, theme: str | None
        ) -> Iterator[NodeInfo]:
            weights = effective_weights(nodes)
            for i, (node, w) in enumerate(zip(nodes, weights, strict=True)):
                here = f"{path}[{i}]"
                top = theme or node.id
                yield NodeInfo(node, parent, depth, here, top, w)
                if node.children:
                    yield from visit(node.children, node.id, depth + 1, here + ".children", top)

        yield from visit(self.tree, ROOT_ID, 1, "tree", None)

    def indicators(self) -> list[NodeInfo]:
        return [info for info in self.walk() if info.node.is_indicator]

    def node_info(self) -> dict[str, NodeInfo]:
        return {info.node.id: info for info in self.walk()}

    def canonical(self) -> dict[str, Any]:
        """The content as plain JSON data (defaults filled in), the basis of the hash."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return data

    def content_hash(self) -> str:
        """sha256 of the canonical JSON content (independent of formatting and comments)."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def effective_weights(nodes: list[Node]) -> list[float]:
    """Given weights; or shares of the given points (``points / sum of points``); or equal
    shares when no sibling gives either."""
    if nodes and all(n.points is not None for n in nodes):
        total = math.fsum(n.points for n in nodes if n.points is not None)
        return [(n.points or 0.0) / total for n in nodes]
    if all(n.weight is None for n in nodes):
        return [1.0 / len(nodes)] * len(nodes) if nodes else []
    return [n.weight if n.weight is not None else math.nan for n in nodes]


def case_weights(case: WhenCase, children: list[Node]) -> list[float]:
    """A ``when`` case's effective weights for ``children`` (0 for children not listed;
    points as shares of their sum)."""
    given = case.points if case.points is not None else case.weights or {}
    raw = [float(given.get(child.id, 0.0)) for child in children]
    total = math.fsum(raw)
    if case.points is not None:
        return [r / total if total > 0 else 0.0 for r in raw]
    return raw


def _when_problems(node: Node, here: str) -> Iterator[Problem]:
    if not node.when:
        return
    if node.children is None:
        yield f"{here}.when", "an indicator has no children to weigh: give when on a theme"
        return
    ids = [c.id for c in node.children]
    by_points = all(c.points is not None for c in node.children)
    seen: set[str] = set()
    for i, case in enumerate(node.when):
        path = f"{here}.when[{i}]"
        if case.id in seen:
            yield f"{path}.id", f"duplicate when case id {case.id!r}"
        seen.add(case.id)
        yield from select_problems(case.select, f"{path}.select")
        key = "points" if case.points is not None else "weights"
        given = case.points if case.points is not None else case.weights or {}
        if by_points and key == "weights":
            yield f"{path}.weights", "the children have points: give the case's points"
        elif not by_points and key == "points":
            yield f"{path}.points", "the children have weights, not points: give weights"
        for child_id in given:
            if child_id not in ids:
                yield (
                    f"{path}.{key}.{child_id}",
                    f"no child {child_id!r} (children: {', '.join(ids)})",
                )
        total = math.fsum(given.values())
        if total <= 0:
            yield f"{path}.{key}", "give at least one child a positive share"
        elif key == "weights" and abs(total - 1.0) > WEIGHT_TOLERANCE:
            yield (
                f"{path}.weights",
                f"weights must sum to 1 (within {WEIGHT_TOLERANCE:g}); they sum to {total:g}",
            )


def _aggregation_problems(node: Node, here: str, default: str) -> Iterator[Problem]:
    if node.aggregation is not None and node.aggregation not in NODE_AGGREGATIONS:
        yield f"{here}.aggregation", NODE_AGGREGATIONS.unknown(node.aggregation)
    elif (node.aggregation or default) == "pooled" and node.children:
        given = [i for i, c in enumerate(node.children) if c.weight is not None or c.points]
        if given:
            yield (
                f"{here}.children[{given[0]}].weight",
                "the children of a pooled node have no weight (every indicator beneath counts"
                " once): leave weight and points out",
            )


def _weight_problems(nodes: list[Node], path: str) -> Iterator[Problem]:
    both = [i for i, n in enumerate(nodes) if n.weight is not None and n.points is not None]
    if both:
        yield f"{path}[{both[0]}].points", "give weight or points, not both"
        return
    with_points = [n.points is not None for n in nodes]
    if any(with_points):
        if not all(with_points):
            first = with_points.index(False)
            yield f"{path}[{first}].points", "give points on every sibling or on none"
        return
    given = [n.weight is not None for n in nodes]
    if not any(given):
        return
    if not all(given):
        missing = [f"{path}[{i}]" for i, g in enumerate(given) if not g]
        yield missing[0] + ".weight", "give a weight on every sibling or on none (equal shares)"
        return
    total = math.fsum(n.weight for n in nodes if n.weight is not None)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        listed = ", ".join(f"{n.id}={n.weight:g}" for n in nodes)
        yield (
            f"{path}[0].weight",
            f"sibling weights must sum to 1 (within {WEIGHT_TOLERANCE:g}); "
            f"they sum to {total:g} ({listed})",
        )


def _node_problems(
    nodes: list[Node], path: str, seen: dict[str, str], default: str
) -> Iterator[Problem]:
    yield from _weight_problems(nodes, path)
    for i, node in enumerate(nodes):
        here = f"{path}[{i}]"
        if node.id == ROOT_ID:
            yield f"{here}.id", f"{ROOT_ID!r} is reserved for the root"
        elif node.id in seen:
            yield f"{here}.id", f"duplicate node id {node.id!r} (first at {seen[node.id]})"
        else:
            seen[node.id] = here
        if (node.children is None) == (node.rule is None):
            yield here, "a node has either children (a theme) or a rule (an indicator)"
            continue
        if node.children is not None:
            if not node.children:
                yield f"{here}.children", "give at least one child"
            yield from _aggregation_problems(node, here, default)
            yield from _when_problems(node, here)
            yield from _node_problems(node.children, f"{here}.children", seen, default)
        else:
            assert node.rule is not None
            if not node.rationale:
                yield f"{here}.rationale", "an indicator needs a rationale"
            if node.aggregation is not None:
                yield f"{here}.aggregation", "an indicator has no children to aggregate"
            if node.when is not None:
                yield f"{here}.when", "an indicator has no children to weigh: give when on a theme"
            yield from node.rule.problems(f"{here}.rule")


def _indicator_ids(nodes: list[Node]) -> set[str]:
    ids: set[str] = set()
    for node in nodes:
        if node.children:
            ids |= _indicator_ids(node.children)
        elif node.rule is not None:
            ids.add(node.id)
    return ids


def rubric_problems(rubric: Rubric) -> Iterator[Problem]:
    """Every semantic problem of a structurally valid rubric, with its YAML path."""
    seen: dict[str, str] = {}
    if rubric.policies.aggregation not in NODE_AGGREGATIONS:
        yield "policies.aggregation", NODE_AGGREGATIONS.unknown(rubric.policies.aggregation)
    elif rubric.policies.aggregation == "pooled":  # the root's children
        given = [i for i, c in enumerate(rubric.tree) if c.weight is not None or c.points]
        if given:
            yield (
                f"tree[{given[0]}].weight",
                "the total is pooled (policies.aggregation): its children have no weight"
                " (every indicator counts once); leave weight and points out",
            )
    yield from _node_problems(rubric.tree, "tree", seen, rubric.policies.aggregation)
    penalty_ids: set[str] = set()
    indicators = _indicator_ids(rubric.tree)
    for i, penalty in enumerate(rubric.penalties):
        here = f"penalties[{i}]"
        if penalty.id in penalty_ids:
            yield f"{here}.id", f"duplicate penalty id {penalty.id!r}"
        penalty_ids.add(penalty.id)
        if penalty.node != ROOT_ID and penalty.node not in seen:
            yield f"{here}.node", f"no node with id {penalty.node!r} (nor {ROOT_ID!r})"
        elif penalty.node in indicators:
            yield (
                f"{here}.node",
                f"{penalty.node!r} is an indicator; penalties apply to the total, a theme or a "
                "sub-theme",
            )
        yield from select_problems(penalty.select, f"{here}.select")


class RubricProblemsError(ValueError):
    """Semantic problems found by the model validator (path, message pairs)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{p}: {m}" for p, m in problems))


class RubricError(ValueError):
    """A rubric file that cannot be used; ``problems`` are (YAML path, message) pairs.

    Read from a YAML file (``locations`` given), each line names the file's line and the
    theme, indicator or penalty at fault: ``x.yaml:42: indicator 'dialogue.recognition':
    tree[0].children[1].weight: must be a number (got 'high')``; otherwise
    ``x.yaml: tree[0].children[1].weight: …``."""

    def __init__(
        self, file: str, problems: list[Problem], locations: Locations | None = None
    ) -> None:
        self.file = file
        self.problems = problems
        self.locations = locations
        super().__init__("\n".join(self.line_of(path, msg) for path, msg in problems))

    def line_of(self, path: str, msg: str) -> str:
        """One problem as a line of the message."""
        if self.locations is None or not path:
            return f"{self.file}: {path}: {msg}" if path else f"{self.file}: {msg}"
        line = self.locations.line(path)
        node = self.locations.node(path)
        place = f"{self.file}:{line}" if line is not None else self.file
        return f"{place}: " + (f"{node}: " if node else "") + f"{path}: {msg}"


def format_loc(loc: tuple[str | int, ...]) -> str:
    """``('tree', 1, 'children', 0, 'weight')`` -> ``tree[1].children[0].weight``."""
    out = ""
    for part in loc:
        if isinstance(part, bool):
            out += f".{str(part).lower()}"
        elif isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "tagged-union", "json-or-python")) or part in (
            "Identity",
            "Boolean",
            "Linear",
            "Thresholds",
            "ScaleSpec",
            "EvidenceRule",
            "SayDoGapRule",
            "ElementsRule",
            "WhenCase",
            "RuleSpec",
            "Screened",
        ):
            continue  # pydantic's internal union/validator steps, not part of the file
        elif part == "[key]" or part.startswith(
            ("str", "float", "int", "list", "dict", "literal", "bool")
        ):
            continue
        else:
            out += ("." if out else "") + part
    return out


#: pydantic error type -> plain words (the value follows as "(got …)")
_WORDING = {
    "missing": "required key is missing",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "extra_forbidden": "unknown key",
}


def _rubric_keys() -> list[str]:
    """Every key a rubric model knows (field names and aliases), for "did you mean"."""
    keys: set[str] = set()
    todo: list[type[Spec]] = [Spec]
    while todo:
        model = todo.pop()
        todo += model.__subclasses__()
        for name, info in model.model_fields.items():
            keys.add(info.alias or name)
    return sorted(keys)


def _wording(error: Any) -> str:
    """Plain words for a pydantic error, with the offending scalar value (shortened)."""
    words = _WORDING.get(error["type"])
    if error["type"] == "string_pattern_mismatch" and error["loc"][-1:] == ("version",):
        return f"must be a version number such as 1.0.0 (got {shorten(error.get('input'))!r})"
    if error["type"] == "string_type" and error["loc"][-1:] == ("version",):
        return f"must be text such as 1.0.0 (got {shorten(error.get('input'))}: quote it)"
    if words is None:
        return str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        key = str(error["loc"][-1]) if error["loc"] else ""
        return with_hint(words, close_matches(key, _rubric_keys()))
    if error["type"] == "missing" or isinstance(value, dict | list):
        return words
    shown = repr(shorten(value)) if isinstance(value, str) else shorten(value)
    return f"{words} (got {shown})"


def problems_from_validation(err: ValidationError) -> list[Problem]:
    """Pydantic errors -> (YAML path, message), semantic problems unpacked."""
    problems: list[Problem] = []
    seen: set[Problem] = set()
    for e in err.errors():
        ctx_err = (e.get("ctx") or {}).get("error")
        if isinstance(ctx_err, RubricProblemsError):
            found = ctx_err.problems
        else:
            msg = _wording(e)
            if isinstance(e.get("input"), bool):
                msg += YAML_BOOL_HINT
            found = [(format_loc(tuple(e["loc"])), msg)]
        for p in found:
            if p not in seen:
                seen.add(p)
                problems.append(p)
    return problems


def parse_rubric(data: Any, file: str = "<rubric>", locations: Locations | None = None) -> Rubric:
    """Validate already-parsed data (a mapping) into a :class:`Rubric` (``locations``: where
    its parts are in the file, for the error lines)."""
    if not isinstance(data, dict):
        raise RubricError(file, [("", "a rubric file holds a mapping (id, version, tree, ...)")])
    try:
        return Rubric.model_validate(data)
    except ValidationError as err:
        raise RubricError(file, problems_from_validation(err), locations) from None


def read_data(path: Path) -> Any:
    """YAML (``yaml.safe_load``) or JSON text -> data; syntax errors name the line."""
    return read_located(path)[0]


def read_located(path: Path) -> tuple[Any, Locations | None]:
    """:func:`read_data` and, for YAML, the :class:`Locations` of its parts (a safe loader
    that records line marks, :mod:`.lines`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        where = f"byte 0x{err.object[err.start]:02X} at offset {err.start}"
        raise RubricError(str(path), [("", f"not a UTF-8 text file ({where})")]) from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
            check_depth(data)
            return data, None
        except json.JSONDecodeError as err:
            raise RubricError(str(path), [("", f"line {err.lineno}: {err.msg}")]) from None
        except RecursionError:  # the JSON parser's own depth limit (about 1,000 levels)
            raise RubricError(str(path), [("", "JSON nested too deeply")]) from None
        except NestingError as err:
            raise RubricError(str(path), [("", str(err))]) from None
    try:
        data, root = guarded_load(text, load_with_lines)  # safe, with a nesting limit
        return data, Locations(data, root)
    except YamlValueError as err:
        raise RubricError(str(path), [("", str(err))]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise RubricError(str(path), [("", f"{where}YAML syntax error: {problem}")]) from None


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate a rubric file (YAML or JSON). Raises :class:`RubricError`."""
    data, locations = read_located(Path(path))
    return parse_rubric(data, str(path), locations)


Node.model_rebuild()
RuleSpec.model_rebuild()
