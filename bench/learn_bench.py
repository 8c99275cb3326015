"""leadkit.learn_scoring on generated leads with a planted driver (occupation == "teacher"),
the abcd preset as the base, against one leadkit.lead_kpis call on the same leads (the count
of outcomes it starts from).

    python bench/learn_bench.py [--leads 1000000] [--repeat 1]

Reports the best time of each, the held-out AUCs and the peak memory the learning adds
(docs/performance.md, "Learned scoring").
"""

from __future__ import annotations

import argparse

import pandas as pd

import leadkit
import leadkit.synth
from _timing import best, peak, reset_peak

AS_OF = pd.Timestamp("2026-04-01", tz="Asia/Shanghai")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    leads = leadkit.synth.generate(leads=args.leads, dealers=40, seed=1,
                                   driver=("occupation", "teacher")).leads
    base = leadkit.Policy.preset("abcd")
    touches = pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                            "at": pd.Series([], dtype="datetime64[ns, UTC]"),
                            "method": pd.Series([], dtype=object)})
    t_kpis = best(lambda: leadkit.lead_kpis(leads, touches, base, as_of=AS_OF), args.repeat)
    result = []
    before = reset_peak()
    t_learn = best(lambda: result.append(leadkit.learn_scoring(leads, as_of=AS_OF, base=base)),
                   args.repeat)
    grown = peak() - before
    auc = result[-1].report["auc"]
    print(f"{args.leads:,} leads")
    print(f"lead_kpis      {t_kpis:8.2f} s")
    print(f"learn_scoring  {t_learn:8.2f} s  ({t_learn / t_kpis:.1f}x), "
          f"peak memory +{grown / 2**20:,.0f} MiB")
    print(f"held-out AUC: learned {auc['learned']:.3f}, hand-written {auc['hand_written']:.3f}")


if __name__ == "__main__":
    main()
