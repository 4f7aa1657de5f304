"""TransAxx (§III-IV): per-layer-group approximate multipliers chosen by hardware-driven
Monte Carlo tree search, on product tables simulated from the generated RTL and power from
the characterized multipliers; random search, NSGA-II and exhaustive baselines.

Modules: :mod:`.library` (the multipliers), :mod:`.workload` (layers, MACs, power),
:mod:`.space`, :mod:`.evaluate` (accuracy, the evaluation store), :mod:`.mcts` (Alg. 1,
Eqs. 5-6), :mod:`.predictor`, :mod:`.search` (the MCTS search), :mod:`.baselines`,
:mod:`.experiment` (a whole run: searches, fronts, hypervolume, fine-tuning).
"""
