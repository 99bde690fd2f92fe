// CheckpointManager::save(Algorithm&), defined with the algorithm frame: the checkpoint
// area (checkpoint_manager.h) knows checkpoints as folders, and this is where an
// algorithm becomes a CheckpointWriter.
#include <nlohmann/json.hpp>
#include <string>

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/checkpoint/checkpoint_manager.h"

namespace cairn {

std::filesystem::path CheckpointManager::save(Algorithm& algorithm) {
  const nlohmann::json config = algorithm.config_json();
  CheckpointWriter writer;
  writer.iteration = algorithm.iteration();
  // A run is determined by its algorithm and config, seed included; a checkpoint of an
  // algorithm this program does not know, or whose config does not read, is another run's.
  writer.same_run = [&](const nlohmann::json& manifest) {
    if (!manifest.contains("config") || !manifest.contains("algorithm") ||
        !manifest["algorithm"].is_string() ||
        !has_algorithm(manifest["algorithm"].get<std::string>())) {
      return false;
    }
    const AlgorithmInfo& info = algorithm_info(manifest["algorithm"].get<std::string>());
    return info.name == algorithm.name() && info.normalize_config(manifest["config"]) == config;
  };
  writer.write = [&](const std::filesystem::path& dir) {
    algorithm.save_checkpoint(dir, /*overwrite=*/true);
  };
  return save(writer);
}

}  // namespace cairn
