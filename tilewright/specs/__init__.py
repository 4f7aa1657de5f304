"""Pure numeric specifications that the generators (:mod:`tilewright.gen`) build into
hardware and the bit-exact models (:mod:`tilewright.golden`) repeat: tables, geometries,
constants and parameter checks. Plain Python: no Amaranth, no torch."""
