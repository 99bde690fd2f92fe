"""PyTorch reference for tests/nn/torch_conformance_test.cpp.

Usage: /usr/bin/python3 torch_reference.py <case.json> <result.json>

The case file (written by the C++ test) holds a cairn model spec made of dense layers,
its parameters by name, a minibatch and PPO loss coefficients. This script rebuilds
the model with torch.nn.Linear (weight = kernel transposed), evaluates the PPO-style
loss (clipped surrogate + value loss - entropy bonus of a categorical), lets autograd
compute the gradients, then runs a few steps of clip_grad_norm_ + torch.optim.Adam.
Everything it reports comes from PyTorch.
"""
import json
import sys

import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "identity": lambda x: x,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "silu": F.silu,
    "gelu": F.gelu,
    "sigmoid": torch.sigmoid,
    "elu": F.elu,
    "softplus": F.softplus,
}


def build(spec, params, dtype):
    """Returns (named torch parameters in cairn order, forward function)."""
    layers = {}  # block name -> list of (Linear, activation)
    named = []
    for block in spec["blocks"]:
        seq = []
        counts = {}
        for layer in block["layers"]:
            assert layer["type"] == "dense", "reference supports dense layers only"
            k = counts.get("dense", 0)
            counts["dense"] = k + 1
            name = layer.get("name", f"dense_{k}")
            prefix = f'{block["name"]}/{name}/'
            kernel = torch.tensor(params[prefix + "kernel"]["data"], dtype=dtype)
            kernel = kernel.reshape(params[prefix + "kernel"]["shape"])
            bias = torch.tensor(params[prefix + "bias"]["data"], dtype=dtype)
            lin = torch.nn.Linear(kernel.shape[0], kernel.shape[1], dtype=dtype)
            with torch.no_grad():
                lin.weight.copy_(kernel.T)
                lin.bias.copy_(bias)
            named.append((prefix + "kernel", lin.weight, True))
            named.append((prefix + "bias", lin.bias, False))
            act = layer.get("activation", "identity")
            seq.append((lin, ACTIVATIONS[act]))
        layers[block["name"]] = (block["inputs"], seq)

    def forward(x):
        values = {"input": x}
        for block in spec["blocks"]:
            inputs, seq = layers[block["name"]]
            assert len(inputs) == 1
            h = values[inputs[0]]
            for lin, act in seq:
                h = act(lin(h))
            values[block["name"]] = h
        return {name: values[name] for name in spec["outputs"]}

    return named, forward


def ppo_loss(out, batch, coef):
    logits, v = out["pi"], out["vf"][:, 0]
    logp_all = torch.log_softmax(logits, dim=1)
    logp = logp_all.gather(1, batch["actions"].unsqueeze(1))[:, 0]
    ratio = torch.exp(logp - batch["old_logp"])
    adv = batch["advantages"]
    pg1 = -adv * ratio
    pg2 = -adv * torch.clamp(ratio, 1 - coef["clip"], 1 + coef["clip"])
    pg_loss = torch.max(pg1, pg2).mean()
    v_loss = 0.5 * ((v - batch["returns"]) ** 2).mean()
    entropy = (-(logp_all.exp() * logp_all).sum(1)).mean()
    return pg_loss - coef["ent"] * entropy + coef["vf"] * v_loss


def flat(t):
    return [float(v) for v in t.detach().reshape(-1)]


def grad_in_cairn_layout(p, is_kernel):
    return flat(p.grad.T if is_kernel else p.grad)


def main():
    case = json.load(open(sys.argv[1]))
    dtype = {"float32": torch.float32, "float64": torch.float64}[case["dtype"]]
    torch.set_num_threads(1)
    named, forward = build(case["spec"], case["params"], dtype)
    obs = torch.tensor(case["obs"], dtype=dtype).reshape(case["batch"], -1)
    batch = {
        "actions": torch.tensor(case["actions"], dtype=torch.int64),
        "old_logp": torch.tensor(case["old_logp"], dtype=dtype),
        "advantages": torch.tensor(case["advantages"], dtype=dtype),
        "returns": torch.tensor(case["returns"], dtype=dtype),
    }
    coef = case["coef"]

    out = forward(obs)
    loss = ppo_loss(out, batch, coef)
    loss.backward()
    result = {
        "pi": flat(out["pi"]),
        "vf": flat(out["vf"]),
        "loss": float(loss),
        "grads": {name: grad_in_cairn_layout(p, k) for name, p, k in named},
    }

    # Adam: clip_grad_norm_ then torch.optim.Adam, a few steps on the same minibatch.
    params = [p for _, p, _ in named]
    initial = [p.detach().clone() for p in params]
    opt = torch.optim.Adam(params, lr=case["adam"]["lr"], betas=(0.9, 0.999),
                           eps=case["adam"]["eps"], foreach=False)
    norms, losses = [], []
    for _ in range(case["adam"]["steps"]):
        opt.zero_grad()
        loss = ppo_loss(forward(obs), batch, coef)
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, case["adam"]["max_norm"])))
        losses.append(float(loss))
        opt.step()
    result["adam"] = {
        "norms": norms,
        "losses": losses,
        "params": {name: flat(p.T if k else p) for name, p, k in named},
        "exp_avg_sq": {name: flat(opt.state[p]["exp_avg_sq"].T if k else opt.state[p]["exp_avg_sq"])
                       for name, p, k in named},
    }

    # SGD with momentum (torch.optim.SGD semantics), from the same initial parameters.
    with torch.no_grad():
        for p, p0 in zip(params, initial):
            p.copy_(p0)
    sgd_case = case["sgd"]
    opt = torch.optim.SGD(params, lr=sgd_case["lr"], momentum=sgd_case["momentum"],
                          dampening=sgd_case["dampening"], nesterov=sgd_case["nesterov"],
                          foreach=False)
    for _ in range(sgd_case["steps"]):
        opt.zero_grad()
        ppo_loss(forward(obs), batch, coef).backward()
        opt.step()
    result["sgd"] = {"params": {name: flat(p.T if k else p) for name, p, k in named}}
    json.dump(result, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
