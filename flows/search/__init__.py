"""Design-space searches: TransAxx MCTS (approximate multipliers per layer), TransCODE
co-design (BOSHCODE), TReX attention reuse and PIVOT effort search.

Searchers score designs with :mod:`tilewright.flows.model` and reach characterization only
through an injected callable.
"""
