// SimpleCorridor as a plugin of the cairn program (include/cairn/plugin.h): the same
// environment the simple_corridor library gives C++ programs, registered in every `cairn`
// command that loads this module:
//
//   cairn --plugin ./libcairn_simple_corridor_plugin.so train --env SimpleCorridor-v0
//
// Built as a MODULE library linked with cairn::plugin (see CMakeLists.txt): the program
// supplies cairn itself, so the environment lands in the program's registry.
#include "cairn/plugin.h"
#include "simple_corridor.h"

// Called once by the cairn program after loading the plugin.
CAIRN_PLUGIN_REGISTER() {
  corridor::register_simple_corridor();
}
