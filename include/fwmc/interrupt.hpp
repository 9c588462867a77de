// Stopping a job: SIGINT/SIGTERM set a process-wide flag, a StopToken asks one job to stop from another thread
// or a callback. Long loops poll interrupted() and throw Interrupted; the CLI exits 130 without writing outputs.
#pragma once
#include <atomic>
#include <memory>
#include <stdexcept>

namespace fwmc {

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

void install_interrupt_handlers();
bool interrupted();
// For callers that outlive one job (the Python module): clear the signal flag before a job; stop the running job
// as a signal would.
void clear_interrupt();
void request_interrupt();
inline void throw_if_interrupted() {
  if (interrupted()) throw Interrupted();
}

// A job's stop request (copies share it): request() from any thread stops the job at its next poll.
class StopToken {
 public:
  void request() const { flag_->store(true); }
  bool requested() const { return flag_->load(); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_ = std::make_shared<std::atomic<bool>>(false);
};

// While alive, interrupted() also answers `token` (one job runs at a time in a process).
class StopScope {
 public:
  explicit StopScope(const StopToken& token);
  ~StopScope();
  StopScope(const StopScope&) = delete;
  StopScope& operator=(const StopScope&) = delete;

 private:
  StopToken token_;
  const StopToken* previous_;
};

}  // namespace fwmc
