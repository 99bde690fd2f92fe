#include "plugin_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <set>

#include "cairn/error.h"
#include "cairn/plugin.h"

namespace cairn::cli {

namespace fs = std::filesystem;

std::vector<std::string> take_plugin_flags(int& argc, char** argv) {
  std::vector<std::string> libraries;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--plugin")) {
      if (i + 1 >= argc) throw Error("--plugin needs a value: the plugin's shared library");
      libraries.emplace_back(argv[++i]);
    } else if (!std::strncmp(argv[i], "--plugin=", 9)) {
      libraries.emplace_back(argv[i] + 9);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  for (const std::string& l : libraries) {
    if (l.empty()) throw Error("--plugin needs a value: the plugin's shared library");
  }
  return libraries;
}

std::vector<std::string> plugins_from_environment() {
  std::vector<std::string> libraries;
  const char* value = std::getenv("CAIRN_PLUGINS");
  if (value == nullptr) return libraries;
  std::string rest = value;
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const std::string entry = rest.substr(0, colon);
    if (!entry.empty()) libraries.push_back(entry);
    rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
  }
  return libraries;
}

void load_plugin(const std::string& library) {
  static std::set<fs::path> loaded;  // canonical paths
  const std::string where = "plugin '" + library + "'";
  std::error_code ec;
  if (!fs::is_regular_file(library, ec)) {
    throw Error(where + ": no such file (give the path of the plugin's shared library)");
  }
  // An absolute path: dlopen searches the library path for a name without '/', which
  // would load some other file than the one the user named.
  const fs::path path = fs::canonical(library, ec);
  if (ec) throw Error(where + ": " + ec.message());
  if (!loaded.insert(path).second) return;
  // RTLD_NOW: a symbol the program lacks is an error here, not a crash later.
  // RTLD_LOCAL: a plugin's own symbols do not leak into other plugins.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    loaded.erase(path);
    throw Error(where + ": cannot load it: " + (why ? why : "unknown reason") +
                " (a plugin must be a shared library built against cairn " CAIRN_VERSION_STRING
                " with find_package(cairn) and linked with cairn::plugin)");
  }
  using AbiFunction = const char* (*)();
  using RegisterFunction = void (*)();
  // POSIX guarantees that a function pointer survives the round trip through void*.
  const auto abi = reinterpret_cast<AbiFunction>(dlsym(handle, "cairn_plugin_abi"));
  const auto registration =
      reinterpret_cast<RegisterFunction>(dlsym(handle, "cairn_plugin_register"));
  if (abi == nullptr || registration == nullptr) {
    throw Error(where + ": not a cairn plugin (no " +
                (abi == nullptr ? "cairn_plugin_abi" : "cairn_plugin_register") +
                " function; define the entry points with CAIRN_PLUGIN_REGISTER() from "
                "cairn/plugin.h)");
  }
  const std::string plugin_abi = abi();
  if (plugin_abi != CAIRN_PLUGIN_ABI) {
    throw Error(where + ": built for " + plugin_abi + ", but this program is " + CAIRN_PLUGIN_ABI +
                "; rebuild the plugin against this cairn");
  }
  try {
    registration();
  } catch (const std::exception& e) {
    throw Error(where + ": its registration failed: " + e.what());
  } catch (...) {
    throw Error(where + ": its registration failed with an exception that is not a std::exception");
  }
}

}  // namespace cairn::cli
