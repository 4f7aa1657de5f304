"""Gate-level tooling: Liberty parsing (:mod:`.liberty`), synthesis with pyosys
(:mod:`.synth`), gate-level simulation of the mapped netlist (:mod:`.sim`), switching energy
from toggles (:mod:`.energy`) and static timing (:mod:`.timing`)."""
