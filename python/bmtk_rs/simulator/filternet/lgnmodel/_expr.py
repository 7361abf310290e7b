"""A small, safe arithmetic-expression compiler for transfer-function strings such as
``'Heaviside(s + 1.2)*(s + 1.2)'``.

bmtk parses these strings with sympy and turns them into numpy functions; bmtk-rs reads the same
sympy spellings (``Heaviside``, ``exp``, ``log``, ``sqrt``, ``Abs``, ``Max``, ``Min``, ``pi``, ...)
without depending on sympy. Only arithmetic, calls of the names below and the declared variables
are accepted; anything else is an error naming the offending piece.
"""

import ast
import functools

import numpy as np


def _heaviside(x, *_ignored):
    # bmtk evaluates Heaviside with H(0) = 1/2 whatever second argument the string gives
    return np.heaviside(x, 0.5)


def _log(x, base=None):
    return np.log(x) if base is None else np.log(x) / np.log(base)


def _max(*args):
    return functools.reduce(np.maximum, args)


def _min(*args):
    return functools.reduce(np.minimum, args)


FUNCTIONS = {
    "Heaviside": _heaviside, "exp": np.exp, "log": _log, "ln": np.log, "sqrt": np.sqrt, "Abs": np.abs,
    "abs": np.abs, "sign": np.sign, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin,
    "acos": np.arccos, "atan": np.arctan, "atan2": np.arctan2, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "floor": np.floor, "ceiling": np.ceil, "Max": _max, "Min": _min,
}
CONSTANTS = {"pi": np.pi, "E": np.e}

_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Load, ast.Constant,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Mod, ast.USub, ast.UAdd)


def compile_expression(text, variables):
    """A function of ``variables`` (names, in order) evaluating ``text`` with numpy semantics."""
    if not isinstance(text, str):
        raise TypeError("a transfer function must be a string, got {!r}".format(text))
    variables = [str(v) for v in variables]
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError("cannot parse transfer function {!r}: {}".format(text, exc.msg)) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.BitXor):
            raise ValueError("transfer function {!r}: use ** for powers, not ^".format(text))
        if not isinstance(node, _ALLOWED):
            raise ValueError("transfer function {!r}: {} is not allowed".format(text, type(node).__name__))
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ValueError("transfer function {!r}: constant {!r} is not a number".format(text, node.value))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                raise ValueError("transfer function {!r}: unknown function call {}".format(
                    text, ast.unparse(node.func)))
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in CONSTANTS \
                and node.id not in variables:
            raise ValueError("transfer function {!r} uses {!r}, which is not one of its variables {}".format(
                text, node.id, variables))
    code = compile(tree, "<transfer function>", "eval")
    namespace = {"__builtins__": {}}
    namespace.update(FUNCTIONS)
    namespace.update(CONSTANTS)

    def evaluate(*args):
        if len(args) != len(variables):
            raise TypeError("transfer function {!r} takes {} value(s), got {}".format(
                text, len(variables), len(args)))
        scope = dict(namespace)
        scope.update(zip(variables, args))
        return eval(code, scope)  # noqa: S307 - the tree was checked above: arithmetic and listed calls only

    return evaluate
