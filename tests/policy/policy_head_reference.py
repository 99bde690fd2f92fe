"""PyTorch reference for tests/policy/policy_head_test.cpp.

Usage: /usr/bin/python3 policy_head_reference.py <case.json> <result.json>

The case holds an MLP (dense layers: kernel [in, out] row-major, bias, activation
"relu" | "tanh" | "identity"), float32 raw observations [batch x obs], the head and the
Box bounds or the Discrete start. The script runs the network with torch.nn.Linear
(weight = kernel transposed) in float32 and the head's deterministic action the way
SB3/CleanRL write it:
  squashed_gaussian  mean = out[:, :d]; low + (tanh(mean) + 1) / 2 * (high - low)
  deterministic      low + (tanh(out) + 1) / 2 * (high - low)
  greedy_q           torch.argmax(out, dim=1) + start (the first maximum on ties)
Everything it reports comes from PyTorch.
"""
import json
import sys

import torch


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    x = torch.tensor(case["obs"], dtype=torch.float32).reshape(case["batch"], -1)
    for layer in case["layers"]:
        kernel = torch.tensor(layer["kernel"], dtype=torch.float32).reshape(layer["in"], layer["out"])
        linear = torch.nn.Linear(layer["in"], layer["out"])
        with torch.no_grad():
            linear.weight.copy_(kernel.t())
            linear.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float32))
            x = linear(x)
        if layer["activation"] == "relu":
            x = torch.relu(x)
        elif layer["activation"] == "tanh":
            x = torch.tanh(x)
    head = case["head"]
    with torch.no_grad():
        if head == "greedy_q":
            action = (torch.argmax(x, dim=1) + case["start"]).tolist()
        else:
            low = torch.tensor(case["low"], dtype=torch.float32)
            high = torch.tensor(case["high"], dtype=torch.float32)
            d = low.shape[0]
            pre = x[:, :d] if head == "squashed_gaussian" else x
            action = (low + (torch.tanh(pre) + 1) / 2 * (high - low)).reshape(-1).tolist()
    with open(sys.argv[2], "w") as f:
        json.dump({"action": action, "raw": x.reshape(-1).tolist()}, f)


if __name__ == "__main__":
    main()
