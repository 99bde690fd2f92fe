// The names of the checkpoint format (docs/checkpoint-format.md), defined once: every
// reader and writer of policy folders, algorithm checkpoints and run folders uses these.
#pragma once

#include <cstdint>

namespace cairn {

// The checkpoint format this cairn writes, and the newest it reads.
inline constexpr int64_t kCheckpointFormatVersion = 1;

// A policy folder.
inline constexpr const char* kPolicyManifestFile = "cairn_policy.json";
inline constexpr const char* kPolicyWeightsFile = "weights.safetensors";
inline constexpr const char* kPolicyExampleFile = "example.safetensors";
inline constexpr const char* kPolicyKind = "cairn.policy";

// An algorithm checkpoint.
inline constexpr const char* kCheckpointManifestFile = "cairn_checkpoint.json";
inline constexpr const char* kAlgorithmStateFile = "algorithm_state.safetensors";
inline constexpr const char* kPoliciesFolder = "policies";  // policies/<policy id>/
inline constexpr const char* kDefaultPolicyId = "default_policy";
inline constexpr const char* kAlgorithmCheckpointKind = "cairn.algorithm_checkpoint";

// A run folder.
inline constexpr const char* kLatestFile = "latest";  // names the newest checkpoint folder
inline constexpr const char* kCheckpointFolderPrefix = "checkpoint_";  // checkpoint_<iteration>
inline constexpr const char* kMetricsCsvFile = "metrics.csv";
inline constexpr const char* kMetricsJsonlFile = "metrics.jsonl";
inline constexpr const char* kRunLockFile = ".lock";

}  // namespace cairn
