"""leadkit.classify from pandas against an analyst's numpy ``np.select`` over the same columns.

    python bench/classify_bench.py [--rows 1000000] [--repeat 5]

Prints, per preset, the best of `repeat` runs of: the whole ``leadkit.classify`` call, its
conversion step alone (pandas columns -> buffers), its C++ kernel alone, and the numpy version;
then the ratio numpy / leadkit. Both give the same grades (checked before timing).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python" / "tests"))

import leadkit  # noqa: E402
from leadkit import _core, _frames  # noqa: E402
from reference import numpy_grades, random_leads  # noqa: E402
from _timing import best  # noqa: E402




def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    frame = random_leads(args.rows, seed=1)
    print(f"{args.rows:,} leads; best of {args.repeat} runs; times in ms")
    print(f"{'preset':<12}{'classify':>10}{'convert':>10}{'kernel':>10}{'np.select':>11}"
          f"{'np/leadkit':>12}{'Mleads/s kernel':>17}")
    for name in leadkit.Policy.presets():
        policy = leadkit.Policy.preset(name)
        impl = policy._impl
        result = leadkit.classify(frame, policy)
        assert (result["grade"].to_numpy(dtype=object) ==
                numpy_grades(frame, name).astype(object)).all(), name
        specs = _frames.lead_specs(frame, impl.fields, compared=impl.compared_fields)
        total = best(lambda: leadkit.classify(frame, policy), args.repeat)
        convert = best(
            lambda: _frames.lead_specs(frame, impl.fields, compared=impl.compared_fields),
            args.repeat)
        kernel = best(lambda: _core.classify_batch(impl, len(frame), specs), args.repeat)
        numpy_time = best(lambda: numpy_grades(frame, name), args.repeat)
        print(f"{name:<12}{total * 1e3:>10.1f}{convert * 1e3:>10.1f}{kernel * 1e3:>10.1f}"
              f"{numpy_time * 1e3:>11.1f}{numpy_time / total:>12.1f}"
              f"{args.rows / kernel / 1e6:>17.0f}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
