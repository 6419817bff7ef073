// The 2PC tab: execute a billing transaction at an edge node (a `billing`
// action, model/demo.hpp), or one the replicas must refuse (a debit beyond
// any balance: every cloud replica votes NO and the transaction rolls
// back), make one participant vote NO on its next transaction(s) (a
// `twopc_vote_no` action: the others roll back), then follow one transaction end to end through the 2PC trace
// records (coordinator, votes, participants, locks, WAL, outcome;
// proto/twopc). The transaction followed is the one just executed, or the
// one of the latest 2PC record at the cursor; its records are listed and
// the log shows only them while following.
#include <fmt/format.h>

#include <optional>
#include <vector>

#include "ecsim/proto/twopc.hpp"
#include "ecsim/scenario/validate.hpp"
#include "model/demo.hpp"
#include "model/lock_table.hpp"
#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr uint64_t kTxnScanMax = 200'000;  // records scanned either side of the cursor
constexpr size_t kListedMax = 40;
constexpr int kActionRecord = 89, kActionBillingSent = 6;
bool is_twopc(const sim::Record& r) {
  const auto t = static_cast<int>(r.type);
  return t >= 70 && t <= 79;
}
}  // namespace

bool follows(const Ui& ui, uint64_t index) {
  if (!ui.follow.active()) return true;
  return ui.follow.record(index);
}

// After a billing action: the client txn it sent (the action's record just
// before the cursor), then the cursor moves to its START on a coordinator
// (a search, over frames if needed: controls.cpp) and the tab follows it.
void follow_sent(Ui& ui) {
  Timeline& t = *ui.timeline;
  uint64_t client = 0;
  for (uint64_t i = t.cursor(); i-- > 0;) {
    const sim::Record& r = t.record(i);
    if (static_cast<int>(r.type) == kActionRecord && r.code == kActionBillingSent) {
      client = r.a;
      break;
    }
    if (t.cursor() - i > kTxnScanMax) break;
  }
  if (client == 0) return;
  const auto start = [client](const sim::Record& r) {
    return r.type == proto::twopc::kRecordCoordinator &&
           r.code == static_cast<uint16_t>(proto::twopc::CoordinatorEvent::kStartLogged) && r.b == client;
  };
  // Over frames if the run has not got there yet; placed() then follows it.
  move_next(ui, start, fmt::format("START of client txn {}", client), client);
}

namespace {
// After a billing action the rebuilt run may still be reaching the action
// (a pending move): the transaction is followed once it is there.
void follow_sent_when_placed(Ui& ui) {
  if (ui.pending.active()) {
    ui.follow_after_move = true;
  } else {
    follow_sent(ui);
  }
}
}  // namespace

namespace {
const char* const kOps[] = {"debit", "transfer", "top_up"};

// The 2PC transaction of the latest billing action before the cursor, if
// it reached a coordinator (its START carries the client txn).
std::optional<uint64_t> latest_action_txn(Timeline& t) {
  const uint64_t from = t.cursor() > kTxnScanMax ? t.cursor() - kTxnScanMax : 0;
  for (uint64_t i = t.cursor(); i-- > from;) {
    const sim::Record& r = t.record(i);
    if (static_cast<int>(r.type) != kActionRecord || r.code != kActionBillingSent) continue;
    const uint64_t hi = std::min<uint64_t>(t.collected(), i + kTxnScanMax);
    for (uint64_t k = i; k < hi; ++k) {
      const sim::Record& s = t.record(k);
      if (s.type == proto::twopc::kRecordCoordinator &&
          s.code == static_cast<uint16_t>(proto::twopc::CoordinatorEvent::kStartLogged) && s.b == r.a) {
        return s.a;
      }
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// "Make a participant vote NO": a `twopc_vote_no` action at the chosen
// edge or cloud node; its next transaction(s) roll back everywhere.
void draw_vote_no(Ui& ui) {
  const Timeline& t = *ui.timeline;
  if (ui.vote_no_node < 0) {  // the first time: the second cloud replica (or the first)
    for (size_t n = 0; n < t.names().size(); ++n) {
      if (t.tiers()[n] != Tier::kCloud) continue;
      ui.vote_no_node = static_cast<int>(n);
      if (n + 1 < t.names().size() && t.tiers()[n + 1] == Tier::kCloud) ui.vote_no_node = static_cast<int>(n + 1);
      break;
    }
  }
  ImGui::SetNextItemWidth(100);
  node_combo("##voteno", t, ui.vote_no_node);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(50);
  ImGui::InputInt("txns##vn", &ui.vote_no_count, 0, 0);
  ui.vote_no_count = std::max(ui.vote_no_count, 1);
  ImGui::SameLine();
  const std::string node = t.names()[static_cast<size_t>(ui.vote_no_node)];
  if (ImGui::Button("Make it vote NO")) {
    const std::string why = ui.demo->twopc_vote_no(node, static_cast<uint64_t>(ui.vote_no_count));
    after_action(ui, why, fmt::format("{} votes NO on its next {} transaction(s); execute one", node,
                                      ui.vote_no_count));
  }
}

// The followed transaction's locks after the cursor's event at each node
// where it took or waited for one, from the probe's snapshots (the probe is
// created if needed and moved towards the cursor within the frame budget).
void draw_txn_locks(Ui& ui, uint64_t txn) {
  const Timeline& t = *ui.timeline;
  const std::vector<uint32_t> nodes = lock_nodes(t, ui.follow);
  if (nodes.empty()) return;
  Probe& p = probe_of(ui);
  const uint64_t event = t.cursor_event();
  ui.probe_held_frame = ImGui::GetFrameCount();
  ImGui::Text("Its locks after the run's event #%llu:", static_cast<unsigned long long>(event));
  const ImVec4 followed = ImGui::ColorConvertU32ToFloat4(kFollowedColour);
  bool driven = false;
  for (const uint32_t n : nodes) {
    const char* name = t.names()[n].c_str();
    const tiers::NodeSnapshot* s = p.snapshot(n, event);
    if (s == nullptr && !driven) {
      drive_probe(ui, p, event);
      driven = true;
      s = p.snapshot(n, event);
    }
    if (s == nullptr) {
      ImGui::TextColored(ImVec4(1, 0.8f, 0.3f, 1), "  %s: computing up to the cursor... %d %%",
                         name, static_cast<int>(p.progress() * 100));
    } else if (!s->up) {
      ImGui::TextDisabled("  %s: down (its lock table is volatile: gone)", name);
    } else if (!s->participant) {
      ImGui::TextDisabled("  %s: no 2PC participant", name);
    } else {
      ImGui::TextColored(followed, "  %s: %s", name, txn_locks_text(txn_locks_at(*s, txn)).c_str());
    }
  }
}

void draw_execute(Ui& ui) {
  Demo& d = *ui.demo;
  ImGui::SetNextItemWidth(90);
  ImGui::Combo("##op", &ui.bill_op, kOps, 3);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(70);
  ImGui::InputInt("from", &ui.bill_from, 0, 0);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(70);
  ImGui::InputInt("to", &ui.bill_to, 0, 0);
  ImGui::SetNextItemWidth(90);
  ImGui::InputInt("amount", &ui.bill_amount, 0, 0);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(100);
  node_combo("##edge", *ui.timeline, ui.bill_edge);
  const std::string edge = ui.timeline->names()[static_cast<size_t>(ui.bill_edge)];
  ui.bill_from = std::max(ui.bill_from, 1);
  ui.bill_to = std::max(ui.bill_to, 1);
  ui.bill_amount = std::max(ui.bill_amount, 1);
  const auto from = static_cast<uint64_t>(ui.bill_from), to = static_cast<uint64_t>(ui.bill_to);
  if (ImGui::Button("Execute transaction")) {
    const std::string why = d.billing(kOps[ui.bill_op], from, to, ui.bill_amount, edge);
    after_action(ui, why, fmt::format("{} at {}", kOps[ui.bill_op], edge));
    if (why.empty()) follow_sent_when_placed(ui);
  }
  ImGui::SameLine();
  if (ImGui::Button("Vote NO: debit beyond the balance")) {
    const std::string why = d.billing("debit", from, 0, scenario::kBillingBalanceMax, edge);
    after_action(ui, why, fmt::format("debit beyond the balance of {} at {}", from, edge));
    if (why.empty()) follow_sent_when_placed(ui);
  }
  draw_vote_no(ui);
  ImGui::Separator();
}
}  // namespace

void draw_twopc(Ui& ui) {
  if (ui.demo != nullptr && !actions_wait(ui)) draw_execute(ui);
  Timeline& t = *ui.timeline;
  const uint64_t latest = latest_txn(t, kTxnScanMax);
  // --tab twopc: the latest transaction a billing action sent, else the latest at the cursor.
  if (ui.follow_txn == Ui::kFollowLatest) ui.follow_txn = latest_action_txn(t).value_or(latest);
  if (latest == 0 && ui.follow_txn == 0) {
    ImGui::TextWrapped("No 2PC record before the cursor (a scenario with a billing workload writes them; "
                       "P steps to the next protocol phase).");
    return;
  }
  ImGui::Text("Latest transaction at the cursor: %llu", static_cast<unsigned long long>(latest));
  if (ImGui::Button("Follow it")) ui.follow_txn = latest;
  ImGui::SameLine();
  if (ImGui::Button("Stop following")) ui.follow_txn = 0;
  if (ui.follow_txn == 0) return;
  const uint64_t txn = ui.follow_txn;
  const auto pred = [txn](const sim::Record& r) { return is_twopc(r) && r.a == txn; };
  ui.follow.update(t, txn);
  ImGui::TextWrapped("Following txn %llu: the log shows only its records; highlighted: %zu messages (topology, "
                     "space-time), %zu lock records, %zu WAL entries",
                     static_cast<unsigned long long>(txn), ui.follow.message_count(), ui.follow.lock_count(),
                     ui.follow.wal_count());
  // Messages are read from their bodies as they were sent, WAL records
  // from the log entries as they were appended (exact); what the viewer did
  // not read, by node and event.
  if (ui.follow.inferred_count() == 0 && ui.follow.inferred_wal_count() == 0) {
    ImGui::TextDisabled("its messages and WAL records: each read from the run (exact)");
  } else {
    ImGui::TextColored(ImVec4(1, 0.8f, 0.3f, 1),
                       "%zu of its messages and %zu of its WAL records by node and event (not read: may be "
                       "another transaction's too)",
                       ui.follow.inferred_count(), ui.follow.inferred_wal_count());
  }
  if (ImGui::Button("< its previous step")) {
    move_prev(ui, pred, "step of this transaction");
  }
  ImGui::SameLine();
  if (ImGui::Button("its next step >")) move_next(ui, pred, "step of this transaction");
  ImGui::SameLine();
  if (ImGui::Button("next phase (any) >")) move_next(ui, is_phase, "protocol phase");
  std::vector<uint64_t> steps;
  const uint64_t lo = t.cursor() > kTxnScanMax ? t.cursor() - kTxnScanMax : 0;
  const uint64_t hi = std::min<uint64_t>(t.collected(), t.cursor() + kTxnScanMax);
  for (uint64_t i = lo; i < hi && steps.size() < kListedMax; ++i) {
    if (pred(t.record(i))) steps.push_back(i);
  }
  draw_txn_locks(ui, txn);
  // Lines longer than the panel: a horizontal scrollbar, and the whole line
  // under the pointer.
  ImGui::BeginChild("txn", ImVec2(0, 0), true, ImGuiWindowFlags_HorizontalScrollbar);
  for (uint64_t i : steps) {
    const sim::Record& r = t.record(i);
    const std::string line = fmt::format("{} {}{}", format_ns(r.time_ns), describe(r, t.names()),
                                         i + 1 == t.cursor() ? "  <- cursor" : "");
    ImGui::PushStyleColor(ImGuiCol_Text, severity_colour(severity(r)));
    if (ImGui::Selectable(line.c_str(), i + 1 == t.cursor())) seek_to(ui, i + 1);
    ImGui::PopStyleColor();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", line.c_str());
  }
  ImGui::EndChild();
}

}  // namespace ecsim::viz
