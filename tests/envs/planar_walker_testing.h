// Test helpers shared by hopper_test.cpp and walker2d_test.cpp (Gymnasium's two planar
// walkers): a deterministic action sequence and NumPy's values for the reset noise and the
// control cost, computed by /usr/bin/python3 with python3-numpy (a missing NumPy fails the
// tests that use them: they find no numbers).
#pragma once

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "support/python_program.h"

namespace cairn::planar_walker_testing {

// A varied action sequence in [-1, 1] of `nu` controls, some components at the bounds.
inline std::vector<float> action(int step, int nu) {
  std::vector<float> a(static_cast<size_t>(nu));
  for (int j = 0; j < nu; ++j) {
    a[j] = static_cast<float>(std::sin(0.37 * step + 1.3 * j));
    if ((step + j) % 7 == 0) a[j] = (j % 2 == 0) ? 1.0f : -1.0f;
  }
  return a;
}

// Parses lines of float.hex() words into rows of doubles; `printed` is kept for messages.
inline std::vector<std::vector<double>> hex_rows(const std::string& printed) {
  std::vector<std::vector<double>> rows;
  std::istringstream lines(printed);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<double> row;
    for (std::string w; words >> w;) row.push_back(std::strtod(w.c_str(), nullptr));
    rows.push_back(std::move(row));
  }
  return rows;
}

// Gymnasium's reset noise for seeds 0..seeds-1: np.random.default_rng(seed), then
// uniform(-s, s, size=nq) followed by uniform(-s, s, size=nv). One row (nq + nv) per seed.
inline std::vector<std::vector<double>> numpy_uniform_reset_noise(int seeds, int nq, int nv,
                                                                  double s) {
  std::ostringstream program;
  program.precision(17);
  program << "import numpy as np\n"
          << "for seed in range(" << seeds << "):\n"
          << "  r = np.random.default_rng(seed)\n"
          << "  q = r.uniform(low=-" << s << ", high=" << s << ", size=" << nq << ")\n"
          << "  v = r.uniform(low=-" << s << ", high=" << s << ", size=" << nv << ")\n"
          << "  print(\" \".join(float(x).hex() for x in np.concatenate([q, v])))\n";
  return hex_rows(testing_python::run_python_program(program.str()));
}

// The decimal text of `a` read back as a Python float would be, then as float32: the action
// NumPy sees when given std::to_string(a).
inline float as_numpy_sees(float a) {
  return static_cast<float>(std::strtod(std::to_string(a).c_str(), nullptr));
}

// Gymnasium's ctrl_cost = weight * np.sum(np.square(action)) for each float32 action (given
// in decimal as std::to_string prints it). One value per action.
inline std::vector<double> numpy_ctrl_costs(const std::vector<std::vector<float>>& actions,
                                            double weight) {
  std::ostringstream program;
  program.precision(17);
  program << "import numpy as np\nrows = [";
  for (const auto& a : actions) {
    program << "[";
    for (float x : a) program << std::to_string(x) << ",";
    program << "],";
  }
  program << "]\nfor row in rows:\n"
          << "  a = np.array(row, dtype=np.float32)\n"
          << "  print(float(" << weight << " * np.sum(np.square(a))).hex())\n";
  std::vector<double> costs;
  for (const auto& row : hex_rows(testing_python::run_python_program(program.str()))) {
    if (row.size() == 1) costs.push_back(row[0]);
  }
  return costs;
}

}  // namespace cairn::planar_walker_testing
