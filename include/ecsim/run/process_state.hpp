// The process-wide state of a run, moved aside so that another run can use
// the process: one simulation runs at a time (DESIGN rule 1), but several
// may exist (the viewer keeps a probe run beside its timeline's, to read
// the nodes' internals at its cursor).
//
// A run::Run installs, for its lifetime, the plant switch (proto/plant.hpp),
// the protocol points' counters and hook (proto/points.hpp), its limits and
// memory accounting (sim/limits.hpp) and the assertion context
// (sim/assert.hpp). ParkedRun::park() moves all of it out of the process
// and leaves it as if no run existed; unpark() puts it back. Between the
// two, another run may be built, advanced or destroyed -- with its own
// state installed, parked again afterwards. A run's objects must only be
// touched (advanced, read, destroyed) while its own state is installed.
#pragma once
#include <memory>

namespace ecsim::run {

class ParkedRun {
 public:
  ParkedRun();  // holds nothing: unpark() installs an empty state
  ~ParkedRun();
  ParkedRun(ParkedRun&&) noexcept;
  ParkedRun& operator=(ParkedRun&&) noexcept;

  // Moves the installed state out (whatever run it belongs to, or none).
  static ParkedRun park();
  // Installs the state held. REQUIRES: nothing is installed (park() first).
  void unpark();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Runs `f` with `mine` installed, the state installed before parked
// meanwhile and put back afterwards (also when `f` throws); `mine` holds
// the state `f` leaves behind.
template <class F>
void with_parked(ParkedRun& mine, F&& f) {
  struct Swap {
    ParkedRun& mine;
    ParkedRun other = ParkedRun::park();
    explicit Swap(ParkedRun& m) : mine(m) { mine.unpark(); }
    ~Swap() {
      mine = ParkedRun::park();
      other.unpark();
    }
  } swap(mine);
  f();
}

}  // namespace ecsim::run
