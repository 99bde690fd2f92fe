// Where the export verifier finds ONNX Runtime: Node.js, the `onnxruntime-node` npm
// package, and cairn's runner script (tools/onnxruntime/run_policy.js).
//
// Each piece is resolved in this order, the first that is set wins:
//
//   node              OnnxRuntimeOptions::node, $CAIRN_NODE, "node" on the PATH
//   node_modules dir  OnnxRuntimeOptions::node_modules_dir, $CAIRN_ONNXRUNTIME_NODE_DIR,
//                     <cairn source>/tools/onnxruntime/node_modules
//   runner script     OnnxRuntimeOptions::runner_script, $CAIRN_ONNXRUNTIME_RUNNER,
//                     <cairn source>/tools/onnxruntime/run_policy.js
//
// `scripts/setup.sh build` installs the package into tools/onnxruntime/node_modules
// (`ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts`: the npm package ships the
// CPU binaries for linux x64, so nothing is downloaded besides the package itself).
// Nothing is ever downloaded at export or test time.
//
// Thread safety: plain values and a function that only reads the file system and the
// environment. Allocates.
#pragma once

#include <filesystem>
#include <string>

namespace cairn {

struct OnnxRuntimeOptions {
  std::string node;                        // Node.js executable (name or path)
  std::filesystem::path node_modules_dir;  // a node_modules folder holding onnxruntime-node
  std::filesystem::path runner_script;     // cairn's run_policy.js
  double timeout_seconds = 300.0;          // per runner invocation
};

struct OnnxRuntimeLocation {
  bool available = false;
  std::string node;                        // resolved executable (absolute path if found)
  std::filesystem::path node_modules_dir;  // contains onnxruntime-node/
  std::filesystem::path runner_script;
  std::string version;  // onnxruntime-node's package version, e.g. "1.30.0"
  // When !available: what is missing and how to install it.
  std::string reason;
};

// Resolves the options as described in the file comment and checks that the pieces
// exist (Node is found on the PATH or at its path, the package folder holds a
// package.json, the runner script exists). Does not start Node. Never throws.
OnnxRuntimeLocation locate_onnxruntime(const OnnxRuntimeOptions& options = {});

}  // namespace cairn
