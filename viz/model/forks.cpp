#include "model/forks.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "ecsim/sim/assert.hpp"

namespace ecsim::viz {

namespace {

constexpr uint32_t kFrameMax = 1u << 30;
constexpr uint8_t kOpenSession = 'S';
constexpr uint8_t kReady = 'R';
constexpr uint8_t kNoWorker = 'F';

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    // MSG_NOSIGNAL: a gone peer is an error here, not a SIGPIPE that ends the viewer.
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_all(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// A child's first acts: keep only `fd` (as 3) and the standard streams,
// take the default action for the signals the owner may handle (a test
// framework's SIGABRT handler, the owner's SIGCHLD disposition), die with
// the parent and not outlive one that died before the request took effect.
// Returns the socket's new descriptor.
int become_child(int fd, int parent) {
  if (fd != 3) {
    if (::dup2(fd, 3) < 0) ::_exit(1);
    fd = 3;
  }
  ::close_range(4, ~0U, 0);
  for (const int sig : {SIGCHLD, SIGABRT, SIGINT, SIGTERM}) ::signal(sig, SIG_DFL);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(0);
  return fd;
}

// The interval after thinning, saturating at the largest.
uint64_t doubled(uint64_t every) { return every > UINT64_MAX / 2 ? UINT64_MAX : every * 2; }

void reap(int pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// A process's resident and proportional set sizes in bytes; false when
// /proc does not say (the process is gone, or no smaps_rollup).
bool set_sizes(const std::string& pid, uint64_t& rss, uint64_t& pss) {
  std::ifstream f("/proc/" + pid + "/smaps_rollup");
  if (!f) return false;
  std::string key;
  uint64_t kib = 0;
  bool got_rss = false, got_pss = false;
  while (f >> key) {
    if (key == "Rss:" && f >> kib) {
      rss = kib * 1024;
      got_rss = true;
    } else if (key == "Pss:" && f >> kib) {
      pss = kib * 1024;
      got_pss = true;
    }
  }
  return got_rss && got_pss;
}

}  // namespace

bool frames::send(int fd, const std::vector<uint8_t>& bytes) {
  if (bytes.size() > kFrameMax) return false;
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  uint8_t head[4];
  std::memcpy(head, &n, sizeof n);
  return write_all(fd, head, sizeof head) && write_all(fd, bytes.data(), bytes.size());
}

bool frames::receive(int fd, std::vector<uint8_t>& bytes) {
  uint8_t head[4];
  if (!read_all(fd, head, sizeof head)) return false;
  uint32_t n = 0;
  std::memcpy(&n, head, sizeof n);
  if (n > kFrameMax) return false;
  bytes.resize(n);
  return read_all(fd, bytes.data(), n);
}

bool frames::ready(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    return r != 0;  // an error reads as ready: the read that follows fails
  }
}

RunForks::RunForks(ForkLimits limits, Serve serve)
    : limits_(limits),
      serve_(std::move(serve)),
      every_(std::max<uint64_t>(1, limits.every_events)),
      enabled_(limits.memory_bytes_max > 0) {
  ECSIM_ASSERT(limits_.checkpoints_max >= 2);
}

RunForks::~RunForks() { drop_all(); }

std::vector<uint64_t> RunForks::events() const {
  std::vector<uint64_t> e;
  for (const Checkpoint& c : checkpoints_) e.push_back(c.event);
  return e;
}

std::vector<int> RunForks::pids() const {
  std::vector<int> p;
  for (const Checkpoint& c : checkpoints_) p.push_back(c.pid);
  return p;
}

uint64_t RunForks::due_in(uint64_t event) const {
  if (!enabled_) return UINT64_MAX;
  if (checkpoints_.empty()) return 1;
  const uint64_t last = checkpoints_.back().event;
  if (every_ > UINT64_MAX - last) return UINT64_MAX;  // --run-checkpoint-every near 2^64: never due
  const uint64_t due = last + every_;
  return due > event ? due - event : 1;
}

void RunForks::offer(uint64_t event, int64_t time_ns) {
  if (!enabled_) return;
  // At or behind the last checkpoint: the own run restarted from t = 0 (the
  // same run: the checkpoints stay good).
  if (!checkpoints_.empty() &&
      (event <= checkpoints_.back().event || event - checkpoints_.back().event < every_))
    return;
  take(event, time_ns);
}

void RunForks::take(uint64_t event, int64_t time_ns) {
  if (checkpoints_.size() >= limits_.checkpoints_max) thin();  // by count as by bytes
  if (checkpoints_.empty() && !baseline_known_) measure();  // the baseline, alone
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    fail();
    return;
  }
  const int parent = ::getpid();
  std::fflush(nullptr);  // nothing buffered is written twice
  const int pid = ::fork();
  if (pid == 0) {
    // Every other descriptor goes, the other checkpoints' sockets too:
    // their end-of-file is the owner's.
    const int fd = become_child(sv[1], parent);
    try {
      checkpoint_main(fd, ::getpid());
    } catch (...) {
    }
    ::_exit(1);
  }
  ::close(sv[1]);
  if (pid < 0) {
    ::close(sv[0]);
    fail();
    return;
  }
  checkpoints_.push_back({event, time_ns, pid, sv[0]});
  ++taken_since_measure_;
  measure_if_due();
}

void RunForks::measure_if_due() {
  const uint64_t each = checkpoints_.size() > taken_since_measure_
                            ? memory_bytes_ / (checkpoints_.size() - taken_since_measure_)
                            : 0;
  // Twice the last cost per checkpoint for each taken since: the newest cost more.
  const uint64_t estimate = memory_bytes_ + 2 * each * taken_since_measure_;
  if (taken_since_measure_ >= kMeasureEvery ||
      estimate >= limits_.memory_bytes_max - limits_.memory_bytes_max / 8 ||
      checkpoints_.size() <= 2) {
    measure();
  }
}

void RunForks::checkpoint_main(int fd, int self) {
  std::vector<uint8_t> f;
  for (;;) {
    if (!frames::receive(fd, f) || f.size() != 1 || f[0] != kOpenSession) ::_exit(0);
    const int worker = ::fork();
    if (worker == 0) {
      become_child(fd, self);
      const int me = ::getpid();
      std::vector<uint8_t> ready(1 + sizeof me, kReady);
      std::memcpy(ready.data() + 1, &me, sizeof me);
      // Serve returns at the session's end (an empty frame or end-of-file);
      // anything else ends it with a failure the checkpoint passes on.
      try {
        if (frames::send(fd, ready)) serve_(fd);
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    if (worker < 0) {
      if (!frames::send(fd, {kNoWorker})) ::_exit(0);
      continue;
    }
    int status = 0;
    int r = 0;
    while ((r = ::waitpid(worker, &status, 0)) < 0 && errno == EINTR) {
    }
    // A worker that did not end its session cleanly may have left half an
    // answer on the socket: closing it is the owner's end-of-file.
    if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ::_exit(1);
  }
}

std::optional<uint64_t> RunForks::latest_at_or_before(uint64_t event) const {
  std::optional<uint64_t> at;
  for (const Checkpoint& c : checkpoints_) {
    if (c.event > event) break;
    at = c.event;
  }
  return at;
}

std::optional<RunForks::Session> RunForks::open(uint64_t event) {
  ECSIM_ASSERT(session_ < 0);
  if (!enabled_) return std::nullopt;
  size_t best = checkpoints_.size();
  for (size_t i = 0; i < checkpoints_.size() && checkpoints_[i].event <= event; ++i) best = i;
  if (best == checkpoints_.size()) return std::nullopt;
  const Checkpoint& c = checkpoints_[best];
  std::vector<uint8_t> answer;
  if (!frames::send(c.fd, {kOpenSession}) || !frames::receive(c.fd, answer) || answer.empty() ||
      (answer[0] == kReady && answer.size() != 1 + sizeof(int)) ||
      (answer[0] != kReady && answer[0] != kNoWorker)) {
    fail();
    return std::nullopt;
  }
  if (answer[0] == kNoWorker) return std::nullopt;  // fork failed there: not now
  std::memcpy(&worker_, answer.data() + 1, sizeof worker_);
  session_ = static_cast<int>(best);
  // The owner keeps writing after its last checkpoint (the Timeline runs
  // ahead): measured again now and then as sessions open, the new one included.
  if (++opened_since_measure_ >= kMeasureEvery) measure();
  return Session{c.fd, c.event, c.time_ns};
}

void RunForks::close_session() {
  if (session_ < 0) return;
  const int fd = checkpoints_[static_cast<size_t>(session_)].fd;
  session_ = -1;
  worker_ = -1;
  if (!frames::send(fd, {})) fail();
}

void RunForks::fail() {
  failed_ = true;
  enabled_ = false;
  drop_all();
}

void RunForks::measure() {
  taken_since_measure_ = 0;
  opened_since_measure_ = 0;
  uint64_t rss = 0, pss = 0;
  if (!set_sizes("self", rss, pss)) {
    memory_bytes_ = 0;  // not measurable here: bounded by count only
    return;
  }
  // What the family holds beyond the owner alone: every process's
  // proportional share, less the owner's pages it would hold anyway.
  // Pages the owner shares with processes outside the family (libraries,
  // a display server's buffers) count fully in its Rss and partly in its
  // Pss: that difference, as it was before the first fork, is no checkpoint's.
  if (!baseline_known_) {
    baseline_ = rss - std::min(rss, pss);
    baseline_known_ = true;
  }
  uint64_t family = pss + baseline_;
  std::vector<int> pids = this->pids();
  if (worker_ > 0) pids.push_back(worker_);
  for (const int pid : pids) {
    uint64_t r = 0, p = 0;
    if (set_sizes(std::to_string(pid), r, p)) family += p;
  }
  memory_bytes_ = family > rss ? family - rss : 0;
  // Over the budget in a session: thinned at the next checkpoint taken (the
  // session's checkpoint is in use; none is taken while one is open).
  if (memory_bytes_ <= limits_.memory_bytes_max || session_ >= 0) return;
  if (checkpoints_.size() <= 1) {
    // One alone is over the budget: none is kept, and the owner
    // re-simulates from t = 0 as without checkpoints.
    drop_all();
    enabled_ = false;
    return;
  }
  thin();
  measure();
}

void RunForks::thin() {
  for (size_t i = checkpoints_.size() - 1; i >= 1; --i) {
    if (i % 2 == 1) drop(i);
  }
  every_ = doubled(every_);
  ++thinned_;
}

void RunForks::drop(size_t index) {
  ECSIM_ASSERT(index < checkpoints_.size() && static_cast<int>(index) != session_);
  const Checkpoint c = checkpoints_[index];
  ::close(c.fd);
  ::kill(c.pid, SIGKILL);
  reap(c.pid);
  checkpoints_.erase(checkpoints_.begin() + static_cast<std::ptrdiff_t>(index));
  if (session_ > static_cast<int>(index)) --session_;
}

void RunForks::drop_all() {
  session_ = -1;
  worker_ = -1;
  // All killed first, then reaped: each dies meanwhile.
  for (const Checkpoint& c : checkpoints_) {
    ::close(c.fd);
    ::kill(c.pid, SIGKILL);
  }
  for (const Checkpoint& c : checkpoints_) reap(c.pid);
  checkpoints_.clear();
}

}  // namespace ecsim::viz
