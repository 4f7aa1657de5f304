"""A tiny deterministic sweep through the executor and the run store, for
test_resume.py: ``python synthetic_sweep.py DB RUN_ID SEED LOG`` evaluates 24 points
drawn from SEED on 2 local workers (about 0.1 s each), recording each in run RUN_ID of
DB, appends the key of every evaluation it makes to LOG, and prints the best point and
all values as JSON."""

import json
import random
import sys
import time

POINTS = 24


def evaluate_point(seed, index, width, log):
    """A value of point ``index`` decided by ``seed``, ``index`` and ``width`` only."""
    time.sleep(0.1)
    value = random.Random(f"{seed}-{index}").random() * width
    with open(log, "a") as f:
        f.write(f"p{index}\n")
    return {"width": width, "value": value}


def main(db, run_id, seed, log):
    from tilewright.flows.executor import get_executor
    from tilewright.flows.runs import open_run
    widths = random.Random(seed).choices([4, 8, 16], k=POINTS)
    tasks = {f"p{i}": (seed, i, widths[i], log) for i in range(POINTS)}
    with open_run(db, run_id, kind="synthetic", config={"seed": seed}) as run, \
            get_executor("local", workers=2) as executor:
        results = run.evaluate(executor, evaluate_point, tasks)
    best = min(results, key=lambda key: results[key]["value"])
    print(json.dumps({"best": best, "results": results}, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
