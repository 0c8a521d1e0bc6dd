"""PyTorch peer of `npm run bench:nn`: the same SAC update as agents/sac/update.ts, written the way
a PyTorch user writes it (torch.nn modules, autograd, torch.optim.Adam), timed on the CPU.

The update, step by step as the project runs it:
  1. critic target  y = r + gamma (1 - done) (min_i Q'_i(s', a') - alpha[task] log pi(a'|s')),
                    a' ~ pi(.|s'), Q' the Polyak-averaged target critics (no gradient)
  2. critic step    sum over critics of mean (Q_i(s, a) - y)^2
  3. actor step     mean (alpha[task] log pi(a~|s) - min_i Q_i(s, a~)), through the updated critics
  4. temperature    mean (-alpha[task] (log pi(a~|s) + target entropy)), a fresh sample from the
                    updated actor; one learned log-temperature per task
  5. targets        theta' <- (1 - tau) theta' + tau theta
The actor is a tanh-squashed Gaussian whose log-std is squashed into [-5, 2] with tanh; inputs,
rewards and task indices are fixed random tensors, as in the project's benchmark.

Prints one JSON line: {"peer": "pytorch", "torch": version, "threads": n, "msPerUpdate": ms, "updates": n}.
Run by agents/bench/nn.ts with the Python in TORCH_PYTHON; runs alone too:
    python torch_sac_update.py --seconds 3 --threads 2
"""
import argparse
import json
import math
import time

import torch
from torch import nn


def mlp(inputs, hidden, layers, outputs, layer_norm=False):
    dims = [inputs] + [hidden] * layers
    parts = []
    for a, b in zip(dims[:-1], dims[1:]):
        parts += [nn.Linear(a, b)] + ([nn.LayerNorm(b)] if layer_norm else []) + [nn.ReLU()]
    return nn.Sequential(*parts, nn.Linear(dims[-1], outputs))


class Actor(nn.Module):
    LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0

    def __init__(self, obs, act, hidden, layers, layer_norm):
        super().__init__()
        self.act = act
        self.net = mlp(obs, hidden, layers, 2 * act, layer_norm)

    def sample(self, obs):
        mu, raw = self.net(obs).split(self.act, dim=1)
        log_std = self.LOG_STD_MIN + 0.5 * (self.LOG_STD_MAX - self.LOG_STD_MIN) * (torch.tanh(raw) + 1)
        std = log_std.exp()
        eps = torch.randn_like(mu)
        x = mu + std * eps
        a = torch.tanh(x)
        # log N(x; mu, std) minus the log-determinant of the tanh squashing
        log_prob = (-0.5 * eps.pow(2) - log_std - 0.5 * math.log(2 * math.pi) - torch.log(1 - a.pow(2) + 1e-6)).sum(1, keepdim=True)
        return a, log_prob


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--obs", type=int, default=40)
    p.add_argument("--act", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=2, help="hidden layers")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--tasks", type=int, default=10, help="task temperatures")
    p.add_argument("--critics", type=int, default=2)
    p.add_argument("--layer-norm", action="store_true", help="LayerNorm before each hidden ReLU, actor and critics")
    p.add_argument("--warmup", type=int, default=20, help="updates before timing")
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds (at least 3 updates)")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    gamma, tau = 0.99, 0.005
    ln = args.layer_norm
    actor = Actor(args.obs, args.act, args.hidden, args.layers, ln)
    critics = nn.ModuleList(mlp(args.obs + args.act, args.hidden, args.layers, 1, ln) for _ in range(args.critics))
    targets = nn.ModuleList(mlp(args.obs + args.act, args.hidden, args.layers, 1, ln) for _ in range(args.critics))
    targets.load_state_dict(critics.state_dict())
    targets.requires_grad_(False)
    log_alpha = torch.zeros(args.tasks, requires_grad=True)
    critic_opt = torch.optim.Adam(critics.parameters(), lr=1e-3)
    actor_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    alpha_opt = torch.optim.Adam([log_alpha], lr=1e-3)
    target_entropy = -float(args.act)

    B = args.batch
    obs = torch.randn(B, args.obs)
    action = torch.rand(B, args.act) * 2 - 1
    reward = torch.randn(B, 1)
    next_obs = torch.randn(B, args.obs)
    done = torch.zeros(B, 1)
    task = torch.randint(0, args.tasks, (B,))

    def q_all(nets, o, a):
        x = torch.cat([o, a], 1)
        return torch.stack([q(x) for q in nets])  # [critics, B, 1]

    def update():
        with torch.no_grad():
            alpha = log_alpha.exp()[task].unsqueeze(1)
            a2, logp2 = actor.sample(next_obs)
            y = reward + gamma * (1 - done) * (q_all(targets, next_obs, a2).min(0).values - alpha * logp2)
        critic_loss = ((q_all(critics, obs, action) - y) ** 2).mean(dim=(1, 2)).sum()
        critic_opt.zero_grad()
        critic_loss.backward()
        critic_opt.step()

        a, logp = actor.sample(obs)
        actor_loss = (alpha * logp - q_all(critics, obs, a).min(0).values).mean()
        actor_opt.zero_grad()
        actor_loss.backward()
        actor_opt.step()

        with torch.no_grad():
            _, logp = actor.sample(obs)
        alpha_loss = (-log_alpha.exp()[task].unsqueeze(1) * (logp + target_entropy)).mean()
        alpha_opt.zero_grad()
        alpha_loss.backward()
        alpha_opt.step()

        with torch.no_grad():
            for t, c in zip(targets.parameters(), critics.parameters()):
                t.mul_(1 - tau).add_(c, alpha=tau)

    for _ in range(args.warmup):
        update()
    n = 0
    t0 = time.perf_counter()
    while n < 3 or time.perf_counter() - t0 < args.seconds:
        update()
        n += 1
    ms = (time.perf_counter() - t0) * 1000 / n
    print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(), "msPerUpdate": ms, "updates": n}))


if __name__ == "__main__":
    main()
