// Checkpoints of a run as paused forked processes (docs/viewer.md,
// "Checkpoints of the probe run").
//
// A run::Run is not copyable (actors hold pointers into one another, the
// kernel's queue holds handlers), but a process is: fork() copies the whole
// address space, copy-on-write, in a few milliseconds. A checkpoint is a
// child forked while the run stood at an event, paused on a socket. To go
// back to an event behind the run, the owner opens a session at the latest
// checkpoint at or before it: the checkpoint forks a worker (itself staying
// paused, so it can serve again), and the worker, holding the run exactly
// as it was, advances it forwards and answers the owner's requests over the
// socket until the owner ends the session. Determinism makes the worker's
// run the same event for event as the original.
//
// Requests and answers are frames (a 4-byte length, then the bytes) whose
// content the owner and its Serve function agree on; an empty frame ends a
// session. A checkpoint that dies closes its socket, and so does one whose
// worker died other than by ending its session (it exits then): the owner
// reads end-of-file and stops using checkpoints (failed()).
//
// Memory: a checkpoint costs the pages the owner (or the worker) has
// written since the fork -- the checkpoint keeps their old copies. Measured
// from /proc (each process's proportional set size, smaps_rollup; reading
// it walks each process's page tables, tens of ms for a large one) every
// kMeasureEvery checkpoints taken or sessions opened, or at each
// checkpoint once the last cost per checkpoint says the budget is near;
// over the budget, every other checkpoint goes and the interval between
// checkpoints doubles, so coverage stays even. Linux only, like the rest
// of the viewer's packaging (Debian).
//
// Children never return into the caller's stack: they serve and _exit(),
// also on an exception. They keep only their socket and the standard
// streams (close_range), take the default action for SIGCHLD, SIGABRT,
// SIGINT and SIGTERM (not the owner's handlers), and die with their parent
// (PR_SET_PDEATHSIG) and at end-of-file.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace ecsim::viz {

struct ForkLimits {
  uint64_t memory_bytes_max = uint64_t{1} << 30;  // --run-checkpoint-memory; 0: no checkpoints
  uint64_t every_events = 200'000;                // events between checkpoints at first
  size_t checkpoints_max = 256;                   // processes kept (>= 2)
};

// Frames over a stream socket. Each false: the peer is gone or the frame is malformed.
namespace frames {
bool send(int fd, const std::vector<uint8_t>& bytes);
// Blocks until a whole frame is read; reads nothing beyond it.
bool receive(int fd, std::vector<uint8_t>& bytes);
// Whether a frame (or end-of-file) is waiting, within `timeout_ms` (-1: until it is).
bool ready(int fd, int timeout_ms);
}  // namespace frames

class RunForks {
 public:
  // Runs in a session's worker: serves the frames on `fd` and returns at an
  // empty frame or end-of-file (the worker then exits).
  using Serve = std::function<void(int fd)>;
  static constexpr size_t kMeasureEvery = 8;

  RunForks(ForkLimits limits, Serve serve);
  ~RunForks();  // kills the checkpoints (their workers die with them)
  RunForks(const RunForks&) = delete;
  RunForks& operator=(const RunForks&) = delete;

  // The owner's run stands at `event`, its process-wide state parked:
  // a checkpoint is taken when one is due (at once when there is none,
  // then every every_events()); none at or behind the last one.
  void offer(uint64_t event, int64_t time_ns);
  // Events from `event` until the next checkpoint is due (>= 1; UINT64_MAX: none will be).
  uint64_t due_in(uint64_t event) const;
  // A session with a worker forked from the latest checkpoint at or before
  // `event`: its socket and the checkpoint's event. nullopt: none, or it
  // failed (then failed() is true). At most one session at a time.
  struct Session {
    int fd = -1;
    uint64_t event = 0;
    int64_t time_ns = 0;  // the checkpoint's simulated time
  };
  std::optional<Session> open(uint64_t event);
  // Ends the open session. REQUIRES: no answer is still to be read.
  void close_session();
  // The event of the latest checkpoint at or before `event`, if any.
  std::optional<uint64_t> latest_at_or_before(uint64_t event) const;
  // A session's peer failed (end-of-file, a malformed frame): every
  // checkpoint goes and none is taken again.
  void fail();

  bool enabled() const { return enabled_; }
  bool failed() const { return failed_; }
  size_t size() const { return checkpoints_.size(); }
  uint64_t every_events() const { return every_; }
  // The checkpoints' memory as last measured; 0 before.
  uint64_t memory_bytes() const { return memory_bytes_; }
  uint64_t thinned() const { return thinned_; }  // times every other checkpoint went
  std::vector<uint64_t> events() const;
  std::vector<int> pids() const;  // tests: to kill one
  int worker() const { return worker_; }  // the open session's worker (-1: none); tests

 private:
  struct Checkpoint {
    uint64_t event = 0;
    int64_t time_ns = 0;
    int pid = -1;
    int fd = -1;
  };
  void take(uint64_t event, int64_t time_ns);
  [[noreturn]] void checkpoint_main(int fd, int parent);
  // Measures when due: every kMeasureEvery checkpoints taken, or sooner when
  // the cost per checkpoint last measured says the budget is near (reading
  // /proc walks each process's page tables: not at every one).
  void measure_if_due();
  void measure();
  // Every other checkpoint goes (the first stays) and the interval doubles.
  void thin();
  void drop(size_t index);
  void drop_all();

  ForkLimits limits_;
  Serve serve_;
  std::vector<Checkpoint> checkpoints_;  // by event
  int session_ = -1;                     // the checkpoint serving a session, -1: none
  int worker_ = -1;                      // its worker's pid
  uint64_t every_;
  uint64_t memory_bytes_ = 0;
  size_t taken_since_measure_ = 0;
  size_t opened_since_measure_ = 0;
  uint64_t baseline_ = 0;  // the owner's Rss - Pss before the first fork
  bool baseline_known_ = false;
  uint64_t thinned_ = 0;
  bool enabled_;
  bool failed_ = false;
};

}  // namespace ecsim::viz
