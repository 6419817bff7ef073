#include "child_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace ecsim::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  uint64_t tag = 0;
  int out_fd = -1;
  int err_fd = -1;
  std::string out;
  std::string err;
  Clock::time_point start;
  bool killed = false;
};

Child spawn(const std::string& exe, const ChildSpec& spec) {
  int out[2];
  int err[2];
  if (pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  std::vector<const char*> argv{exe.c_str()};
  for (const std::string& a : spec.args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    close(out[1]);
    close(err[1]);
    execv(exe.c_str(), const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  Child c;
  c.pid = pid;
  c.tag = spec.tag;
  c.out_fd = out[0];
  c.err_fd = err[0];
  c.start = Clock::now();
  return c;
}

// Reads what is available; closes the descriptor at end of file.
void drain(int& fd, std::string& into) {
  if (fd < 0) return;
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      close(fd);
      fd = -1;
    }
    return;
  }
}

}  // namespace

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) {
    throw std::runtime_error(fmt::format("cannot find this binary (/proc/self/exe): {}", std::strerror(errno)));
  }
  return std::string(buf, static_cast<size_t>(n));
}

void run_children(const std::string& exe, unsigned jobs, std::chrono::nanoseconds kill_after,
                  const std::function<std::optional<ChildSpec>()>& next,
                  const std::function<void(ChildExit&&)>& done, const std::function<void(size_t)>& tick) {
  if (jobs == 0) throw std::logic_error("run_children: jobs must be at least 1");
  std::vector<Child> running;
  bool more = true;
  while (more || !running.empty()) {
    while (more && running.size() < jobs) {
      std::optional<ChildSpec> spec = next();
      if (!spec) {
        more = false;
        break;
      }
      running.push_back(spawn(exe, *spec));
    }
    std::vector<pollfd> fds;
    for (const Child& c : running) {
      if (c.out_fd >= 0) fds.push_back({c.out_fd, POLLIN, 0});
      if (c.err_fd >= 0) fds.push_back({c.err_fd, POLLIN, 0});
    }
    if (!fds.empty()) poll(fds.data(), fds.size(), 100);
    for (size_t i = 0; i < running.size();) {
      Child& c = running[i];
      drain(c.out_fd, c.out);
      drain(c.err_fd, c.err);
      if (!c.killed && Clock::now() - c.start > kill_after) {
        kill(c.pid, SIGKILL);
        c.killed = true;
      }
      int status = 0;
      if ((c.out_fd >= 0 || c.err_fd >= 0) && !c.killed) {
        ++i;
        continue;
      }
      if (waitpid(c.pid, &status, c.killed ? 0 : WNOHANG) == 0) {
        ++i;
        continue;
      }
      if (c.out_fd >= 0) close(c.out_fd);
      if (c.err_fd >= 0) close(c.err_fd);
      ChildExit e{c.tag, status, c.killed, std::move(c.out), std::move(c.err),
                  std::chrono::duration<double>(Clock::now() - c.start).count()};
      running.erase(running.begin() + static_cast<long>(i));
      done(std::move(e));
    }
    tick(running.size());
  }
}

RunOutcome judge_run(const ChildExit& c) {
  RunOutcome r;
  r.wall_s = c.wall_s;
  const nlohmann::json j = nlohmann::json::parse(c.out, nullptr, false);
  const bool exited = WIFEXITED(c.status);
  const int code = exited ? WEXITSTATUS(c.status) : -1;
  if (exited && (code == 0 || code == 1) && j.is_object() && j.contains("trace_hash")) {
    r.trace_hash = j["trace_hash"].get<std::string>();
    r.events = j.value("events", uint64_t{0});
    r.verdict = code == 0 ? "pass" : "fail";
    // The first failed expectation explains the verdict, except that a run
    // stopped by its wall timeout is a timeout whatever else failed in it.
    bool broken = false;  // some failed expectation had something to judge
    for (const auto& e : j.value("expectations", nlohmann::json::array())) {
      if (e.value("vacuous", false)) r.vacuous.push_back(e.value("name", ""));
      if (e.value("ok", true) && !e.value("informational", false)) r.judged.push_back(e.value("name", ""));
      if (e.value("ok", true) || e.value("informational", false)) continue;
      if (!e.value("vacuous", false)) broken = true;
      if (r.failed_invariant.empty()) r.failed_invariant = e.value("name", "");
      const bool timed_out = e.value("name", "") == "wall_timeout";
      if (!r.detail.empty() && !timed_out) continue;
      if (timed_out) r.verdict = "timeout";
      r.detail = e.value("name", "") + ": " + e.value("detail", "");
    }
    if (r.detail.empty() && j.value("event_limit_hit", false)) r.detail = "stopped by --max-events";
    r.only_vacuous = r.verdict == "fail" && !broken && !j.value("event_limit_hit", false);
    if (const auto p = j.find("points"); p != j.end() && p->is_object()) {
      r.has_points = true;
      for (const proto::PointInfo& info : proto::points()) {
        r.points[static_cast<size_t>(info.point)] = p->value(std::string(info.name), uint64_t{0});
      }
      // Without the list (it came later), every point counts as in scope.
      const auto scope = j.find("points_in_scope");
      for (const proto::PointInfo& info : proto::points()) {
        r.points_in_scope[static_cast<size_t>(info.point)] =
            scope == j.end() ||
            (scope->is_array() && std::find(scope->begin(), scope->end(), std::string(info.name)) != scope->end());
      }
    }
    r.json = j;
    return r;
  }
  if (c.killed) {
    r.verdict = "timeout";
    r.detail = "killed after the timeout";
    return r;
  }
  r.verdict = "crash";
  std::string last = c.err;
  while (!last.empty() && last.back() == '\n') last.pop_back();
  if (const size_t nl = last.rfind('\n'); nl != std::string::npos) last = last.substr(nl + 1);
  r.detail = exited ? fmt::format("exit code {}: {}", code, last)
                    : fmt::format("signal {} ({}): {}", WTERMSIG(c.status), strsignal(WTERMSIG(c.status)), last);
  return r;
}

}  // namespace ecsim::cli
