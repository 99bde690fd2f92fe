// Plugins: user environments and layers for the `cairn` program.
//
// A plugin is a shared library that the cairn program loads with `--plugin LIB` (any
// command, repeatable) or from $CAIRN_PLUGINS (paths separated by ':'). After loading it,
// the program checks that the plugin was built against this very cairn and then calls its
// registration function, which registers environments (cairn::register_env) and layers
// (cairn::nn::register_layer) exactly as a program linking cairn would. From then on every
// command (train, train --resume, eval, inspect, export, rollout, envs, config show) knows
// them.
//
// A plugin is one source file (or more) with one registration block:
//
//   #include "cairn/plugin.h"
//   CAIRN_PLUGIN_REGISTER() {
//     cairn::register_env({.id = "MyEnv-v0", .factory = ...});
//     cairn::nn::register_layer<MyLayer>("my_layer");
//   }
//
// built as a MODULE library linked with cairn::plugin (NOT cairn::cairn):
//
//   find_package(cairn 0.1 REQUIRED)
//   add_library(myplugin MODULE myplugin.cpp)
//   target_link_libraries(myplugin PRIVATE cairn::plugin)
//
// Why cairn::plugin: cairn is a static library, and the program carries all of it and
// exports its symbols. A plugin linked with its own copy of libcairn.a would register
// into its own copy of the registries, which the program never reads; cairn::plugin gives
// the headers, compile options and definitions only, and the plugin's calls into cairn
// bind to the program's code when it is loaded (docs/architecture.md, "Plugins").
//
// The registration block may throw (cairn::Error or any std::exception): the program
// reports it as one error line naming the library. A plugin built against another cairn
// version or another C++ ABI is refused before any of its code runs.
#pragma once

#include <cstddef>  // defines the standard library's ABI macros read below

#ifndef CAIRN_VERSION_STRING
#error "cairn/plugin.h: CAIRN_VERSION_STRING is not defined; link the plugin with cairn::plugin"
#endif

#define CAIRN_PLUGIN_STRINGIFY_(x) #x
#define CAIRN_PLUGIN_STRINGIFY(x) CAIRN_PLUGIN_STRINGIFY_(x)

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define CAIRN_PLUGIN_STDLIB_ABI_ \
  "libstdc++ cxx11-abi " CAIRN_PLUGIN_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_ABI_VERSION)
#define CAIRN_PLUGIN_STDLIB_ABI_ "libc++ abi " CAIRN_PLUGIN_STRINGIFY(_LIBCPP_ABI_VERSION)
#else
#define CAIRN_PLUGIN_STDLIB_ABI_ "unknown standard library"
#endif
#if defined(__GXX_ABI_VERSION)
#define CAIRN_PLUGIN_CXX_ABI_ "gxx-abi " CAIRN_PLUGIN_STRINGIFY(__GXX_ABI_VERSION)
#else
#define CAIRN_PLUGIN_CXX_ABI_ "unknown C++ ABI"
#endif

// What a plugin and the program must agree on, compared as a string when the plugin is
// loaded: cairn's version (the classes a plugin derives from and the registries it calls
// have no stable ABI across versions) and the C++ ABI (std::string, std::function, ...
// cross the boundary).
#define CAIRN_PLUGIN_ABI \
  "cairn " CAIRN_VERSION_STRING "; " CAIRN_PLUGIN_CXX_ABI_ "; " CAIRN_PLUGIN_STDLIB_ABI_

// Defines the plugin's two entry points, `cairn_plugin_abi()` (returns CAIRN_PLUGIN_ABI as
// this plugin was compiled) and `cairn_plugin_register()`, whose body follows the macro.
// Use it exactly once per plugin.
#define CAIRN_PLUGIN_REGISTER()                                                      \
  extern "C" __attribute__((visibility("default"))) const char* cairn_plugin_abi();  \
  extern "C" __attribute__((visibility("default"))) void cairn_plugin_register();    \
  extern "C" __attribute__((visibility("default"))) const char* cairn_plugin_abi() { \
    return CAIRN_PLUGIN_ABI;                                                         \
  }                                                                                  \
  extern "C" __attribute__((visibility("default"))) void cairn_plugin_register()
