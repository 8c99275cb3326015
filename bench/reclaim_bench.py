"""Times leadkit.reclaim on generated data (docs/routing.md, "Hand-over and reclaim")."""
import time, leadkit
from leadkit import synth, Policy
p = Policy.preset("three_level")
d = synth.generate(leads=20000, dealers=200, seed=3, grades=tuple(p.grades))
as_of = d.touches["at"].max()
best = 1e9
for _ in range(3):
    s = time.perf_counter()
    m = leadkit.reclaim(d.leads, d.touches, d.dealers, d.consultants, p, as_of=as_of)
    best = min(best, time.perf_counter() - s)
print(len(m), "moves", round(best, 3), "s")
