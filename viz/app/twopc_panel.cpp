// The 2PC tab, read-only for now: follow one transaction end to end through
// the 2PC trace records (coordinator, votes, participants, locks, WAL,
// outcome; proto/twopc). The transaction followed is the one of the latest
// 2PC record at the cursor unless one is typed; its records are listed and
// the log shows only them while following. Taking actions (execute a
// transaction, a participant voting no) needs one-shot billing entries in
// the scenario language, which do not exist yet (docs/viewer.md).
#include <vector>

#include <fmt/format.h>

#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr uint64_t kScanMax = 200'000;  // records scanned either side of the cursor
constexpr size_t kListedMax = 40;
bool is_twopc(const sim::Record& r) {
  const auto t = static_cast<int>(r.type);
  return t >= 70 && t <= 79;
}
}  // namespace

bool follows(const Ui& ui, const sim::Record& r) {
  if (ui.follow_txn == 0 || ui.follow_txn == Ui::kFollowLatest) return true;
  return is_twopc(r) && r.a == ui.follow_txn;
}

void draw_twopc(Ui& ui) {
  Timeline& t = *ui.timeline;
  uint64_t latest = 0;
  const uint64_t from = t.cursor() > kScanMax ? t.cursor() - kScanMax : 0;
  for (uint64_t i = t.cursor(); i-- > from;) {
    if (is_twopc(t.record(i))) {
      latest = t.record(i).a;
      break;
    }
  }
  if (ui.follow_txn == Ui::kFollowLatest) ui.follow_txn = latest;  // --tab twopc
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
  ImGui::Text("Following txn %llu: the log shows only its records", static_cast<unsigned long long>(txn));
  if (ImGui::Button("< its previous step")) ui.status = t.seek_prev(pred) ? "" : "no earlier step of this transaction";
  ImGui::SameLine();
  if (ImGui::Button("its next step >")) ui.status = t.seek_next(pred) ? "" : "no later step of this transaction";
  ImGui::SameLine();
  if (ImGui::Button("next phase (any) >")) ui.status = t.seek_next(is_phase) ? "" : "no next protocol phase";
  ui.play_ns = static_cast<double>(t.cursor_ns());
  std::vector<uint64_t> steps;
  const uint64_t lo = t.cursor() > kScanMax ? t.cursor() - kScanMax : 0;
  const uint64_t hi = std::min<uint64_t>(t.collected(), t.cursor() + kScanMax);
  for (uint64_t i = lo; i < hi && steps.size() < kListedMax; ++i) {
    if (pred(t.record(i))) steps.push_back(i);
  }
  ImGui::BeginChild("txn", ImVec2(0, 0), true);
  for (uint64_t i : steps) {
    const sim::Record& r = t.record(i);
    const std::string line = fmt::format("{} {}{}", format_ns(r.time_ns), describe(r, t.names()),
                                         i + 1 == t.cursor() ? "  <- cursor" : "");
    ImGui::PushStyleColor(ImGuiCol_Text, severity_colour(severity(r)));
    if (ImGui::Selectable(line.c_str(), i + 1 == t.cursor())) t.seek(i + 1);
    ImGui::PopStyleColor();
  }
  ImGui::EndChild();
}

}  // namespace ecsim::viz
