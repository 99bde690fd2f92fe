"""PyTorch reference for tests/algorithms/off_policy_update_test.cpp.

Usage: /usr/bin/python3 off_policy_update_reference.py <case.json> <result.json>

The case file (written by the C++ test) holds an actor's and two critics' weights
(kernels [in, out] and biases per dense layer, relu between layers), the target
critics' (and for TD3 the target actor's) weights, one batch of transitions, the noise
the C++ update drew for each of `steps` gradient steps, and the settings. This script
runs the same gradient steps the way CleanRL's sac_continuous_action.py and
td3_continuous_action.py do, with torch.optim.Adam, torch.min, Normal.log_prob and the
tanh correction written as in SAC's reference implementations, and reports each step's
losses and the final weights. Everything it reports comes from PyTorch.
"""
import json
import math
import sys

import torch

torch.set_num_threads(1)


def net(layers):
    return [[torch.tensor(k, dtype=torch.float32).reshape(s).requires_grad_(True)
             for k, s in layer] for layer in layers]


def params(n):
    return [p for layer in n for p in layer]


def run(n, x):
    for i, (k, b) in enumerate(n):
        x = x @ k + b
        if i + 1 < len(n):
            x = torch.relu(x)
    return x


def flat(n):
    return [p.detach().reshape(-1).tolist() for p in params(n)]


def polyak(online, target, tau):
    with torch.no_grad():
        for p, t in zip(params(online), params(target)):
            t.copy_(tau * p + (1 - tau) * t)


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    B, F, d = case["batch"], case["features"], case["action_dim"]
    obs = torch.tensor(case["obs"], dtype=torch.float32).reshape(B, F)
    next_obs = torch.tensor(case["next_obs"], dtype=torch.float32).reshape(B, F)
    actions = torch.tensor(case["actions"], dtype=torch.float32).reshape(B, d)
    rewards = torch.tensor(case["rewards"], dtype=torch.float32)
    discounts = torch.tensor(case["discounts"], dtype=torch.float32)
    actor = net(case["actor"])
    qf = [net(case["critic_0"]), net(case["critic_1"])]
    qt = [net(case["target_0"]), net(case["target_1"])]
    eps_adam = case["adam_eps"]
    tau = case["tau"]
    q_opt = torch.optim.Adam(params(qf[0]) + params(qf[1]), lr=case["critic_lr"], eps=eps_adam)
    actor_opt = torch.optim.Adam(params(actor), lr=case["actor_lr"], eps=eps_adam)
    out = {"critic_loss": [], "actor_loss": [], "alpha_loss": []}

    def q(n, o, a):
        return run(n, torch.cat([o, a], 1)).view(-1)

    if case["algo"] == "sac":
        log_alpha = torch.tensor([math.log(case["initial_alpha"])], dtype=torch.float32,
                                 requires_grad=True)
        a_opt = torch.optim.Adam([log_alpha], lr=case["alpha_lr"], eps=eps_adam)
        target_entropy = case["target_entropy"]

        def get_action(o, eps):
            out_ = run(actor, o)
            mean, log_std = out_[:, :d], out_[:, d:]
            log_std = torch.clamp(log_std, -20.0, 2.0)
            std = log_std.exp()
            x_t = mean + std * eps
            y_t = torch.tanh(x_t)
            normal = torch.distributions.Normal(mean, std)
            log_prob = normal.log_prob(x_t)
            log_prob -= 2 * (math.log(2) - x_t - torch.nn.functional.softplus(-2 * x_t))
            return y_t, log_prob.sum(1)

        for step in range(case["steps"]):
            alpha = log_alpha.exp().item()
            next_eps = torch.tensor(case["next_noise"][step], dtype=torch.float32).reshape(B, d)
            eps = torch.tensor(case["noise"][step], dtype=torch.float32).reshape(B, d)
            with torch.no_grad():
                na, nlp = get_action(next_obs, next_eps)
                min_next = torch.min(q(qt[0], next_obs, na), q(qt[1], next_obs, na)) - alpha * nlp
                y = rewards + discounts * min_next
            qf_loss = (torch.nn.functional.mse_loss(q(qf[0], obs, actions), y) +
                       torch.nn.functional.mse_loss(q(qf[1], obs, actions), y))
            q_opt.zero_grad()
            qf_loss.backward()
            q_opt.step()
            pi, log_pi = get_action(obs, eps)
            min_q_pi = torch.min(q(qf[0], obs, pi), q(qf[1], obs, pi))
            actor_loss = ((alpha * log_pi) - min_q_pi).mean()
            actor_opt.zero_grad()
            actor_loss.backward()
            actor_opt.step()
            alpha_loss = (-log_alpha.exp() * (log_pi.detach() + target_entropy)).mean()
            a_opt.zero_grad()
            alpha_loss.backward()
            a_opt.step()
            polyak(qf[0], qt[0], tau)
            polyak(qf[1], qt[1], tau)
            out["critic_loss"].append(qf_loss.item())
            out["actor_loss"].append(actor_loss.item())
            out["alpha_loss"].append(alpha_loss.item())
        out["log_alpha"] = log_alpha.item()
    else:
        target_actor = net(case["target_actor"])
        for step in range(case["steps"]):
            eps = torch.tensor(case["noise"][step], dtype=torch.float32).reshape(B, d)
            with torch.no_grad():
                clipped = (eps * case["policy_noise"]).clamp(-case["noise_clip"], case["noise_clip"])
                na = (torch.tanh(run(target_actor, next_obs)) + clipped).clamp(-1.0, 1.0)
                y = rewards + discounts * torch.min(q(qt[0], next_obs, na), q(qt[1], next_obs, na))
            qf_loss = (torch.nn.functional.mse_loss(q(qf[0], obs, actions), y) +
                       torch.nn.functional.mse_loss(q(qf[1], obs, actions), y))
            q_opt.zero_grad()
            qf_loss.backward()
            q_opt.step()
            out["critic_loss"].append(qf_loss.item())
            if step % case["policy_delay"] == case["policy_delay"] - 1:
                actor_loss = -q(qf[0], obs, torch.tanh(run(actor, obs))).mean()
                actor_opt.zero_grad()
                actor_loss.backward()
                actor_opt.step()
                polyak(actor, target_actor, tau)
                polyak(qf[0], qt[0], tau)
                polyak(qf[1], qt[1], tau)
                out["actor_loss"].append(actor_loss.item())
        out["target_actor"] = flat(target_actor)
    out["actor"] = flat(actor)
    out["critic_0"] = flat(qf[0])
    out["critic_1"] = flat(qf[1])
    out["target_0"] = flat(qt[0])
    out["target_1"] = flat(qt[1])
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
