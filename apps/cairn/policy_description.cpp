#include "policy_description.h"

#include <cstdio>

namespace cairn::cli {

using json = nlohmann::json;

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

json describe_policy_head(const Policy& policy) {
  json d = {{"head", to_string(policy.head())}};
  json exploration;
  switch (policy.head()) {
    case PolicyHead::kStochastic: {
      const std::string kind = to_string(policy.distribution().kind());
      d["distribution"] = kind;
      d["deterministic_action"] = "the " + kind + " distribution's mode";
      exploration = {{"kind", "sample"}, {"text", "samples the " + kind + " distribution"}};
      break;
    }
    case PolicyHead::kSquashedGaussian:
      d["deterministic_action"] = "to_bounds(tanh(mean))";
      exploration = {{"kind", "squashed_gaussian_sample"},
                     {"text", "samples u ~ N(mean, std) and acts to_bounds(tanh(u))"}};
      break;
    case PolicyHead::kDeterministic: {
      const double noise = policy.options().exploration_noise;
      d["deterministic_action"] = "to_bounds(tanh(pi))";
      exploration = {{"kind", "gaussian_noise"},
                     {"noise", noise},
                     {"text", "adds Gaussian noise of std " + number(noise) +
                                  " x half the action range, clipped to the bounds"}};
      break;
    }
    case PolicyHead::kGreedyQ: {
      const double epsilon = policy.options().exploration_epsilon;
      d["deterministic_action"] = "argmax q";
      exploration = {
          {"kind", "epsilon_greedy"},
          {"epsilon", epsilon},
          {"text", "epsilon-greedy, a uniform random action with probability " + number(epsilon)}};
      break;
    }
  }
  d["exploration"] = exploration;
  return d;
}

std::string policy_head_line(const json& d) {
  std::string line = "head " + d.at("head").get<std::string>();
  if (d.contains("distribution")) line += " (" + d.at("distribution").get<std::string>() + ")";
  line += ": acts " + d.at("deterministic_action").get<std::string>() +
          "; exploring: " + d.at("exploration").at("text").get<std::string>();
  return line;
}

}  // namespace cairn::cli
