#include "cairn/policy/policy_head.h"

#include "cairn/error.h"
#include "cairn/io/text_file.h"

namespace cairn {

std::string to_string(PolicyHead head) {
  switch (head) {
    case PolicyHead::kStochastic:
      return "stochastic";
    case PolicyHead::kSquashedGaussian:
      return "squashed_gaussian";
    case PolicyHead::kDeterministic:
      return "deterministic";
    case PolicyHead::kGreedyQ:
      return "greedy_q";
  }
  return "stochastic";
}

PolicyHead policy_head_from_string(const std::string& name) {
  for (PolicyHead h : {PolicyHead::kStochastic, PolicyHead::kSquashedGaussian,
                       PolicyHead::kDeterministic, PolicyHead::kGreedyQ}) {
    if (to_string(h) == name) return h;
  }
  throw Error("unknown policy head " + excerpt(name, 80) +
              " (known: stochastic, squashed_gaussian, deterministic, greedy_q)");
}

}  // namespace cairn
