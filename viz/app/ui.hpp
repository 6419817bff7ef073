// The viewer's UI state and its panels. Each frame the app lets the
// controls move the cursor, then each panel reads the Timeline and draws
// (STYLE.md: prepare from the model, then draw). Only viz/app includes ImGui.
#pragma once
#include <imgui.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/follow.hpp"
#include "model/layout.hpp"
#include "model/mover.hpp"
#include "model/probe.hpp"
#include "model/records.hpp"
#include "model/timeline.hpp"

namespace ecsim::viz {

enum class SideTab { kNode, kMetrics, kFaults, kDsm, kTwopc };
enum class BottomTab { kLog, kSpaceTime };

class Demo;

struct Ui {
  Timeline* timeline = nullptr;
  Demo* demo = nullptr;  // null for a trace file: no demo actions
  std::string label;
  Layout layout;
  bool custom_layout = false;  // a --layout file gave the centres (screen pixels)
  uint32_t selected = UINT32_MAX;
  // Tabs to open at the next frame (--tab, and when a panel asks).
  bool force_side = false, force_bottom = false;
  SideTab side = SideTab::kNode;
  BottomTab bottom = BottomTab::kLog;
  // Playback: simulated seconds per wall second; 0 = as fast as it goes.
  bool playing = false;
  double speed = 1.0;
  double play_ns = 0;  // the playback clock (between records)
  bool behind = false;      // playback waits for the simulation (shown beside the speed)
  char goto_text[32] = "";  // the "go to time" field (key G focuses it)
  bool focus_goto = false;
  PendingMove pending;
  bool follow_after_move = false;  // a billing action waits for its placement to be followed
  uint64_t follow_client =
      0;  // the pending move looks for this client txn's START, then follows it
  // Simulation on the drawing thread: the events per call, adapted to about
  // kSimulateCallMs each, and the wall time this frame may still spend
  // (unbounded for --screenshot, which waits for the cursor's place).
  uint64_t sim_events_per_call = 2048;
  uint64_t sim_timeline = 0;  // the Timeline the events per call were adapted to
  double sim_frame_start_s = 0;
  bool sim_unbounded = false;
  // Log filters.
  std::array<bool, kSeverities> show_severity{false, true, true, true, true};
  int log_tier = -1;  // -1 all tiers
  bool log_selected_only = false;
  char log_text[64] = "";
  // Space-time diagram: the time window's width and where the cursor sits in it.
  double st_span_ns = 50e6;
  double st_pan_ns = 0;
  std::array<bool, kTiers> st_tiers{true, true, true};
  std::string status;  // the last control message ("no next fault")
  // The Faults tab's choices.
  int demo_node = 0;
  int link_a = 0, link_b = 1;
  int drop_tiers[2] = {0, 1};
  int drop_percent = 50;
  std::vector<bool> partition;  // by node
  char save_path[256] = "session.yaml";
  // The 2PC tab's transaction (0: none): the log shows only its records.
  // kFollowLatest (--tab twopc): the latest one at the cursor, once drawn.
  static constexpr uint64_t kFollowLatest = UINT64_MAX;
  uint64_t follow_txn = 0;
  // Its records, messages, locks and WAL entries (model/follow.hpp),
  // brought up to date at the start of each frame.
  TxnFollow follow;
  // The DSM tab's choices: the node(s), the key and the values.
  int dsm_node = 0, dsm_node_b = 1;
  int dsm_key = 5000;  // above the requests workload's default DSM keys (0..1023)
  int dsm_value = 100, dsm_value_b = 200;
  // The 2PC tab's transaction to execute: op (0 debit, 1 transfer, 2 top-up),
  // subscribers, amount (minor units) and the edge node taking it.
  int bill_op = 1;
  int bill_from = 1, bill_to = 2;
  int bill_amount = 500;
  int bill_edge = 0;
  // "Make it vote NO": the participant (-1: pick the second cloud node) and
  // how many of its next transactions.
  int vote_no_node = -1;
  int vote_no_count = 1;
  // The nodes' internals at the cursor (model/probe.hpp): built for the
  // current timeline when the Node tab first shows a selected node, and
  // advanced there by at most probe_budget events per frame (adapted to
  // about kProbeFrameMs of wall time; unbounded for --screenshot).
  std::unique_ptr<Probe> probe;
  uint64_t probe_budget = 20000;
  bool probe_unbounded = false;
  int probe_frame = -1;  // the ImGui frame that last moved the probe
  // The last ImGui frame in which a tab asked for snapshots at the cursor
  // (the Node tab, the 2PC tab's locks): a hover then leaves the probe
  // there (probe_held).
  int probe_held_frame = -1;
  // --mouse X,Y (screenshots): the pointer held there on every frame, so a
  // headless frame can show a hover's tooltip.
  std::optional<ImVec2> fixed_mouse;
};

// Colours of the reference design.
ImU32 tier_colour(Tier t, float alpha = 1.0f);
ImU32 severity_colour(Severity s);

void draw_controls(Ui& ui, ImVec2 pos, ImVec2 size);
void handle_keys(Ui& ui);
void advance_playback(Ui& ui, double wall_dt_s);
// Cursor moves that may need more of the run (controls.cpp): done at once
// when the run has been simulated far enough, otherwise left pending and
// carried out by service_pending within each frame's simulation budget.
void move_to_time(Ui& ui, int64_t t_ns);
void move_to_index(Ui& ui, uint64_t index);
void move_to_event(Ui& ui, uint64_t event);  // just past the run's event
void move_to_end(Ui& ui);
// `follow_client`: when placed, follow the 2PC transaction of that client
// txn (its START is what `pred` looks for).
void move_next(Ui& ui, std::function<bool(const sim::Record&)> pred, std::string what,
               uint64_t follow_client = 0);
// Just past the previous record before the cursor that `pred` accepts
// (always simulated); cancels a pending move. Says so when there is none.
void move_prev(Ui& ui, std::function<bool(const sim::Record&)> pred, std::string what);
// Just past the run's first record `pred` accepts (--at first-failure).
void move_first(Ui& ui, std::function<bool(const sim::Record&)> pred, std::string what);
// The cursor just past kept record `index` - 1 (a click in the log, the
// space-time diagram, a list): cancels a pending move. REQUIRES: index <= collected().
void seek_to(Ui& ui, uint64_t index);
// Starts the frame's simulation budget, then advances a pending move.
void service_pending(Ui& ui);
// Simulates within what is left of the frame's budget until the run's
// clock passes `t_ns` (or it ends); true when it has.
bool simulate_toward(Ui& ui, int64_t t_ns);
void draw_topology(Ui& ui, ImVec2 pos, ImVec2 size);
void draw_side(Ui& ui, ImVec2 pos, ImVec2 size);    // node state, metrics
void draw_bottom(Ui& ui, ImVec2 pos, ImVec2 size);  // log, space-time
void draw_log(Ui& ui);
void draw_space_time(Ui& ui);
void draw_faults(Ui& ui);  // demo_panel.cpp
void draw_twopc(Ui& ui);  // twopc_panel.cpp
void draw_dsm(Ui& ui);    // dsm_panel.cpp
// The selected node's DSM entries, WAL tails and vector clock at the
// cursor, from the probe (node_panel.cpp); advances it within its budget.
void draw_internals(Ui& ui, uint32_t node);
// The probe of the current timeline, created if needed (node_panel.cpp).
Probe& probe_of(Ui& ui);
// Moves the probe towards `event` within the frame's budget (all the way
// when probe_unbounded), adapting the budget to the time it took, at most
// once a frame; the Node and 2PC tabs and the space-time diagram's hover
// call it (node_panel.cpp).
void drive_probe(Ui& ui, Probe& p, uint64_t event);
// Whether a tab asked for the cursor's snapshots in this frame or the last
// (the tabs and the diagram are drawn in either order): moving the probe
// past the cursor would then make it restart from t = 0 on the next step.
bool probe_held(const Ui& ui);
// "{edge-1: 3, core-2: 7}", at most 16 entries.
std::string clock_text(const net::VectorClock& c, const std::vector<std::string>& names);
// Shared by the demo tabs (demo_panel.cpp): after an action the timeline was
// rebuilt and the cursor sits past it; a node chooser.
void after_action(Ui& ui, const std::string& problem, const std::string& what);
bool node_combo(const char* label, const Timeline& t, int& node);
// The recorded actions and "Save as scenario" (demo_panel.cpp).
void draw_actions_list(Ui& ui);
// Whether the log shows the record at `index` while a transaction is
// followed (all when none): its 2PC records, messages, locks and WAL entries.
bool follows(const Ui& ui, uint64_t index);
// The highlight of a followed transaction's messages, arrows and log lines.
inline const ImU32 kFollowedColour = IM_COL32(255, 110, 230, 255);  // magenta: apart from every tier and severity
// While a cursor move is pending, the demo tabs take no action (the
// cursor is not where the action would apply): says so, returns true.
bool actions_wait(const Ui& ui);
// Follows the transaction the latest billing action sent (twopc_panel.cpp).
void follow_sent(Ui& ui);
// Crashes the selected node, or restarts it when it is down (key C).
void toggle_selected(Ui& ui);

// "12.345678s"
std::string format_ns(int64_t ns);

}  // namespace ecsim::viz
