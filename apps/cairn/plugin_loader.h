// Loading plugins (include/cairn/plugin.h): the shared libraries named by `--plugin LIB`
// flags and by $CAIRN_PLUGINS, loaded before any command runs so that every command
// sees the environments and layers they register.
#pragma once

#include <string>
#include <vector>

namespace cairn::cli {

// Removes every `--plugin LIB` and `--plugin=LIB` from argv[1..argc) (before or after
// the command name), updating argc, and returns the libraries in order. Throws
// cairn::Error if a `--plugin` has no value.
std::vector<std::string> take_plugin_flags(int& argc, char** argv);

// The libraries named by $CAIRN_PLUGINS (separated by ':', empty entries skipped).
std::vector<std::string> plugins_from_environment();

// Loads the plugin `library` (a file path) and calls its registration function. Loading
// the same file twice does nothing the second time. Throws cairn::Error naming the
// library if the file is missing, cannot be loaded (e.g. a symbol cairn does not have),
// lacks the entry points of CAIRN_PLUGIN_REGISTER(), was built against another cairn or
// C++ ABI, or its registration throws. A loaded plugin is never unloaded (the
// registries keep its factories). Not thread-safe: call it from main() before starting
// work.
void load_plugin(const std::string& library);

}  // namespace cairn::cli
