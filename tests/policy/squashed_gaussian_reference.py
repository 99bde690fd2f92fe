"""PyTorch reference for tests/policy/squashed_gaussian_test.cpp.

Usage: /usr/bin/python3 squashed_gaussian_reference.py <case.json> <result.json>

The case file (written by the C++ test) holds means, raw log-stds and noise eps
[batch x d], the log-std range, and loss weights R [batch x d] and w [batch]. This
script builds SAC's squashed Gaussian the PyTorch way: log_std = clamp(raw, min, max),
u = Normal(mean, exp(log_std)).rsample() with the given noise, a = tanh(u) through a
TransformedDistribution with TanhTransform (whose log-Jacobian is torch's own), and
log pi(a|s) from that distribution's log_prob summed over the action elements. Autograd
then gives the gradients of L = sum(R * a) + sum(w * log_pi) with respect to the means
and the raw log-stds. Everything it reports comes from PyTorch.
"""
import json
import sys

import torch
from torch.distributions import Normal, TransformedDistribution
from torch.distributions.transforms import TanhTransform


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    dtype = torch.float64 if case["dtype"] == "float64" else torch.float32
    shape = (case["batch"], case["d"])

    def tensor(name, grad=False):
        return torch.tensor(case[name], dtype=dtype).reshape(shape).requires_grad_(grad)

    means = tensor("means", True)
    raw_log_stds = tensor("raw_log_stds", True)
    eps = tensor("eps")
    weights_a = tensor("R")
    weights_logp = torch.tensor(case["w"], dtype=dtype)

    log_std = torch.clamp(raw_log_stds, case["log_std_min"], case["log_std_max"])
    # No argument validation: a = tanh(u) rounds to exactly +-1 for large |u|, outside
    # TanhTransform's open codomain, although log_prob uses the cached u, not atanh(a).
    base = Normal(means, log_std.exp(), validate_args=False)
    u = means + log_std.exp() * eps  # Normal.rsample with this noise
    tanh = TanhTransform(cache_size=1)
    squashed = TransformedDistribution(base, [tanh], validate_args=False)
    actions = tanh(u)  # cached, so log_prob below sees u itself, not atanh(actions)
    log_probs = squashed.log_prob(actions).sum(-1)
    loss = (weights_a * actions).sum() + (weights_logp * log_probs).sum()
    loss.backward()

    def flat(t):
        return t.detach().reshape(-1).tolist()

    with open(sys.argv[2], "w") as f:
        json.dump({
            "actions": flat(actions),
            "log_probs": flat(log_probs),
            "d_means": flat(means.grad),
            "d_raw_log_stds": flat(raw_log_stds.grad),
        }, f)


if __name__ == "__main__":
    main()
