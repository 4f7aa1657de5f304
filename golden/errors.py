"""Approximation errors of a block instance against exact arithmetic, by block name: the
figures that :func:`tilewright.flows.generate.generate` writes next to a block's Verilog
besides the generator's own facts. They come from the bit-exact models, so they live
here, and the generators need no golden model."""

from tilewright.fixedpoint import FixedFormat
from tilewright.golden.gelu import gelu_error
from tilewright.golden.layer_norm import layer_norm_error
from tilewright.golden.multiplier import error_metrics, golden_table
from tilewright.golden.softmax import softmax_error
from tilewright.specs.multiplier import check_multiplier

__all__ = ["error_facts", "TABLE_BITS"]

#: Widths up to which a multiplier's whole product table (2**(2·bits) pairs) is compared
#: with exact products.
TABLE_BITS = 8


def _format(params):
    return FixedFormat(params["il"], params["fl"])


def _gelu(params):
    return {"gelu_error_vs_torch": gelu_error(_format(params), params["gelu_segments"])}


def _mac_lane(params):
    fmt, found = _format(params), {}
    if params["activation"] == "gelu":
        found.update(_gelu(params))
    kind = params["multiplier"]
    if kind != "exact" and fmt.width <= TABLE_BITS:
        k = check_multiplier(kind, fmt.width, params["multiplier_k"])
        found["multiplier_error_vs_exact"] = error_metrics(golden_table(kind, fmt.width, k))
    return found


def _multiplier(params):
    kind, bits = params["kind"], params["bits"]
    if bits > TABLE_BITS:
        return {}
    k = check_multiplier(kind, bits, params["k"])
    return {"error_vs_exact": error_metrics(golden_table(kind, bits, k))}


def _softmax(params):
    return {"error_vs_torch": softmax_error(params["t"], _format(params), params["lut_depth"],
                                            params["exp_bits"], params["out_fl"])}


def _layer_norm(params):
    return {"error_vs_torch": layer_norm_error(params["n"], _format(params))}


_ERRORS = {"gelu": _gelu, "mac-lane": _mac_lane, "multiplier": _multiplier,
           "softmax": _softmax, "layer-norm": _layer_norm}


def error_facts(block, params):
    """The error figures of block ``block`` with resolved ``params`` (``{}`` for a block
    without approximation)."""
    found = _ERRORS.get(block)
    return found(params) if found else {}
