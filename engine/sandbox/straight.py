"""Straight code: diagram code that cannot spend time of its own, run without reading the CPU clock."""
from __future__ import annotations

import ast

# What makes code spend time of its own: a loop, or a call other than those `straight` lets through. A `match` or
# an `except … as` could bind one of those names to something else, so they count too.
_SPENDING = (ast.For, ast.While, ast.comprehension, ast.Lambda, ast.FunctionDef, ast.ClassDef, ast.Match,
             ast.ExceptHandler)
_STRAIGHT_NODES = 200
# Builtins that take the same short time whatever they are given (`int`, `round` and `pow` are budgeted apart).
_CONSTANT_TIME = frozenset({"len", "bool", "isinstance", "abs"})


def straight(tree: ast.AST, helpers: frozenset[str] = frozenset()) -> bool:
    """Whether code is straight: it loops nowhere, calls only constant-time builtins and `helpers` (the engine's
    own, whose time is never charged), binds none of those names, and has at most `_STRAIGHT_NODES` nodes (a
    gateway's condition, a script that sets a few fields). Each of its operations is bounded by the size limits
    on the values it builds (`_binop_`), so the whole is bounded by its length, and it runs unclocked
    (`limits.evaluation`)."""
    callable_names = _CONSTANT_TIME | helpers
    for count, node in enumerate(ast.walk(tree)):
        if count >= _STRAIGHT_NODES or isinstance(node, _SPENDING):
            return False
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in callable_names):
            return False
        if isinstance(node, ast.Name) and node.id in callable_names and not isinstance(node.ctx, ast.Load):
            return False
    return True
