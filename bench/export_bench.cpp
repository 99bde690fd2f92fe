// export_bench: single-observation latency of a CartPole-shaped policy (Box(4) ->
// 2 x 64 tanh -> Discrete(2), separate value network) in three forms:
//
//   cairn Policy::compute_action (deterministic)      in-process
//   the exported C (cairn_policy_act)                  compiled at run time into a shared
//                                                      object with the system compiler, dlopen'ed
//   the exported ONNX in ONNX Runtime from Node        onnxruntime-node, session.run on a
//                                                      [1, 4] tensor, timed inside Node
//
// Reference points measured elsewhere for the same network: Stable-Baselines3
// model.predict ~87 µs, ONNX Runtime from Node ~19 µs. Prints a table; never asserts.
#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "bench_report.h"
#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"
#include "cairn/random/random.h"

namespace {

using cairn::bench::format_duration;
using cairn::bench::median_ns;

std::string shell_output(const std::string& command, int& status) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    status = -1;
    return out;
  }
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

cairn::Policy make_policy() {
  const float inf = INFINITY;
  cairn::Policy policy(
      cairn::Space::box({-4.8f, -inf, -0.41887903f, -inf}, {4.8f, inf, 0.41887903f, inf}, {4}),
      cairn::Space::discrete(2), cairn::nn::ppo_actor_critic(4, 2));
  cairn::Rng rng(1);
  for (const auto& info : policy.model().parameters()) {
    const double scale =
        info.shape.size() == 2 ? 1.5 / std::sqrt(static_cast<double>(info.shape[0])) : 0.3;
    for (float& v : policy.model().parameter(info.name)) {
      v = static_cast<float>(scale * rng.normal());
    }
  }
  return policy;
}

struct CTiming {
  double act_ns = NAN;
  double evaluate_ns = NAN;
  std::string note;
};

// Compiles the exported C into a shared object with `flags` and times it in-process.
CTiming time_exported_c(const std::filesystem::path& dir, const std::string& flags,
                        const float* obs) {
  CTiming t;
  const auto so = dir / ("policy_" + std::to_string(std::hash<std::string>{}(flags)) + ".so");
  int status = 0;
  const std::string cmd = "cc " + flags + " -fPIC -shared -o " + so.string() + " " +
                          (dir / "cairn_policy.c").string() + " -lm";
  const std::string out = shell_output(cmd, status);
  if (status != 0) {
    t.note = "compile failed: " + out;
    return t;
  }
  void* lib = ::dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    t.note = std::string("dlopen failed: ") + ::dlerror();
    return t;
  }
  using Act = int (*)(const float*, long long*);
  using Evaluate = int (*)(const float*, long long*, float*, float*);
  const auto act = reinterpret_cast<Act>(::dlsym(lib, "cairn_policy_act"));
  const auto evaluate = reinterpret_cast<Evaluate>(::dlsym(lib, "cairn_policy_evaluate"));
  if (act == nullptr || evaluate == nullptr) {
    t.note = "symbols not found";
    return t;
  }
  long long action = 0;
  float dist[2], value = 0;
  t.act_ns = median_ns([&] {
    act(obs, &action);
    cairn::bench::do_not_optimize(action);
  });
  t.evaluate_ns = median_ns([&] {
    evaluate(obs, &action, dist, &value);
    cairn::bench::do_not_optimize(value);
  });
  ::dlclose(lib);
  return t;
}

}  // namespace

int main() {
  cairn::bench::print_machine("export_bench: single-observation latency, CartPole-shaped policy");
  std::printf("policy: Box(4) -> pi 64-64 tanh -> 2 logits, vf 64-64 tanh -> 1; batch 1\n\n");

  cairn::Policy policy = make_policy();
  const float obs[4] = {0.02f, -0.3f, 0.05f, 0.4f};
  cairn::bench::Table table({"implementation", "per action", "notes"});

  // cairn, in-process.
  const double cairn_ns = median_ns([&] {
    const cairn::ActionRef a = policy.compute_action(obs);
    cairn::bench::do_not_optimize(a);
  });
  table.add_row({"cairn Policy::compute_action", format_duration(cairn_ns),
                 "deterministic; runs the whole model (pi and vf) + argmax"});
  const double cairn_value_ns = median_ns([&] {
    const float v = policy.value(obs);
    cairn::bench::do_not_optimize(v);
  });
  table.add_row({"cairn Policy::value", format_duration(cairn_value_ns), "vf network only"});

  // The exported C, compiled at run time.
  const auto dir =
      std::filesystem::temp_directory_path() / ("cairn_export_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  cairn::CExportOptions c_options;
  const cairn::ExportVerification cv = cairn::export_c(policy, dir, c_options);
  for (const std::string flags : {"-std=c99 -O2", "-std=c99 -O3 -march=native"}) {
    const CTiming t = time_exported_c(dir, flags, obs);
    if (!t.note.empty()) {
      table.add_row({"exported C (" + flags + ")", "n/a", t.note});
      continue;
    }
    table.add_row({"exported C act (" + flags + ")", format_duration(t.act_ns),
                   "dlopen'ed .so; C export " + cairn::to_string(cv.status)});
    table.add_row({"exported C evaluate (" + flags + ")", format_duration(t.evaluate_ns),
                   "action + logits + value"});
  }

  // ONNX Runtime from Node.
  const cairn::ExportVerification ov = cairn::export_onnx(policy, dir / "policy.onnx");
  const cairn::OnnxRuntimeLocation ort = cairn::locate_onnxruntime();
  if (!ort.available) {
    table.add_row({"ONNX Runtime from Node", "n/a", ort.reason});
  } else {
    {
      std::ofstream f(dir / "obs.f32", std::ios::binary);
      f.write(reinterpret_cast<const char*>(obs), sizeof obs);
    }
    int status = 0;
    const std::string out = shell_output(
        "'" + ort.node + "' '" + ort.runner_script.string() + "' bench --ort '" +
            ort.node_modules_dir.string() + "' --model '" + (dir / "policy.onnx").string() +
            "' --obs '" + (dir / "obs.f32").string() + "' --obs-size 4 --iterations 20000",
        status);
    try {
      const nlohmann::json j = nlohmann::json::parse(out.substr(out.find('{')));
      table.add_row({"ONNX Runtime from Node (session.run)",
                     format_duration(j.at("median_us").get<double>() * 1e3),
                     "onnxruntime-node " + j["runtime"].value("onnxruntime_node", "?") + ", Node " +
                         j["runtime"].value("node", "?") + ", 1 thread; ONNX export " +
                         cairn::to_string(ov.status)});
    } catch (const std::exception&) {
      table.add_row({"ONNX Runtime from Node", "n/a", "runner failed: " + out});
    }
  }
  table.add_row({"Stable-Baselines3 model.predict", "~87 µs", "reference, measured elsewhere"});
  table.add_row({"ORT from Node (reference)", "~19 µs", "reference, measured elsewhere"});
  table.print();
  std::filesystem::remove_all(dir);
  return 0;
}
