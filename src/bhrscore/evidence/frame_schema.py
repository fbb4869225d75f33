"""One frame schema derived from the pydantic models: what each column may hold.

The models' core schemas (what pydantic itself validates with) are walked once per model:
types, vocabularies (enums, literals), patterns, lengths, bounds, required fields, defaults,
nested objects and lists of objects. What is code is read from the hooks of :mod:`.hooks`:
model validators through ``frame_checks()``, ``AfterValidator`` through ``VectorCheck``
metadata, a ``BeforeValidator`` that leaves text alone through ``TextUnchanged`` metadata.
Anything the walk does not understand (an unmarked ``BeforeValidator``, a union type, a
validator without a twin, a strict field) is marked *undecidable*: rows holding it are always
validated by pydantic. The columnar validator (:mod:`.columnar`) only ever accepts what this
schema can vouch for, so it is a sufficient condition for pydantic's acceptance.

The schema follows the kind registry: caches are keyed on its version.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel

from .hooks import TEXT_UNCHANGED_KEY, VECTOR_CHECK_KEY, DerivedColumn, FrameCheck, VectorCheck

LeafType = Literal["str", "int", "float", "bool", "date", "choice"]


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()

#: whitespace pydantic strips (Rust's ``str::trim``: the Unicode White_Space property)
PYDANTIC_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: whitespace Python's ``str.strip`` removes (a superset: adds the separators \x1c-\x1f)
PYTHON_WHITESPACE = PYDANTIC_WHITESPACE + "\x1c\x1d\x1e\x1f"

# Regex constructs whose meaning depends on Unicode tables (Rust regex, used by pydantic, and
# RE2, used by Arrow, may disagree on them): values outside ASCII go to pydantic.
_UNICODE_SENSITIVE = re.compile(r"\\[sSwWdDbBpP]|\(\?[a-zA-Z]*i")


@dataclass(frozen=True)
class Leaf:
    """One value column (or a list of values) as the model validates it."""

    name: str  # dotted name from the table root (or from the item, inside a list of objects)
    parent: str | None  # the object the leaf sits in (None: top level)
    type: LeafType
    many: bool = False  # a list of values (``tags``)
    nullable: bool = False
    required: bool = False
    default: Any = NO_DEFAULT  # plain value (enum -> its value, list -> tuple)
    strip: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    bounds: tuple[tuple[str, float], ...] = ()  # ("gt", 0), ("le", 10) ...
    allow_inf_nan: bool = True
    choices: tuple[str, ...] | None = None
    checks: tuple[VectorCheck, ...] = ()
    list_min: int | None = None
    list_max: int | None = None
    decidable: bool = True

    @property
    def unicode_sensitive(self) -> bool:
        return self.pattern is not None and bool(_UNICODE_SENSITIVE.search(self.pattern))


@dataclass(frozen=True)
class Obj:
    """A nested object (``union``, ``period``): present when given, else absent or default."""

    path: str
    parent: str | None
    model: type[BaseModel]
    nullable: bool
    required: bool
    materialized: bool  # absent means "the default object" (default_factory), not None
    decidable: bool


@dataclass(frozen=True, eq=False)
class ItemList:
    """A list of objects (``sources``): validated as a long table of items."""

    path: str
    parent: str | None
    item: ModelSchema
    nullable: bool
    required: bool
    list_min: int | None
    list_max: int | None
    decidable: bool


@dataclass(frozen=True, eq=False)
class ModelSchema:
    """Everything the columnar path knows about one model (a kind, a company, an item)."""

    model: type[BaseModel]
    leaves: Mapping[str, Leaf]
    objects: Mapping[str, Obj]
    lists: Mapping[str, ItemList]
    checks: tuple[tuple[str | None, FrameCheck], ...]  # (object path or None, check)
    derived: tuple[DerivedColumn, ...]
    decidable: bool  # False: some validator has no twin, every record goes to pydantic


# --- walking pydantic core schemas -------------------------------------------------------

_STR_KEYS = {"type", "pattern", "max_length", "min_length", "strip_whitespace", "metadata", "ref"}
_NUM_KEYS = {"type", "gt", "ge", "lt", "le", "metadata", "ref", "allow_inf_nan"}
_PLAIN_KEYS = {"type", "metadata", "ref"}


@lru_cache(maxsize=256)
def _declared(klass: type, name: str) -> tuple[Any, ...]:
    """What ``klass`` itself declares through hook ``name`` (called once per class, so that
    kinds share the objects their common base declares)."""
    hook = klass.__dict__.get(name)
    return tuple(hook.__func__(klass)) if hook is not None else ()


def _own_hooks(model: type[BaseModel], name: str) -> list[Any]:
    """Results of hook ``name`` declared by each class of the model's MRO (base first)."""
    out: list[Any] = []
    for klass in reversed(model.__mro__):
        out.extend(_declared(klass, name))
    return out


def _validators_have_twins(model: type[BaseModel]) -> bool:
    """Every class that declares model or field validators also declares ``frame_checks``
    (field validators never have twins: their fields are undecidable anyway)."""
    decorators = model.__pydantic_decorators__
    for name, dec in decorators.model_validators.items():
        if dec.info.mode != "after":
            return False
        owner = next((k for k in model.__mro__ if name in k.__dict__), None)
        if owner is None or "frame_checks" not in owner.__dict__:
            return False
    return not (decorators.root_validators or decorators.validators)


class _Walker:
    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def resolve(self, node: Any) -> Any:
        while True:
            kind = node.get("type")
            if kind == "definitions":
                for d in node.get("definitions", []):
                    self.defs[d["ref"]] = d
                node = node["schema"]
            elif kind == "definition-ref":
                node = self.defs[node["schema_ref"]]
            else:
                return node

    def model(self, node: Any) -> ModelSchema:
        node = self.resolve(node)
        while node.get("type") == "function-after":
            node = self.resolve(node["schema"])
        if node.get("type") != "model":
            raise TypeError(f"not a model schema: {node.get('type')}")
        cls = node["cls"]
        config = node.get("config", {})
        decidable = _validators_have_twins(cls) and not node.get("custom_init", False)
        if config.get("strict") or config.get("str_to_lower") or config.get("str_to_upper"):
            decidable = False
        if config.get("coerce_numbers_to_str"):
            decidable = False
        fields_node = self.resolve(node["schema"])
        if fields_node.get("type") != "model-fields":
            decidable = False
            fields: dict[str, Any] = {}
        else:
            fields = fields_node["fields"]
        schema = ModelSchema(cls, {}, {}, {}, (), (), decidable)
        leaves: dict[str, Leaf] = {}
        objects: dict[str, Obj] = {}
        lists: dict[str, ItemList] = {}
        checks: list[tuple[str | None, FrameCheck]] = [
            (None, c) for c in _own_hooks(cls, "frame_checks")
        ]
        for name, fnode in fields.items():
            self._field(name, None, fnode["schema"], config, leaves, objects, lists, checks)
        ok = decidable and all(o.decidable for o in objects.values())
        ok = ok and all(item.decidable for item in lists.values())
        return ModelSchema(
            schema.model,
            leaves,
            objects,
            lists,
            tuple(checks),
            tuple(_own_hooks(cls, "derived_columns")),
            ok,
        )

    def _field(
        self,
        name: str,
        parent: str | None,
        node: Any,
        config: Mapping[str, Any],
        leaves: dict[str, Leaf],
        objects: dict[str, Obj],
        lists: dict[str, ItemList],
        checks: list[tuple[str | None, FrameCheck]],
    ) -> None:
        full = name if parent is None else f"{parent}.{name}"
        default: Any = NO_DEFAULT
        has_factory = False
        nullable = False
        decidable = True
        node = self.resolve(node)
        if node.get("type") == "default":
            if "default_factory" in node:
                has_factory = True
                if node.get("default_factory_takes_data"):
                    decidable = False
                else:
                    default = node["default_factory"]()
            else:
                default = node["default"]
            node = self.resolve(node["schema"])
        if node.get("type") == "nullable":
            nullable = True
            node = self.resolve(node["schema"])
        required = default is NO_DEFAULT and not has_factory
        inner = node
        while inner.get("type") == "function-after" and VECTOR_CHECK_KEY not in inner.get(
            "metadata", {}
        ):
            inner = self.resolve(inner["schema"])
        if inner.get("type") == "model":
            sub = self.model(node)
            objects[full] = Obj(
                full,
                parent,
                sub.model,
                nullable,
                required,
                materialized=default is not None and default is not NO_DEFAULT,
                decidable=decidable and sub.decidable,
            )
            for leaf in sub.leaves.values():
                leaves[f"{full}.{leaf.name}"] = _rebase(leaf, full)
            for path, obj in sub.objects.items():
                objects[f"{full}.{path}"] = Obj(
                    f"{full}.{path}",
                    full if obj.parent is None else f"{full}.{obj.parent}",
                    obj.model,
                    obj.nullable,
                    obj.required,
                    obj.materialized,
                    obj.decidable,
                )
            for path, lst in sub.lists.items():
                lists[f"{full}.{path}"] = lst  # nested lists of objects: not flattened
                objects[full] = Obj(full, parent, sub.model, nullable, required, False, False)
            checks.extend((full if p is None else f"{full}.{p}", c) for p, c in sub.checks)
            return
        if node.get("type") == "list":
            items = self.resolve(node["items_schema"])
            probe = items
            while probe.get("type") == "function-after" and VECTOR_CHECK_KEY not in probe.get(
                "metadata", {}
            ):
                probe = self.resolve(probe["schema"])
            list_ok = decidable and set(node) <= {*_PLAIN_KEYS, "items_schema", "min_length"} | {
                "max_length"
            }
            if probe.get("type") == "model":
                item = self.model(items)
                lists[full] = ItemList(
                    full,
                    parent,
                    item,
                    nullable,
                    required,
                    node.get("min_length"),
                    node.get("max_length"),
                    list_ok and item.decidable,
                )
                return
            leaf = self._leaf(full, parent, items, config)
            leaves[full] = Leaf(
                **{
                    **leaf.__dict__,
                    "many": True,
                    "nullable": nullable,
                    "required": required,
                    "default": tuple(_plain(v) for v in default)
                    if isinstance(default, list | tuple)
                    else default,
                    "list_min": node.get("min_length"),
                    "list_max": node.get("max_length"),
                    "decidable": leaf.decidable and list_ok,
                }
            )
            return
        leaf = self._leaf(full, parent, node, config)
        leaves[full] = Leaf(
            **{
                **leaf.__dict__,
                "nullable": nullable,
                "required": required,
                "default": _plain(default) if default is not NO_DEFAULT else NO_DEFAULT,
                "decidable": leaf.decidable and decidable,
            }
        )

    def _leaf(self, name: str, parent: str | None, node: Any, config: Mapping[str, Any]) -> Leaf:
        checks: tuple[VectorCheck, ...] = ()
        decidable = True
        text_only = False  # a BeforeValidator marked TextUnchanged: only for text fields
        node = self.resolve(node)
        while node.get("type") in ("function-after", "function-before"):
            metadata = node.get("metadata", {})
            if node["type"] == "function-before":
                text_only = True
                decidable = decidable and bool(metadata.get(TEXT_UNCHANGED_KEY))
            elif marks := metadata.get(VECTOR_CHECK_KEY):
                checks += tuple(marks)
            else:
                decidable = False
            node = self.resolve(node["schema"])
        kind = node.get("type")
        if text_only and kind != "str":
            decidable = False
        base = Leaf(name, parent, "str", checks=checks, decidable=decidable)
        if kind == "str":
            if set(node) - _STR_KEYS:
                decidable = False
            min_length = node.get("min_length", config.get("str_min_length"))
            max_length = node.get("max_length", config.get("str_max_length"))
            return Leaf(
                **{
                    **base.__dict__,
                    "strip": bool(
                        node.get("strip_whitespace", config.get("str_strip_whitespace", False))
                    ),
                    "min_length": min_length,
                    "max_length": max_length,
                    "pattern": node.get("pattern"),
                    "decidable": decidable,
                }
            )
        if kind in ("int", "float"):
            if set(node) - _NUM_KEYS:
                decidable = False
            bounds = tuple((k, float(node[k])) for k in ("gt", "ge", "lt", "le") if k in node)
            allow = node.get("allow_inf_nan", config.get("allow_inf_nan", True))
            return Leaf(
                **{
                    **base.__dict__,
                    "type": kind,
                    "bounds": bounds,
                    "allow_inf_nan": bool(allow),
                    "decidable": decidable,
                }
            )
        if kind in ("bool", "date"):
            return Leaf(
                **{
                    **base.__dict__,
                    "type": kind,
                    "decidable": decidable and set(node) <= _PLAIN_KEYS,
                }
            )
        if kind == "enum":
            members = node.get("members", [])
            ok = node.get("sub_type") == "str" and not set(node) - {
                *_PLAIN_KEYS,
                "cls",
                "members",
                "sub_type",
                "missing",
            }
            return Leaf(
                **{
                    **base.__dict__,
                    "type": "choice",
                    "choices": tuple(str(m.value) for m in members),
                    "decidable": decidable and ok,
                }
            )
        if kind == "literal":
            expected = node.get("expected", [])
            ok = all(isinstance(v, str) for v in expected)
            return Leaf(
                **{
                    **base.__dict__,
                    "type": "choice",
                    "choices": tuple(str(v) for v in expected),
                    "decidable": decidable and ok,
                }
            )
        return Leaf(**{**base.__dict__, "decidable": False})


def _rebase(leaf: Leaf, prefix: str) -> Leaf:
    parent = prefix if leaf.parent is None else f"{prefix}.{leaf.parent}"
    return Leaf(**{**leaf.__dict__, "name": f"{prefix}.{leaf.name}", "parent": parent})


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    return value


@lru_cache(maxsize=64)
def model_schema(model: type[BaseModel]) -> ModelSchema:
    """The frame schema of one model (kinds, companies)."""
    return _Walker().model(model.__pydantic_core_schema__)


# --- the two tables ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TableSchema:
    """The schemas of the models that share one table (evidence: one per kind)."""

    table: Literal["companies", "evidence"]
    models: Mapping[str, ModelSchema]  # kind -> schema ("" for companies)
    leaves: Mapping[str, Leaf] = field(default_factory=dict)  # union, first declaration
    objects: Mapping[str, Obj] = field(default_factory=dict)
    lists: Mapping[str, ItemList] = field(default_factory=dict)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.models)


def _union(table: Literal["companies", "evidence"], models: dict[str, ModelSchema]) -> TableSchema:
    leaves: dict[str, Leaf] = {}
    objects: dict[str, Obj] = {}
    lists: dict[str, ItemList] = {}
    for schema in models.values():
        for name, leaf in schema.leaves.items():
            leaves.setdefault(name, leaf)
        for path, obj in schema.objects.items():
            objects.setdefault(path, obj)
        for path, lst in schema.lists.items():
            lists.setdefault(path, lst)
    return TableSchema(table, models, leaves, objects, lists)


@lru_cache(maxsize=8)
def _evidence_schema(version: int) -> TableSchema:
    from .registry import evidence_kinds

    return _union("evidence", {k: model_schema(m) for k, m in evidence_kinds().items()})


def evidence_schema() -> TableSchema:
    """The evidence table's schema over the registered kinds (follows the registry)."""
    from .registry import kinds_version

    return _evidence_schema(kinds_version())


@lru_cache(maxsize=1)
def company_schema() -> TableSchema:
    """The companies table's schema."""
    from .model import Company

    return _union("companies", {"": model_schema(Company)})


def table_schema(table: Literal["companies", "evidence"]) -> TableSchema:
    return company_schema() if table == "companies" else evidence_schema()
