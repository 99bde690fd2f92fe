// cairn.Policy: a cairn::Policy as Python sees it, with Stable-Baselines3's predict() and
// RLlib's compute_single_action().
//
// A handle owns its policy (load_policy) or refers to an algorithm's (Algorithm.policy, which
// keeps the algorithm alive). It holds the generator that exploring actions draw from
// (seeded when made), so the same seed and calls give the same actions. A policy is not
// thread-safe: calls hold the GIL, so Python threads sharing a policy take turns.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include <pybind11/pybind11.h>

#include "cairn/policy/policy.h"
#include "cairn/random/random.h"

namespace cairn::python {

class PolicyHandle {
 public:
  // Owns `policy`; `folder` is the policy folder it was read from (its recorded example
  // proves exports), or empty.
  PolicyHandle(std::unique_ptr<Policy> policy, std::filesystem::path folder, uint64_t seed);
  // Refers to a policy owned elsewhere (an algorithm's).
  PolicyHandle(Policy& policy, uint64_t seed);

  Policy& policy() { return *policy_; }
  const std::filesystem::path& folder() const { return folder_; }
  void set_folder(std::filesystem::path folder) { folder_ = std::move(folder); }
  Rng& rng() { return rng_; }

 private:
  std::unique_ptr<Policy> owned_;
  Policy* policy_;
  std::filesystem::path folder_;
  Rng rng_;
};

// Defines cairn.Policy and cairn.load_policy in `m`.
void bind_policy(pybind11::module_& m);

}  // namespace cairn::python
