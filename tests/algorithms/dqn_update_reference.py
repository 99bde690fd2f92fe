"""PyTorch reference for tests/algorithms/dqn_update_test.cpp.

Usage: /usr/bin/python3 dqn_update_reference.py <case.json> <result.json>

The case file (written by the C++ test) holds a cairn model spec (dense layers with
relu/tanh/identity activations and the dueling_q aggregation, wired in blocks), the
online and target networks' parameters by name, a batch (features, next features,
action indices, rewards, discounts) and the settings. This script runs one DQN update
the way Stable-Baselines3 does, in float32 with torch ops: the targets under no_grad
(double Q-learning: online argmax, target evaluation), F.smooth_l1_loss of the gathered
Q-values, backward, clip_grad_norm_ and one torch.optim.Adam step. It reports the loss,
the mean Q(s, a), the gradient norm before clipping and the updated parameters.
"""
import json
import sys

import torch
import torch.nn.functional as F


def activation(x, spec):
    name = spec if isinstance(spec, str) else spec["type"]
    if name == "relu":
        return torch.relu(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "identity":
        return x
    raise ValueError("unsupported activation " + name)


def run(spec, params, x):
    values = {"input": x}
    for block in spec["blocks"]:
        inputs = [values[name] for name in block.get("inputs", ["input"])]
        counts = {}
        h = None
        for layer in block["layers"]:
            kind = layer["type"]
            k = counts.get(kind, 0)
            counts[kind] = k + 1
            prefix = block["name"] + "/" + layer.get("name", kind + "_" + str(k))
            if kind == "dense":
                src = inputs[0] if h is None else h
                h = src @ params[prefix + "/kernel"] + params[prefix + "/bias"]
                h = activation(h, layer.get("activation", "identity"))
            elif kind == "dueling_q":
                v, a = inputs
                h = v + (a - a.mean(dim=1, keepdim=True))
            else:
                raise ValueError("unsupported layer " + kind)
        values[block["name"]] = h
    return values[spec["outputs"][0]]


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    torch.set_num_threads(1)
    spec = case["spec"]

    def tensors(d, grad):
        return {k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"]).requires_grad_(grad)
                for k, v in d.items()}

    online = tensors(case["online"], True)
    target = tensors(case["target"], False)
    b = case["batch"]
    n_in = spec["input_size"]
    features = torch.tensor(b["features"], dtype=torch.float32).reshape(-1, n_in)
    next_features = torch.tensor(b["next_features"], dtype=torch.float32).reshape(-1, n_in)
    actions = torch.tensor(b["actions"], dtype=torch.int64).reshape(-1, 1)
    rewards = torch.tensor(b["rewards"], dtype=torch.float32).reshape(-1, 1)
    discounts = torch.tensor(b["discounts"], dtype=torch.float32).reshape(-1, 1)

    with torch.no_grad():
        next_q = run(spec, target, next_features)
        if case["double_q"]:
            best = run(spec, online, next_features).argmax(dim=1, keepdim=True)
            next_v = torch.gather(next_q, 1, best)
        else:
            next_v, _ = next_q.max(dim=1, keepdim=True)
        targets = rewards + discounts * next_v
    q = torch.gather(run(spec, online, features), 1, actions)
    loss = F.smooth_l1_loss(q, targets)
    names = list(online.keys())
    opt = torch.optim.Adam([online[k] for k in names], lr=case["lr"], eps=case["eps"])
    opt.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_([online[k] for k in names], case["max_grad_norm"])
    opt.step()
    result = {
        "loss": loss.item(),
        "q_mean": q.mean().item(),
        "targets": targets.reshape(-1).tolist(),
        "grad_norm": norm.item(),
        "params": {k: online[k].detach().reshape(-1).tolist() for k in names},
    }
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
