"""Technology scaling of area, energy and power between CMOS nodes (Stillmaker & Baas,
"Scaling equations for the accurate prediction of CMOS device performance from 180 nm to
7 nm", Integration 58, 2017 — the equations AccelTran §IV-A cites as [50]).

Area scales by the paper's node-to-node factors. Energy and power scale by the paper's
fitted polynomials in the supply voltage ``V`` (one set per node; bulk 180–65 nm, and
high-performance ``HP`` / low-power ``LP`` predictive models at 45–7 nm):
``energy ∝ e2·V² + e1·V + e0`` and ``power ∝ p2·V² + p1·V + p0``; the ratio of the target
node's value to the source node's is the factor. The fits cover each node's own voltage
range (roughly 0.5 V up to its nominal supply, 1.3 V at 130 nm); a voltage outside it
extrapolates the polynomial, which :func:`scale` allows but flags in its result.
"""

from dataclasses import dataclass

__all__ = ["NODES", "NOMINAL_VDD", "scale", "Scaled", "area_factor", "energy_factor",
           "power_factor"]

#: Area of the column node relative to the row node: AREA[src][dst] multiplies an area.
_AREA_TO = {
    180: {180: 1, 130: 0.34, 90: 0.15, 65: 0.08, 45: 0.053, 32: 0.025, 20: 0.011, 16: 0.01,
          14: 0.0093, 10: 0.0055, 7: 0.0032},
    130: {180: 2.9, 130: 1, 90: 0.44, 65: 0.23, 45: 0.16, 32: 0.072, 20: 0.033, 16: 0.03,
          14: 0.027, 10: 0.016, 7: 0.0092},
    90: {180: 6.6, 130: 2.3, 90: 1, 65: 0.53, 45: 0.35, 32: 0.16, 20: 0.075, 16: 0.067,
         14: 0.061, 10: 0.036, 7: 0.021},
    65: {180: 12, 130: 4.3, 90: 1.9, 65: 1, 45: 0.66, 32: 0.31, 20: 0.14, 16: 0.13, 14: 0.12,
         10: 0.068, 7: 0.039},
    45: {180: 19, 130: 6.4, 90: 2.8, 65: 1.5, 45: 1, 32: 0.46, 20: 0.21, 16: 0.19, 14: 0.17,
         10: 0.1, 7: 0.059},
    32: {180: 40, 130: 14, 90: 6.1, 65: 3.3, 45: 2.2, 32: 1, 20: 0.46, 16: 0.41, 14: 0.38,
         10: 0.22, 7: 0.13},
    20: {180: 88, 130: 30, 90: 13, 65: 7.1, 45: 4.7, 32: 2.2, 20: 1, 16: 0.89, 14: 0.82,
         10: 0.48, 7: 0.28},
    16: {180: 99, 130: 34, 90: 15, 65: 7.9, 45: 5.3, 32: 2.4, 20: 1.1, 16: 1, 14: 0.91,
         10: 0.54, 7: 0.31},
    14: {180: 110, 130: 37, 90: 16, 65: 8.7, 45: 5.8, 32: 2.7, 20: 1.2, 16: 1.1, 14: 1,
         10: 0.59, 7: 0.34},
    10: {180: 180, 130: 63, 90: 28, 65: 15, 45: 9.8, 32: 4.5, 20: 2.1, 16: 1.9, 14: 1.7,
         10: 1, 7: 0.58},
    7: {180: 320, 130: 110, 90: 48, 65: 25, 45: 17, 32: 7.8, 20: 3.6, 16: 3.2, 14: 2.9,
        10: 1.7, 7: 1},
}

#: (e2, e1, e0, p2, p1, p0) per node model: energy and power polynomials in V.
_FITS = {
    "180": (0, 24.64, -17.98, 0, 101000, -79720),
    "130": (7.171, -6.709, 2.904, 27020, -15450, 5630),
    "90": (4.762, -4.781, 2.092, 17320, -11230, 4328),
    "65": (3.755, -4.398, 1.975, 12890, -10510, 4362),
    "HP45": (1.018, -0.3107, 0.1539, 5462, -1760, 522.4),
    "HP32": (0.8367, -0.4341, 0.1701, 4001, -1733, 533.6),
    "HP20": (0.373, -0.1582, 0.04104, 2922, -1286, 299.9),
    "HP16": (0.2958, -0.1241, 0.03024, 2133, -882.6, 197.7),
    "HP14": (0.2363, -0.09675, 0.02239, 1675, -711, 159),
    "HP10": (0.2068, -0.09311, 0.02375, 1456, -621.6, 143.8),
    "HP7": (0.1776, -0.09097, 0.02447, 1179, -515.7, 123.4),
    "LP45": (1.103, -0.362, 0.2767, 6297, -3009, 1124),
    "LP32": (0.9559, -0.7823, 0.471, 4557, -3037, 1323),
    "LP20": (0.2632, -0.14, 0.06841, 2096, -962.4, 287.1),
    "LP16": (0.2139, -0.1187, 0.05639, 1609, -715.5, 205.7),
    "LP14": (0.1556, -0.06472, 0.03066, 1259, -554.1, 152.3),
    "LP10": (0.1261, -0.0518, 0.02769, 1046, -422.7, 118.9),
    "LP7": (0.09365, -0.03409, 0.02043, 815.2, -307.3, 87.54),
}

NODES = tuple(_AREA_TO)
#: Nominal supplies of the paper's device models (V).
NOMINAL_VDD = {"180": 1.8, "130": 1.3, "90": 1.2, "65": 1.1, "HP45": 1.0, "LP45": 1.1,
               "HP32": 0.9, "LP32": 1.0, "HP20": 0.9, "LP20": 0.9, "HP16": 0.85,
               "LP16": 0.85, "HP14": 0.8, "LP14": 0.8, "HP10": 0.75, "LP10": 0.75,
               "HP7": 0.7, "LP7": 0.7}


def _model(node, flavour="HP"):
    node = str(node)
    if node in _FITS:
        return node
    if f"{flavour}{node}" in _FITS:
        return f"{flavour}{node}"
    raise ValueError(f"node must be one of {', '.join(str(n) for n in NODES)} (nm), "
                     f"not {node}")


def _nm(model):
    return int(model.lstrip("HPL"))


def area_factor(src, dst):
    """Multiply an area at node ``src`` (nm) by this to get it at ``dst``."""
    return _AREA_TO[_nm(_model(src))][_nm(_model(dst))]


def _poly(model, vdd, offset):
    a, b, c = _FITS[model][offset:offset + 3]
    return a * vdd * vdd + b * vdd + c


def energy_factor(src, dst, src_vdd=None, dst_vdd=None, flavour="HP"):
    s, d = _model(src, flavour), _model(dst, flavour)
    return (_poly(d, dst_vdd or NOMINAL_VDD[d], 0)
            / _poly(s, src_vdd or NOMINAL_VDD[s], 0))


def power_factor(src, dst, src_vdd=None, dst_vdd=None, flavour="HP"):
    s, d = _model(src, flavour), _model(dst, flavour)
    return (_poly(d, dst_vdd or NOMINAL_VDD[d], 3)
            / _poly(s, src_vdd or NOMINAL_VDD[s], 3))


@dataclass(frozen=True)
class Scaled:
    """Figures at the target node and the factors used."""

    area_um2: float
    energy_pj: float
    dynamic_mw: float
    leakage_mw: float
    factors: dict
    extrapolated: bool


def scale(area_um2, energy_pj, dynamic_mw, leakage_mw, src, dst, *, src_vdd=None,
          dst_vdd=None, flavour="HP"):
    """Scale measured figures from node ``src`` to ``dst`` (nm).

    Dynamic power at a fixed clock scales like energy; leakage scales with the paper's
    power equation. ``src_vdd`` / ``dst_vdd`` default to the paper's nominal supplies.
    """
    s = _model(src, flavour)
    d = _model(dst, flavour)
    fa = area_factor(src, dst)
    fe = energy_factor(src, dst, src_vdd, dst_vdd, flavour)
    fp = power_factor(src, dst, src_vdd, dst_vdd, flavour)
    extrapolated = any(v is not None and v > NOMINAL_VDD[m] + 1e-9
                       for v, m in ((src_vdd, s), (dst_vdd, d)))
    return Scaled(area_um2 * fa, energy_pj * fe, dynamic_mw * fe, leakage_mw * fp,
                  {"area": fa, "energy": fe, "power": fp}, extrapolated)
