// export_c: a Policy as dependency-free C99 source, proven by compiling and running it.
//
// export_c writes `<dir>/<base>.h` and `<dir>/<base>.c` (base name "cairn_policy" by
// default): C99 that needs nothing but <math.h> (link with -lm), allocates nothing (all
// buffers are fixed-size arrays on the stack, the weights are `static const` arrays
// written as exact hexadecimal float literals) and is therefore thread-safe. It
// compiles warning-free with `-std=c99 -Wall -Wextra -Werror -pedantic` under GCC and
// Clang. The generated header documents the entry points; with the default base name:
//
//   #define CAIRN_POLICY_OBS_SIZE 4          raw observation elements
//   #define CAIRN_POLICY_ACTION_SIZE 1       action elements
//   #define CAIRN_POLICY_NUM_DIST_INPUTS 2   logits / Gaussian means
//   typedef long long cairn_policy_action_t; (float for Box action spaces)
//
//   // One raw observation -> the deterministic action (argmax + start, or the Gaussian
//   // mean clipped to the bounds). Returns 0, or 1 if an integer observation is not
//   // in the observation space (action untouched).
//   int cairn_policy_act(const float obs[CAIRN_POLICY_OBS_SIZE],
//                        cairn_policy_action_t action[CAIRN_POLICY_ACTION_SIZE]);
//   // The same, and optionally the distribution inputs and the value (any output
//   // pointer may be NULL; the value network runs only when `value` is not NULL).
//   int cairn_policy_evaluate(const float *obs, cairn_policy_action_t *action,
//                             float *dist_inputs, float *value);
//   // Gaussian policies only: the state-independent log standard deviations.
//   extern const float cairn_policy_log_std[CAIRN_POLICY_ACTION_SIZE];
//
// A recurrent policy (Policy::is_recurrent()) gets a step function instead of act and
// evaluate, the caller keeping each episode's state (S = Policy::state_size(), the
// recurrent layers' states side by side in layer order, an LSTM's as [h, c]):
//
//   #define CAIRN_POLICY_STATE_SIZE 32
//   typedef struct { float values[CAIRN_POLICY_STATE_SIZE]; } cairn_policy_state;
//   void cairn_policy_initial_state(cairn_policy_state *state);   // zeros
//   // One step: state_in is replaced by zeros when episode_start is nonzero; state_out
//   // (required, may alias state_in) receives the state after the step.
//   int cairn_policy_step(const float obs[CAIRN_POLICY_OBS_SIZE],
//                         const cairn_policy_state *state_in, int episode_start,
//                         cairn_policy_state *state_out, cairn_policy_action_t *action,
//                         float *dist_inputs, float *value);
//
// The computation is the policy's: flatten (one-hot for integer observation spaces),
// normalise with the saved float32 statistics and clip, every layer of the model
// (built-ins natively, custom layers through their LayerLowering), then the action
// head. Float arithmetic follows cairn's formulas in single precision.
//
// Thread safety: the functions only read the policy. Allocation: plenty.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cairn/export/export_verification.h"

namespace cairn {

class Policy;

// How the verifier compiles the generated C.
struct CCompilerOptions {
  // Compiler executable; empty: $CAIRN_CC, else $CC, else "cc".
  std::string command;
  std::vector<std::string> flags{"-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"};
  double timeout_seconds = 300.0;  // per compiler or harness invocation
};

struct CExportOptions {
  // File base name and prefix of every C identifier; must be a C identifier
  // ([A-Za-z_][A-Za-z0-9_]*). Macros use its upper-case form.
  std::string base_name = "cairn_policy";
  // Mentioned in the generated files' comments (may be empty).
  std::string source_checkpoint;
  VerificationOptions verification;
  CCompilerOptions compiler;
  // Throw cairn::Error (after recording) when no C compiler is available, instead of
  // returning an unverified result.
  bool require_verification = false;
};

// The generated files' contents.
struct CSource {
  std::string header;  // <base>.h
  std::string source;  // <base>.c
};

// Generates the C source without writing or verifying it. Throws cairn::Error for a
// bad base name and, naming the layer, for a layer that cannot be lowered to C.
CSource generate_c(const Policy& policy, const CExportOptions& options = {});

// Writes `<dir>/<base>.h` and `<dir>/<base>.c` (atomically; `dir` must exist), compiles
// them with a generated harness, runs it on the verification observations, compares
// with the policy and writes `<dir>/<base>.verification.json`. Returns the
// verification (kVerified, or kUnverified when no compiler is found and
// !require_verification).
// Throws cairn::Error: as generate_c; for bad verification options (as export_onnx);
// naming the path
// when a file cannot be written; and, after writing the failed record, when the code
// does not compile warning-free, the harness fails, or an output disagrees with the
// policy (saying which output, where and by how much).
ExportVerification export_c(const Policy& policy, const std::filesystem::path& dir,
                            const CExportOptions& options = {});

// Re-verifies existing `<dir>/<base>.{h,c}` against `policy` and rewrites the record.
// Does not throw on a mismatch or a compile error (the result says kFailed); throws
// cairn::Error for bad options or when the record cannot be written.
ExportVerification verify_c(const Policy& policy, const std::filesystem::path& dir,
                            const CExportOptions& options = {});

}  // namespace cairn
