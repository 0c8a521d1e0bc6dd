"""Meta-World peer of `npm run bench:sim`: environment steps per second of one Meta-World v3 task
through its standard Gymnasium entry point (gym.make("Meta-World/MT1", ...): the time limit and
resets included), one env, uniform random actions, no rendering, on one core.

Meta-World is not on the package registries this project can reach; point to its source with
--metaworld PATH or MW_PATH (the folder that holds the `metaworld` package), or put it on
PYTHONPATH. The Python needs mujoco and gymnasium.

Prints one JSON line: {"peer": "metaworld", "task": name, "envStepsPerSec": x, "steps": n,
"seconds": s, "controlDt": seconds per env step, "mujoco": version}. Run by sim/bench/throughput.ts
with the Python in MW_PYTHON; runs alone too:
    python metaworld_steps.py --task push-v3 --seconds 3 --metaworld ../shared/peers/metaworld
"""
import argparse
import json
import os
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", default="push-v3")
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds")
    p.add_argument("--warmup", type=float, default=1.5, help="seconds stepped before timing")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--metaworld", default=os.environ.get("MW_PATH", ""), help="folder holding the metaworld package (default: $MW_PATH)")
    args = p.parse_args()
    if args.metaworld:
        if not os.path.isdir(os.path.join(args.metaworld, "metaworld")):
            sys.exit(f"--metaworld / MW_PATH: no metaworld package in {args.metaworld}")
        sys.path.insert(0, args.metaworld)

    import gymnasium as gym
    import mujoco
    import numpy as np

    import metaworld  # noqa: F401  (registers the Meta-World/* environments)

    env = gym.make("Meta-World/MT1", env_name=args.task, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    low, high = env.action_space.low, env.action_space.high
    env.reset(seed=args.seed)

    def run(seconds):
        steps = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            _, _, terminated, truncated, _ = env.step(rng.uniform(low, high).astype(np.float32))
            steps += 1
            if terminated or truncated:
                env.reset()
        return steps, time.perf_counter() - t0

    run(args.warmup)
    steps, wall = run(args.seconds)
    print(json.dumps({
        "peer": "metaworld", "task": args.task, "envStepsPerSec": steps / wall, "steps": steps, "seconds": wall,
        "controlDt": float(env.unwrapped.dt), "mujoco": mujoco.__version__,
    }))
    env.close()


if __name__ == "__main__":
    main()
