// VectorEnv: N copies of an environment stepped together, as Gymnasium's
// vector environments, writing into contiguous, preallocated buffers.
//
// Buffers (row i belongs to environment i):
//   observations()        N x obs_size float   observation to act on next
//   rewards()             N double             reward of the last step
//   terminated(), truncated()  N uint8_t       how the last step ended
//   final_observations()  N x obs_size float   the last observation of an
//                                             episode that ended in the last step
//                                             (rows of other environments are stale)
//
// Auto-reset is Gymnasium's SAME_STEP mode: when environment i's episode ends in
// step(), it is reset within the same call (without a seed, so it continues its
// own generator); observations() row i then holds the first observation of the
// new episode and final_observations() row i holds the observation that ended
// the old one. No step is wasted on a reset, and the value of a truncated
// episode's last observation stays available for bootstrapping.
//
// Seeding: reset(seed) resets environment i with seed + i, as Gymnasium does.
//
// Non-finite data: a NaN or infinite reward or observation from an environment is
// caught where it arrives. By default step() and reset() throw cairn::Error naming the
// environment (index and id), the step of its episode and the value or element. With
// NonFiniteHandling::kSkip, step() instead drops the transition: the environment's
// row gets reward 0, truncated = 1, final_observations() holds the last finite
// observation, the episode is reset without being recorded in finished_episodes(),
// and skipped() marks the row. A non-finite observation at reset always throws.
//
// Threads: with num_threads > 1, step() splits the environments into contiguous
// slices stepped on worker threads (the calling thread takes the first slice).
// Results do not depend on the number of threads. A VectorEnv itself is not
// thread-safe: call it from one thread at a time.
//
// Distributed: built with a Communicator of several ranks (docs/distributed.md), each
// process builds and steps only its contiguous share of the environments
// (distributed::share_of), and after every reset() and step() the ranks' rows are
// gathered, so that every buffer above holds all num_envs() rows on every rank, in
// environment order, exactly as one process would hold them. Environment i is reset with
// seed + i and keeps its own generator whatever rank steps it, so the data do not depend
// on the number of ranks. Every rank must call reset(), step() and save_state() together
// (they are collective); an environment's error is thrown on the rank that steps it.
//
// Allocation: the constructor allocates everything; reset() and step() do not
// allocate (for environments whose reset/step do not).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/distributed/communicator.h"
#include "cairn/env/env.h"
#include "cairn/io/safetensors.h"
#include "cairn/nn/finite.h"

namespace cairn {

// One finished episode's statistics (Gymnasium's RecordEpisodeStatistics).
struct EpisodeRecord {
  size_t env_index = 0;
  double episode_return = 0.0;  // undiscounted sum of rewards
  int64_t length = 0;           // steps
  bool truncated = false;       // ended by truncation rather than termination
};

// The most environments one VectorEnv built by id holds.
inline constexpr size_t kMaxVectorEnvs = size_t{1} << 20;

class VectorEnv {
 public:
  // Takes ownership of `envs` (at least one; all with equal spaces). Throws
  // cairn::Error on an empty list, a null environment, different spaces, or
  // num_threads == 0.
  explicit VectorEnv(std::vector<std::unique_ptr<Env>> envs, size_t num_threads = 1);
  // `num_envs` copies of make(id, options). Throws as make() does, and refuses
  // num_envs == 0 or num_envs > kMaxVectorEnvs.
  VectorEnv(const std::string& id, size_t num_envs,
            const nlohmann::json& options = nlohmann::json::object(), size_t num_threads = 1);
  // `num_envs` environments stepped by the ranks of `comm` together (see the file
  // comment); this process builds only its share. `comm` must outlive the VectorEnv.
  // Throws as above, and cairn::Error if num_envs < comm.size().
  VectorEnv(const std::string& id, size_t num_envs, const nlohmann::json& options,
            size_t num_threads, distributed::Communicator& comm);
  ~VectorEnv();
  VectorEnv(const VectorEnv&) = delete;
  VectorEnv& operator=(const VectorEnv&) = delete;

  size_t num_envs() const { return num_envs_; }
  // The environments this process steps: [first_local(), first_local() + num_local()).
  // All of them unless distributed.
  size_t first_local() const { return first_; }
  size_t num_local() const { return envs_.size(); }
  size_t num_threads() const { return workers_.size() + 1; }
  const Space& single_observation_space() const { return envs_[0]->observation_space(); }
  const Space& single_action_space() const { return envs_[0]->action_space(); }
  size_t observation_size() const { return obs_size_; }
  size_t action_size() const { return act_size_; }

  // Resets every environment (environment i with seed + i) and clears the
  // running episode statistics. Throws cairn::Error on a non-finite observation.
  void reset(uint64_t seed);

  // What step() does with non-finite rewards and observations (see the file comment).
  void set_non_finite_handling(NonFiniteHandling handling) { non_finite_ = handling; }
  NonFiniteHandling non_finite_handling() const { return non_finite_; }

  // Steps every environment with its action (row i of `actions`, action_size()
  // elements each): integer actions for Discrete/MultiDiscrete action spaces,
  // float actions for Box. Throws cairn::Error before stepping anything if the
  // buffer has the wrong kind or length or if reset() was never called; an
  // invalid action for one environment throws that environment's error (the
  // other environments may have stepped), and so does a non-finite reward or
  // observation unless the handling is kSkip.
  void step(std::span<const int64_t> actions);
  void step(std::span<const float> actions);

  std::span<const float> observations() const { return observations_; }
  std::span<const float> final_observations() const { return final_observations_; }
  std::span<const double> rewards() const { return rewards_; }
  std::span<const uint8_t> terminated() const { return terminated_; }
  std::span<const uint8_t> truncated() const { return truncated_; }
  // 1 for the environments whose last step was dropped for non-finite data (kSkip).
  std::span<const uint8_t> skipped() const { return skipped_; }
  // Episodes that ended in the last step(), in environment order.
  std::span<const EpisodeRecord> finished_episodes() const { return finished_; }

  // Return and length so far of each environment's current episode.
  double current_return(size_t i) const { return running_return_[i]; }
  int64_t current_length(size_t i) const { return running_length_[i]; }

  // True if every environment exposes its state (Env::has_state()), so that
  // save_state() can capture the vector environment exactly. (Distributed: all
  // environments are copies of one id, so this process's answer is every rank's.)
  bool can_save_state() const;
  // Everything needed to continue stepping bit-identically: each environment's
  // physical state and generator, its TimeLimit step count, the current observations
  // and the running episode statistics, as tensors named "<prefix>...". Throws
  // cairn::Error if !can_save_state() or reset() was never called.
  void save_state(TensorDict& out, const std::string& prefix) const;
  // Restores save_state()'s tensors; the next step() continues exactly where the saved
  // one would have. Throws cairn::Error naming the tensor on a missing tensor or a
  // shape/dtype that does not fit these environments. (Distributed: save_state gathers
  // every rank's environments, so every rank gets all rows; restore_state reads this
  // process's share of the rows, so a state saved by N ranks restores on M.)
  void restore_state(const TensorDict& in, const std::string& prefix);

  // Environment i (0 <= i < num_envs()). Throws cairn::Error if another rank steps it.
  Env& env(size_t i);
  const Env& env(size_t i) const;

 private:
  void step_slice(size_t begin, size_t end);
  void run_parallel();
  void worker_loop(size_t worker);
  void collect_episodes();
  void gather_rows();
  void set_up_threads(size_t num_threads);
  void check_observation(size_t i, std::span<const float> obs, const char* when) const;
  std::string describe(size_t i) const;

  std::vector<std::unique_ptr<Env>> envs_;  // this process's: environments first_ + i
  std::string id_;                          // empty unless built by id
  size_t num_envs_ = 0, first_ = 0;
  distributed::Communicator* comm_ = nullptr;    // set when distributed over several ranks
  std::vector<std::byte> send_rows_, all_rows_;  // gather_rows()'s buffers
  std::vector<size_t> row_bytes_;                // bytes per rank in gather_rows()
  NonFiniteHandling non_finite_ = NonFiniteHandling::kError;
  size_t obs_size_ = 0, act_size_ = 0;
  bool was_reset_ = false;

  std::vector<float> observations_, final_observations_;
  std::vector<double> rewards_;
  std::vector<uint8_t> terminated_, truncated_, skipped_;
  std::vector<double> running_return_;
  std::vector<int64_t> running_length_;
  std::vector<EpisodeRecord> finished_;

  // The actions of the step in progress (one of the two is set).
  std::span<const int64_t> int_actions_;
  std::span<const float> float_actions_;

  // Worker pool: worker w steps slice w + 1; the caller steps slice 0.
  std::vector<size_t> slice_begin_;  // num_threads + 1 boundaries
  std::vector<std::thread> workers_;
  std::vector<std::exception_ptr> errors_;
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  uint64_t generation_ = 0;
  size_t pending_ = 0;
  bool stopping_ = false;
};

}  // namespace cairn
