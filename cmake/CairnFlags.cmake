# Flags for project code. Third-party headers (Eigen, nlohmann_json, GoogleTest) are
# included as SYSTEM by their imported targets, so -Werror applies to cairn's own code only.

# Floating-point contraction (fused multiply-add) is turned off: the environments must
# reproduce Gymnasium's float64 arithmetic operation by operation, and training must
# not depend on which expressions the compiler decided to fuse. Eigen's kernels still
# use explicit FMA instructions where the CPU has them; that is deterministic per build.
set(CAIRN_COMMON_FLAGS -ffp-contract=off)
if(CAIRN_NATIVE)
  list(APPEND CAIRN_COMMON_FLAGS -march=native)
endif()
if(CAIRN_SANITIZE)
  list(APPEND CAIRN_COMMON_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
       -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(CAIRN_FUZZ)
  # The fuzz targets (fuzz/) link the library, so the library carries libFuzzer's coverage
  # instrumentation and the sanitizers; -fsanitize=fuzzer itself is added per target. The
  # instrumentation is limited to the code that reads files (fuzz/coverage_allowlist.txt):
  # the fuzzers learn from nothing else, and the unit tests of the same build (the
  # sanitizer build is also the fuzz build) then run the numerical code uninstrumented.
  list(APPEND CAIRN_COMMON_FLAGS -fsanitize=fuzzer-no-link,address,undefined
       -fsanitize-coverage-allowlist=${PROJECT_SOURCE_DIR}/fuzz/coverage_allowlist.txt
       -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
add_compile_options(${CAIRN_COMMON_FLAGS})

# Designated initializers that leave defaulted members out are deliberate (EnvSpec etc.),
# so -Wmissing-field-initializers is off.
function(cairn_project_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wno-missing-field-initializers -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough)
  # GCC 12 reports false -Wrestrict errors inside std::string concatenation at -O3
  # (GCC bug 105329); the warning is switched off for GCC only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(CAIRN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
