// Internal: runs an exported ONNX policy in ONNX Runtime through Node and
// tools/onnxruntime/run_policy.js, and reads its outputs back.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "cairn/export/onnx_runtime.h"
#include "export/verification_run.h"

namespace cairn::export_detail {

struct OnnxRunOutcome {
  enum class Kind { kOk, kUnavailable, kFailed };
  Kind kind = Kind::kFailed;
  std::string runtime;  // "onnxruntime-node 1.30.0 (Node v20.20.2)"
  std::string message;  // why unavailable / failed
  PolicyOutputs outputs;
};

// Runs `model` on `observations` (row-major raw observations of `policy`). Checks that
// the model has exactly the input "obs" and the outputs the policy's export must have.
// Never throws for a missing runtime or a failing run (see the outcome's kind); throws
// cairn::Error only if temporary files cannot be created.
// Runs the model on the verification inputs: a batch for a feed-forward policy, the
// segments step by step (its own state_out fed back) for a recurrent one.
OnnxRunOutcome run_onnx_policy(const Policy& policy, const std::filesystem::path& model,
                               const VerificationInputs& inputs, const OnnxRuntimeOptions& options);

}  // namespace cairn::export_detail
