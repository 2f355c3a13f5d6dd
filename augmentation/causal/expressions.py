"""Row conditions of a causal map (``forbidden``): a small closed grammar, parsed here, never by Python.

A map file is user input, and pandas ``eval``/``query`` are not a sandbox (``@`` reaches any Python
object, so a map could run a shell command). This module tokenizes and parses the text itself and
evaluates the tree vectorised; nothing in it can name anything but a column or a literal::

    condition  := or
    or         := and (("or" | "|") and)*
    and        := not (("and" | "&") not)*
    not        := ("not" | "~") not | "(" or ")" | comparison
    comparison := operand (CMP operand)+          # chains like pandas: 3 <= gcs <= 15
                | operand ["not"] "in" "[" [literal ("," literal)*] "]"
    operand    := column | literal                # column: name or `back-ticked name`
    literal    := number | "-" number | 'string' | "string" | True | False

``&``/``|`` bind like ``and``/``or`` (as pandas rewrites them). A comparison with a missing value is
False (``!=``: True), as in pandas.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import pandas as pd

from augmentation.errors import ConfigError

MAX_DEPTH = 32  # nested parentheses / not: a bound that keeps the parser far from Python's recursion limit
MAX_LENGTH = 2000
COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
           ">=": operator.ge}
KEYWORDS = {"and": "and", "&": "and", "or": "or", "|": "or", "not": "not", "~": "not", "in": "in"}
GRAMMAR = ("write a row condition over the map's columns, e.g. \"gcs < 3 or (sex == 'F' and age > 90)\": "
           "comparisons (== != < <= > >=), and/or/not, parentheses, `in [...]` lists, numbers and quoted strings; "
           "no calls, attributes, subscripts, '@' or arithmetic")
_TOKEN = re.compile(r"""\s*(?:
    (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[^\W\d]\w*)
  | `(?P<quoted>[^`]+)`
  | (?P<op>==|!=|<=|>=|<|>|&|\||~|\(|\)|\[|\]|,|-)
  | (?P<bad>\S))""", re.VERBOSE)
_BAD = {"@": "'@' (a reference to a Python object)", ".": "attribute access ('.')", "=": "'=' (compare with '==')",
        "+": "arithmetic ('+')", "*": "arithmetic ('*')", "/": "arithmetic ('/')", "%": "arithmetic ('%')",
        ":": "':' (lambdas, slices)", "'": "an unclosed string", '"': "an unclosed string",
        "`": "an unclosed `quoted name`"}


@dataclass(frozen=True)
class Column:
    name: str


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Compare:
    op: str
    left: Union[Column, Literal]
    right: Union[Column, Literal]


@dataclass(frozen=True)
class In:
    operand: Union[Column, Literal]
    values: tuple[Any, ...]
    negate: bool = False


@dataclass(frozen=True)
class Not:
    part: "Node"


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    parts: tuple["Node", ...]


Node = Union[Compare, In, Not, BoolOp]


@dataclass(frozen=True)
class Condition:
    """A parsed row condition: its text, its tree, the columns it names; ``mask(frame)`` evaluates it."""

    text: str
    tree: Node
    columns: frozenset[str]
    label: str = "forbidden combination"

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """A boolean numpy array, one entry per row of ``frame``: True where the row meets the condition."""
        try:
            return _eval(self.tree, frame)
        except (TypeError, ValueError, KeyError) as exc:  # e.g. a string column compared with a number
            raise ConfigError(f"{self.label} {_quote(self.text)} cannot be evaluated on the data: {exc!r}",
                              "compare numeric columns with numbers and categorical columns with quoted strings, "
                              "and use only columns of the data") from exc


def parse(text: str, columns: Iterable[str] | None = None, *, label: str = "forbidden combination",
          where: str = "the causal map") -> Condition:
    """Parse ``text``; every column it names must be in ``columns`` (unless None). Raises one ConfigError."""
    text = str(text)
    parser = _Parser(text, label, where)
    tree = parser.condition()
    known = None if columns is None else list(columns)
    if known is not None:
        for name in parser.names:
            if name not in known:
                raise ConfigError(f"{label} {_quote(text)} in {where} names unknown column {name!r}",
                                  f"use the map's columns: {known}")
    return Condition(text=text, tree=tree, columns=frozenset(parser.names), label=label)


def _quote(text: str) -> str:
    return repr(text if len(text) <= 120 else text[:100] + " ...")  # a 10,000-level nesting stays one line


class _Parser:
    def __init__(self, text: str, label: str, where: str) -> None:
        self.text, self.label, self.where = text, label, where
        self.tokens: list[tuple[str, Any, int]] = []  # (kind, value, position)
        self.names: list[str] = []
        self.i = self.depth = 0
        if len(text) > MAX_LENGTH:
            self.fail(f"is longer than {MAX_LENGTH} characters", MAX_LENGTH)
        pos = 0
        while (match := _TOKEN.match(text, pos)) and match.lastgroup:
            kind, value, start = match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup)
            if kind == "bad":
                self.fail(f"uses {_BAD.get(value, repr(value))}, which is not allowed", start)
            if kind == "number":
                value = float(value) if any(c in value for c in ".eE") else int(value)
            elif kind == "string":
                value = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), value[1:-1])
            elif kind == "name" and value in ("True", "False"):
                kind, value = "bool", value == "True"
            elif kind == "name" and value in KEYWORDS:
                kind = "op"
            elif kind == "quoted":
                kind = "name"
            self.tokens.append((kind, KEYWORDS.get(value, value) if kind == "op" else value, start))
            pos = match.end()
        self.tokens.append(("end", None, len(text)))

    def fail(self, problem: str, pos: int) -> None:
        raise ConfigError(f"{self.label} {_quote(self.text)} in {self.where} cannot be evaluated: it {problem} "
                          f"(at character {pos + 1})", GRAMMAR)

    def peek(self, value: str) -> bool:
        kind, tok, _ = self.tokens[self.i]
        return kind == "op" and tok == value

    def take(self) -> tuple[str, Any, int]:
        self.i += 1
        return self.tokens[self.i - 1]

    def unexpected(self, expected: str) -> None:
        kind, value, pos = self.tokens[self.i]
        found = "the end" if kind == "end" else repr(value)
        hints = {"(": "calls are not allowed", "[": "subscripts are not allowed", "-": "arithmetic is not allowed"}
        hint = f"; {hints[value]}" if kind == "op" and value in hints and expected != "a value" else ""
        self.fail(f"has {found} where {expected} was expected{hint}", pos)

    def condition(self) -> Node:
        tree = self.boolean("or")
        if self.tokens[self.i][0] != "end":
            self.unexpected("'and', 'or' or the end")
        return tree

    def boolean(self, op: str) -> Node:
        parts = [self.boolean("and") if op == "or" else self.negation()]
        while self.peek(op):
            self.take()
            parts.append(self.boolean("and") if op == "or" else self.negation())
        return parts[0] if len(parts) == 1 else BoolOp(op, tuple(parts))

    def negation(self) -> Node:
        if self.peek("not") or self.peek("("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self.fail(f"nests deeper than {MAX_DEPTH} levels", self.tokens[self.i][2])
            if self.take()[1] == "not":
                node: Node = Not(self.negation())
            else:
                node = self.boolean("or")
                if not self.peek(")"):
                    self.unexpected("')'")
                self.take()
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        negate = self.peek("not")
        if negate or self.peek("in"):
            self.i += negate
            if not self.peek("in"):
                self.unexpected("'in'")
            self.take()
            return In(left, self.values(), negate)
        parts = []
        while self.tokens[self.i][0] == "op" and self.tokens[self.i][1] in COMPARE:
            op = self.take()[1]
            right = self.operand()
            parts.append(Compare(op, left, right))
            left = right
        if not parts:
            self.unexpected("a comparison (== != < <= > >=) or 'in'")
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def operand(self) -> Union[Column, Literal]:
        kind, value, pos = self.tokens[self.i]
        if kind == "name":
            self.take()
            self.names.append(value)
            return Column(value)
        return Literal(self.literal())

    def literal(self) -> Any:
        negative = self.peek("-")
        self.i += negative
        kind, value, _ = self.tokens[self.i]
        if kind == "number" or (kind in ("string", "bool") and not negative):
            self.take()
            return -value if negative else value
        self.unexpected("a number" if negative else "a value")

    def values(self) -> tuple[Any, ...]:
        if not self.peek("["):
            self.unexpected("a list like ['a', 'b']")
        self.take()
        out = []
        while not self.peek("]"):
            if out:
                if not self.peek(","):
                    self.unexpected("',' or ']'")
                self.take()
            out.append(self.literal())
        self.take()
        return tuple(out)


def _value(node: Union[Column, Literal], frame: pd.DataFrame) -> Any:
    return frame[node.name] if isinstance(node, Column) else node.value


def _mask(result: Any, n: int) -> np.ndarray:
    if isinstance(result, pd.Series):  # nullable dtypes hold pd.NA where a value was missing: not a hit
        return result.to_numpy(dtype=bool, na_value=False)
    return np.full(n, bool(result))  # literal against literal


def _eval(node: Node, frame: pd.DataFrame) -> np.ndarray:
    if isinstance(node, Compare):
        return _mask(COMPARE[node.op](_value(node.left, frame), _value(node.right, frame)), len(frame))
    if isinstance(node, In):
        value = _value(node.operand, frame)
        hit = _mask(value.isin(node.values) if isinstance(value, pd.Series) else value in node.values, len(frame))
        return ~hit if node.negate else hit
    if isinstance(node, Not):
        return ~_eval(node.part, frame)
    masks = [_eval(part, frame) for part in node.parts]
    return np.logical_and.reduce(masks) if node.op == "and" else np.logical_or.reduce(masks)
