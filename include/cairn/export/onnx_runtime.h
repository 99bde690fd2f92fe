// Where the export verifier finds ONNX Runtime: Node.js, the `onnxruntime-node` npm
// package, and cairn's runner script (run_policy.js).
//
// The runner script and the package live in an "onnxruntime folder" (run_policy.js,
// package.json, package-lock.json and, once installed, node_modules/). Each piece is
// resolved in this order, the first that is set (or, for folders, found) wins:
//
//   node              OnnxRuntimeOptions::node, $CAIRN_NODE, "node" on the PATH
//   node_modules dir  OnnxRuntimeOptions::node_modules_dir, $CAIRN_ONNXRUNTIME_NODE_DIR,
//                     node_modules/ of the first onnxruntime folder holding the package
//   runner script     OnnxRuntimeOptions::runner_script, $CAIRN_ONNXRUNTIME_RUNNER,
//                     run_policy.js of the first onnxruntime folder holding it
//
// The onnxruntime folders searched, in order:
//   1. $CAIRN_ONNXRUNTIME_DIR; when set, it is the only one (an explicit choice is never
//      overridden by a folder found elsewhere);
//   2. <the running program's folder>/../share/cairn/onnxruntime: an installed `cairn`
//      program (`cmake --install` puts the runner there), wherever the prefix was moved;
//   3. <the install prefix cairn was configured with>/share/cairn/onnxruntime, for other
//      programs linking an installed cairn;
//   4. <cairn's source tree>/tools/onnxruntime, for builds in the source tree.
//
// The package is installed into a folder with `ONNXRUNTIME_NODE_INSTALL=skip npm ci
// --ignore-scripts` run in it (the npm package ships the CPU binaries for linux x64, so
// nothing is downloaded besides the package itself; `scripts/setup.sh build` does it for the
// source tree). Nothing is ever downloaded at export or test time.
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
  // When !available: what is missing, every place looked in, and how to install it.
  std::string reason;
};

// Resolves the options as described in the file comment and checks that the pieces
// exist (Node is found on the PATH or at its path, the package folder holds
// onnxruntime-node/package.json, the runner script exists). Does not start Node. Never
// throws.
OnnxRuntimeLocation locate_onnxruntime(const OnnxRuntimeOptions& options = {});

}  // namespace cairn
