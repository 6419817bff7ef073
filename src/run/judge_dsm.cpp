// The DSM's verdicts: `exactly_once` (msgq's deliveries, from the trace) and
// `convergence` (the replicas' end state, once the run was quiet).
#include "run_impl.hpp"

#include "ecsim/tiers/dsm_groups.hpp"

namespace ecsim::run {

Verdict Run::Impl::exactly_once_verdict() {
  check::ExactlyOnceChecker& c = *exactly_once;
  c.finish(sim.now().ns, world->params().dsm_resend_interval_max().ns, sc.expect.quiescence.ns,
           service_waits(0));
  judged["exactly_once"] = c.delivered();  // messages sent but never delivered test nothing
  return {"exactly_once", c.violation_count() == 0, c.summary()};
}

Verdict Run::Impl::convergence_verdict() {
  const sim::Time now = sim.now();
  // Replicas agree within their DSM group only (tiers/dsm_groups.hpp).
  const std::vector<uint32_t> dsm_groups = tiers::dsm_groups(static_cast<uint32_t>(names.size()));
  const sim::Duration need = sc.expect.quiescence;
  const check::Quiescence& q = dsm_watcher->quiescence;
  auto secs = [](sim::Time t) { return fmt::format("{:.3f}s", static_cast<double>(t.ns) / 1e9); };
  if (!q.applies(now, need)) {
    std::string why;
    if (!q.healed()) {
      why = fmt::format("not quiescent: the network is not healed at the end at {} (a partition or link "
                        "fault in force), need a heal and {} of quiet before the end",
                        secs(now), sim::format_duration(need));
    } else if (dsm_watcher->last_activity >= q.quiet_since()) {
      // No client wrote and the network was whole for the quiescence
      // period, yet replicas kept replacing entries: anti-entropy that never
      // settles, and what it leaves at the end is the finding -- or UPDATEs
      // of the last writes still on their way (slow links, or waiting for a
      // resend), which the message then says.
      const uint64_t unacked = tiers::msgq_pending_to_up(*world, cluster);
      const std::string in_flight =
          fmt::format("{} msgq message{} (DSM updates, cache invalidations) to nodes up at the end still un-ACKed",
                      unacked, unacked == 1 ? "" : "s");
      const bool writes_over = now - dsm_watcher->last_set >= need && now - q.healed_at() >= need;
      if (writes_over) {
        ECSIM_ASSERT(end_state.dsm_seen());  // traced at the end when `convergence` is expected
        const check::ConvergenceReport rep = check::check_convergence(end_state.dsm(), names, dsm_groups);
        if (!rep.converged()) {
          judged["convergence"] = rep.keys_checked;
          const std::string settle =
              unacked == 0 ? "diverge and never settle"
                           : fmt::format("diverge with {}: they may settle in a longer run, or never", in_flight);
          return {"convergence", false,
                  fmt::format("{} of {} keys {}: no DSM write since {}, network healed at {}, yet replicas kept "
                              "replacing entries until {}; first: {}",
                              rep.divergent_keys, rep.keys_checked, settle, secs(dsm_watcher->last_set),
                              secs(q.healed_at()), secs(dsm_watcher->last_activity), rep.divergences.front().what)};
        }
      }
      if (writes_over && unacked > 0) {
        why = fmt::format("not quiescent: {} at {} (in flight or awaiting a resend), last DSM activity at {}, need {} "
                          "of quiet before the end",
                          in_flight, secs(now), secs(dsm_watcher->last_activity), sim::format_duration(need));
      } else {
        why = fmt::format("not quiescent: last DSM activity at {}, need {} of quiet before the end at {}",
                          secs(dsm_watcher->last_activity), sim::format_duration(need), secs(now));
      }
    } else {
      why = fmt::format("not quiescent: network healed at {}, need {} of quiet before the end at {}",
                        secs(q.quiet_since()), sim::format_duration(need), secs(now));
    }
    judged["convergence"] = 1;  // judged: the run did not leave it quiet enough
    return {"convergence", false, std::move(why)};
  }
  ECSIM_ASSERT(end_state.dsm_seen());  // traced at the end when `convergence` is expected
  const std::vector<check::ReplicaState>& replicas = end_state.dsm();
  const uint32_t down = end_state.dsm_down();
  const check::ConvergenceReport rep = check::check_convergence(replicas, names, dsm_groups);
  judged["convergence"] = rep.keys_checked;
  if (!rep.converged()) {
    // Quiet, yet UPDATEs still un-ACKed: they went out before the quiet
    // began and are still on their way (a link slower than the quiet, FIFO
    // behind them the resends) or waiting for a resend. The end state is not
    // yet what they will make it: the run was not quiescent.
    // Only those to nodes up at the end count: down replicas are skipped.
    if (const uint64_t unacked = tiers::msgq_pending_to_up(*world, cluster); unacked > 0) {
      return {"convergence", false,
              fmt::format("not quiescent: {} msgq message{} (DSM updates, cache invalidations) to nodes up at the "
                          "end still un-ACKed at {} (in flight or awaiting a resend), and {} of {} keys diverge: they "
                          "may settle in a longer run, or never; network healed at {}, last DSM activity at {}; "
                          "first: {}",
                          unacked, unacked == 1 ? "" : "s", secs(now), rep.divergent_keys, rep.keys_checked,
                          secs(q.healed_at()), secs(dsm_watcher->last_activity), rep.divergences.front().what)};
    }
  }
  const std::string skipped = down == 0 ? "" : fmt::format(", {} down node{} skipped", down, down == 1 ? "" : "s");
  const uint32_t groups = tiers::dsm_group_count(static_cast<uint32_t>(names.size()));
  if (rep.converged()) {
    return {"convergence", true,
            groups == 1 ? fmt::format("{} keys checked on {} replicas, all equal{}", rep.keys_checked,
                                      replicas.size(), skipped)
                        : fmt::format("{} keys checked on {} replicas in {} DSM groups, each group's replicas "
                                      "equal{}",
                                      rep.keys_checked, replicas.size(), groups, skipped)};
  }
  return {"convergence", false,
          fmt::format("{} of {} keys diverge{}; first: {}", rep.divergent_keys, rep.keys_checked, skipped,
                      rep.divergences.front().what)};
}

}  // namespace ecsim::run
