// cairn's built-in MJCF models (src/env/mujoco/models/*.xml), embedded in the library at
// build time (cmake/CairnMjcf.cmake) so that no model file is looked up at run time.
#pragma once

#include <span>
#include <string_view>

namespace cairn::mujoco_detail {

struct BuiltinModel {
  std::string_view name;  // the file name, e.g. "half_cheetah.xml"
  std::string_view xml;   // the file's text
};

// Every built-in model, in file-name order. Static storage; never allocates.
std::span<const BuiltinModel> builtin_models();

}  // namespace cairn::mujoco_detail
