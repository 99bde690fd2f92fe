// export_onnx: a Policy as one self-contained ONNX model, proven in ONNX Runtime.
//
// The graph computes everything the policy computes between a raw observation and
// the deterministic action:
//
//   obs --flatten (one-hot for Discrete/MultiDiscrete)--> --normalise with the saved
//   float32 statistics, clip (if the policy normalises)--> model (every layer) -->
//     "pi" --> dist_inputs, and the deterministic action:
//              argmax per categorical + the space's start (int64), or
//              the Gaussian mean clipped to the Box bounds (float32)
//     "vf" --> value
//
// Inputs and outputs (batch is a dynamic dimension named "batch"); the names are the
// tensor names of the policy's recorded example, so the example feeds straight in:
//   input  obs          float32 [batch, observation size]  raw observations (integer
//                       spaces as exact float values; a value outside the space gives
//                       an all-zero one-hot row instead of an error)
//   output action       int64 [batch, action size] (Discrete/MultiDiscrete: env values,
//                       start included) or float32 [batch, action size] (Box)
//   output dist_inputs  float32 [batch, num distribution inputs] (logits or means)
//   output log_std      float32 [batch, action size] (Gaussian only; the policy's
//                       state-independent log-std, repeated per row)
//   output value        float32 [batch, 1]
//
// A recurrent policy (Policy::is_recurrent()) exports ONE step of a batch of episodes,
// the state being explicit inputs and outputs (S = Policy::state_size(): the recurrent
// layers' states side by side in Model::state_layout() order, an LSTM's as [h, c]):
//   input  state_in       float32 [batch, S]  each episode's state before this step (the
//                         state_out of its previous step; Policy::initial_state() zeros
//                         at the first)
//   input  episode_start  float32 [batch]     1 (any nonzero) where the episode starts
//                         with this observation: its state is reset to zeros first, as
//                         Policy::compute_actions with episode_starts does; else 0
//   output state_out      float32 [batch, S]  each episode's state after this step
// The cells are lowered as MatMul/Add/Sigmoid/Tanh/Mul/Slice nodes following cairn's
// equations and gate order (nn/recurrent_layers.h), not ONNX's LSTM/GRU operators.
//
// Initializers: every model parameter under its cairn name ("pi/dense_0/kernel", same
// shape, float32 bit for bit), "policy/log_std", "preprocessor/obs_mean" and
// "preprocessor/obs_std" (the float32 values the policy normalises with).
// Metadata properties: cairn_version, observation_space and action_space (cairn's
// JSON), distribution (JSON), policy_options (JSON), source_checkpoint.
//
// Built-in layers always lower; a custom layer lowers through its LayerLowering (see
// layer_lowering.h); otherwise the export fails naming the layer. The model passes
// onnx::checker::check_model and strict shape inference with type checks before it is
// written.
//
// Thread safety: the functions only read the policy; concurrent exports of the same
// policy are safe if nobody modifies it meanwhile. Allocation: plenty (graph, files,
// child processes).
#pragma once

#include <filesystem>
#include <string>

#include "cairn/export/export_verification.h"
#include "cairn/export/onnx_runtime.h"

namespace cairn {

class Policy;

struct OnnxExportOptions {
  // ONNX opset of the default domain. From 13 to the newest opset the linked ONNX
  // library knows (17 for ONNX 1.12); layer_norm uses LayerNormalization from 17 on.
  int opset = 17;
  // Recorded in the metadata property "source_checkpoint" (may be empty).
  std::string source_checkpoint;
  VerificationOptions verification;
  OnnxRuntimeOptions runtime;
  // Throw cairn::Error (after recording) when ONNX Runtime is not available, instead
  // of returning an unverified result.
  bool require_verification = false;
  // Testing only: export a recurrent policy's graph with state_in ignored (multiplied by
  // zero), the bug the verification must catch. Never set it otherwise.
  bool testing_ignore_state_in = false;
};

// Writes the ONNX model to `path` (atomically; the folder must exist), verifies it in
// ONNX Runtime and writes `<path>.verification.json`. Returns the verification (status
// kVerified, or kUnverified when ONNX Runtime is not available and
// !require_verification).
// Throws cairn::Error: for bad options (opset out of range; a negative tolerance;
// example observations that are not a multiple of the observation size or not valid
// policy inputs; no observations at all); naming the layer for a layer that cannot be
// lowered; naming the path when a file cannot be written; and, after writing the failed
// record, when the exported model disagrees with the policy (saying which output, where
// and by how much) or cannot be run.
ExportVerification export_onnx(const Policy& policy, const std::filesystem::path& path,
                               const OnnxExportOptions& options = {});

// Re-runs the verification of an existing ONNX file against `policy` (for instance
// after copying or editing it) and rewrites `<path>.verification.json`. Unlike
// export_onnx it does not throw on a mismatch: the result says kFailed. Throws
// cairn::Error for bad options or when the record cannot be written.
ExportVerification verify_onnx(const Policy& policy, const std::filesystem::path& path,
                               const OnnxExportOptions& options = {});

// The serialized, checked ModelProto export_onnx writes (no verification, no files).
// Throws as export_onnx for options and layers.
std::string onnx_model_bytes(const Policy& policy, const OnnxExportOptions& options = {});

}  // namespace cairn
