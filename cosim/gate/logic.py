"""Liberty boolean functions (``"(A1&A2) | (!B1)"``) as truth tables.

Grammar (Liberty reference, "function" attribute): operands are pin or variable names and
the constants ``0`` / ``1``; ``!x`` and ``x'`` invert, ``^`` is exclusive or, ``&``, ``*``
and juxtaposition (``A B``) are and, ``|`` and ``+`` are or; precedence in that order,
parentheses group. :func:`truth_table` evaluates an expression on every combination of
its inputs at once (numpy), which is how :mod:`tilewright.cosim.gate.native` evaluates a
cell: by looking its output up in the table at the index its input bits form.
"""

import re

import numpy as np

__all__ = ["LogicError", "parse", "variables", "truth_table"]

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_\[\]\.]*)|([01])|([!'^&*|+()]))")


class LogicError(ValueError):
    """A function the parser cannot read."""


def _tokens(text):
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise LogicError(f"cannot read function {text!r} at {text[pos:]!r}")
        name, const, op = m.groups()
        out.append(("name", name) if name else ("const", int(const)) if const else ("op", op))
        pos = m.end()
    return out


def parse(text):
    """The expression tree of ``text``: ``("name", n)``, ``("const", 0|1)``,
    ``("not", x)``, ``("and" | "or" | "xor", x, y)``."""
    tokens, pos = _tokens(text), 0

    def peek():
        return tokens[pos] if pos < len(tokens) else (None, None)

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def primary():
        kind, value = take() if pos < len(tokens) else (None, None)
        if kind in ("name", "const"):
            node = (kind, value)
        elif value == "!":
            node = ("not", primary())
        elif value == "(":
            node = disjunction()
            if peek()[1] != ")":
                raise LogicError(f"unbalanced parentheses in {text!r}")
            take()
        else:
            raise LogicError(f"cannot read function {text!r}")
        while peek()[1] == "'":
            take()
            node = ("not", node)
        return node

    def exclusive():
        node = primary()
        while peek()[1] == "^":
            take()
            node = ("xor", node, primary())
        return node

    def conjunction():
        node = exclusive()
        while True:
            kind, value = peek()
            if value in ("&", "*"):
                take()
            elif not (kind in ("name", "const") or value in ("!", "(")):
                return node
            node = ("and", node, exclusive())

    def disjunction():
        node = conjunction()
        while peek()[1] in ("|", "+"):
            take()
            node = ("or", node, conjunction())
        return node

    tree = disjunction()
    if pos != len(tokens):
        raise LogicError(f"cannot read function {text!r}")
    return tree


def variables(tree):
    """The names an expression tree reads, sorted."""
    if tree[0] == "name":
        return [tree[1]]
    if tree[0] == "const":
        return []
    return sorted(set().union(*(variables(t) for t in tree[1:])))


def _evaluate(tree, values):
    kind = tree[0]
    if kind == "name":
        return values[tree[1]]
    if kind == "const":
        return np.full_like(next(iter(values.values())), tree[1])
    if kind == "not":
        return 1 - _evaluate(tree[1], values)
    a, b = _evaluate(tree[1], values), _evaluate(tree[2], values)
    return a & b if kind == "and" else a | b if kind == "or" else a ^ b


def truth_table(text, inputs):
    """The function ``text`` of the names ``inputs`` (ordered) as a uint8 array of
    ``2**len(inputs)`` entries: entry ``i`` is the output when input ``k`` is bit ``k``
    of ``i``. Raises :class:`LogicError` if the function reads a name not in ``inputs``."""
    tree = parse(text)
    unknown = sorted(set(variables(tree)) - set(inputs))
    if unknown:
        raise LogicError(f"function {text!r} reads {', '.join(unknown)}, not among "
                         f"{', '.join(inputs) or 'no inputs'}")
    index = np.arange(2 ** len(inputs), dtype=np.uint32)
    values = {name: ((index >> k) & 1).astype(np.uint8) for k, name in enumerate(inputs)}
    values.setdefault("", index.astype(np.uint8) & 0)
    return _evaluate(tree, values).astype(np.uint8) & 1
