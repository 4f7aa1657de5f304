"""Performance models of whole accelerators, fed by measured cost records.

The AccelTran/ELECTOR tiled accelerator model (AccelTran §III-B, TransCODE §III-B), and beside
it TReX-Sim (TReX §V) and PIVOT-Sim (PIVOT §3.4). They read per-block figures only through the
cost database's query API (:mod:`tilewright.flows.costs`).
"""
