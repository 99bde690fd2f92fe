"""PyTorch reference for tests/nn/recurrent_layers_test.cpp.

Usage: /usr/bin/python3 torch_rnn_reference.py <case.json> <result.json>

The case (written by the C++ test) names a cell ("lstm" or "gru"), the sizes, a dtype, a
time-major input x [steps, streams, in], the initial state, per-row episode-start flags
and loss weights R [steps, streams, units]. This script builds torch.nn.LSTM / nn.GRU
with PyTorch's own initialisation (seeded), runs it one step at a time (so that a start
flag can zero the state before its step, as cairn's layers do), takes the loss
sum(R * outputs), and reports the state_dict, the outputs, the final state and the
gradients autograd computes for the weights, the input and the initial state. The C++
test loads the state_dict by name into cairn's layer and compares. Everything reported
comes from PyTorch.
"""
import json
import sys

import torch


def main(case_path, result_path):
    case = json.load(open(case_path))
    dtype = torch.float32 if case["dtype"] == "float32" else torch.float64
    steps, streams, width, units = case["steps"], case["streams"], case["in"], case["units"]
    torch.manual_seed(case["seed"])
    lstm = case["cell"] == "lstm"
    cls = torch.nn.LSTM if lstm else torch.nn.GRU
    rnn = cls(width, units, num_layers=1, batch_first=False, dtype=dtype)

    x = torch.tensor(case["x"], dtype=dtype).reshape(steps, streams, width).requires_grad_()
    h0 = torch.tensor(case["h0"], dtype=dtype).reshape(streams, units).requires_grad_()
    c0 = None
    if lstm:
        c0 = torch.tensor(case["c0"], dtype=dtype).reshape(streams, units).requires_grad_()
    starts = torch.tensor(case["starts"], dtype=dtype).reshape(steps, streams, 1)
    weights = torch.tensor(case["r"], dtype=dtype).reshape(steps, streams, units)

    h, c = h0, c0
    outputs = []
    for t in range(steps):
        keep = 1.0 - starts[t]
        h = h * keep
        if lstm:
            c = c * keep
            y, (hn, cn) = rnn(x[t : t + 1], (h.unsqueeze(0), c.unsqueeze(0)))
            h, c = hn[0], cn[0]
        else:
            y, hn = rnn(x[t : t + 1], h.unsqueeze(0))
            h = hn[0]
        outputs.append(y[0])
    out = torch.stack(outputs)
    loss = (weights * out).sum()
    loss.backward()

    result = {
        "state_dict": {k: v.detach().reshape(-1).tolist() for k, v in rnn.state_dict().items()},
        "shapes": {k: list(v.shape) for k, v in rnn.state_dict().items()},
        "out": out.detach().reshape(-1).tolist(),
        "h_n": h.detach().reshape(-1).tolist(),
        "grads": {k: p.grad.reshape(-1).tolist() for k, p in rnn.named_parameters()},
        "x_grad": x.grad.reshape(-1).tolist(),
        "h0_grad": h0.grad.reshape(-1).tolist(),
        "loss": loss.item(),
    }
    if lstm:
        result["c_n"] = c.detach().reshape(-1).tolist()
        result["c0_grad"] = c0.grad.reshape(-1).tolist()
    json.dump(result, open(result_path, "w"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
