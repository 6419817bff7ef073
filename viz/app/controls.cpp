// The control bar (play, speed, steps, scrub) and the keyboard shortcuts
// (docs/viewer.md lists them). Playback reads wall time only to pace the
// cursor; the run itself never sees it.
#include <GLFW/glfw3.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "ecsim/sim/time.hpp"
#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr double kSpeedMin = 0.001, kSpeedMax = 1000;
constexpr uint64_t kRecordsPerFrameFlatOut = 20000;
// Wall time a frame may spend simulating, and per call (the events per call
// adapt to it): a large run (metro.yaml) advances over frames instead of
// freezing the window.
constexpr double kSimulateFrameMs = 20, kSimulateCallMs = 4;
constexpr uint64_t kFirstCallEvents = 512, kUnboundedCallEvents = 8192;
// Playback's wall step is capped: a slow frame must not make the next one
// simulate more (each would then be slower than the last).
constexpr double kPlayStepMaxS = 0.1;

double wall_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool budget_left(const Ui& ui) {
  return ui.sim_unbounded || (wall_s() - ui.sim_frame_start_s) * 1000 < kSimulateFrameMs;
}

// One call's worth of simulation, adapting the events per call to about
// kSimulateCallMs (by the ratio, at most 8x either way per call). Without a
// budget (--screenshot) the calls are of a fixed size, so that how far the
// run is simulated, which the frame shows ("step N / M+"), does not depend
// on the machine's speed.
void simulate_call(Ui& ui) {
  Timeline& t = *ui.timeline;
  if (ui.sim_unbounded) {
    t.simulate_events(kUnboundedCallEvents);
    return;
  }
  if (ui.sim_timeline != t.id()) {  // a new run: its cost per event may differ
    ui.sim_timeline = t.id();
    ui.sim_events_per_call = kFirstCallEvents;
  }
  const double start = wall_s();
  t.simulate_events(ui.sim_events_per_call);
  const double ms = std::max((wall_s() - start) * 1000, 0.01);
  const double scale = std::clamp(kSimulateCallMs / ms, 0.125, 8.0);
  ui.sim_events_per_call = std::clamp<uint64_t>(
      static_cast<uint64_t>(static_cast<double>(ui.sim_events_per_call) * scale), 64, 1 << 20);
}

// Carries out the move within the frame's budget.
MoveResult carry(Ui& ui, PendingMove& m) {
  return carry_out(
      *ui.timeline, m, [&ui] { return budget_left(ui); }, [&ui] { simulate_call(ui); });
}

void placed(Ui& ui) {
  Timeline& t = *ui.timeline;
  ui.pending = PendingMove{};
  ui.play_ns = static_cast<double>(t.cursor_ns());
  if (const uint64_t client = std::exchange(ui.follow_client, 0); client != 0 && t.cursor() > 0) {
    ui.follow_txn = t.record(t.cursor() - 1).a;  // the START found
    ui.status = fmt::format("following txn {} (client txn {}): step with its next step >",
                            ui.follow_txn, client);
  }
  if (std::exchange(ui.follow_after_move, false)) follow_sent(ui);
}

// A new move replaces the pending one and what was to follow it.
void forget_pending(Ui& ui) {
  ui.pending = PendingMove{};
  ui.follow_after_move = false;
  ui.follow_client = 0;
}

// Starts a move: done at once when the run is simulated far enough (no
// simulation: a zero budget), otherwise left pending for service_pending.
void start(Ui& ui, PendingMove m) {
  forget_pending(ui);
  ui.status.clear();
  const MoveResult r = carry_out(
      *ui.timeline, m, [] { return false; }, [] {});
  if (r == MoveResult::kPending) {
    ui.pending = std::move(m);
    ui.playing = false;
  } else if (r == MoveResult::kPlaced) {
    placed(ui);
  }
}

// Moves to the previous record the predicate accepts (always collected).
template <typename Pred>
void jump_back(Ui& ui, const char* what, Pred pred) {
  forget_pending(ui);
  const bool found = ui.timeline->seek_prev(pred);
  ui.status = found ? std::string() : fmt::format("no previous {}", what);
  ui.play_ns = static_cast<double>(ui.timeline->cursor_ns());
}

void jump(Ui& ui, bool forward, const char* what, std::function<bool(const sim::Record&)> pred) {
  if (forward) {
    move_next(ui, std::move(pred), what);
  } else {
    jump_back(ui, what, pred);
  }
}

void step_to(Ui& ui, int64_t delta) {
  Timeline& t = *ui.timeline;
  if (delta < 0) {
    forget_pending(ui);
    t.step(delta);
    ui.play_ns = static_cast<double>(t.cursor_ns());
  } else {
    move_to_index(ui, t.cursor() + static_cast<uint64_t>(delta));
  }
}

void message_jump(Ui& ui, bool forward) {
  if (ui.selected == UINT32_MAX) {
    ui.status = "select a node first (click it)";
    return;
  }
  const uint32_t node = ui.selected;
  jump(ui, forward, "message of the selected node", [node](const sim::Record& r) {
    return is_message(r) && (r.node == node || r.peer == node);
  });
}

std::string pending_text(const Ui& ui) {
  const PendingMove& m = ui.pending;
  const Timeline& t = *ui.timeline;
  const std::string at = format_ns(t.simulated_ns());
  switch (m.kind) {
    case PendingMove::Kind::kTime:
      return fmt::format("simulating to t = {}: at {} (Esc cancels)", format_ns(m.t_ns), at);
    case PendingMove::Kind::kIndex:
      return fmt::format("simulating to step {}: {} kept, at {} (Esc cancels)", m.target,
                         t.collected(), at);
    case PendingMove::Kind::kEvent:
      return fmt::format("simulating to run event #{}: at #{}, {} (Esc cancels)", m.target,
                         t.events_simulated(), at);
    case PendingMove::Kind::kEnd:
      return fmt::format("simulating to the end ({}): at {} (Esc cancels)", format_ns(t.end_ns()),
                         at);
    case PendingMove::Kind::kNext:
      return fmt::format("looking for the next {}: at {} (Esc cancels)", m.what, at);
    case PendingMove::Kind::kNone:
      break;
  }
  return {};
}
}  // namespace

std::string format_ns(int64_t ns) { return fmt::format("{:.6f}s", static_cast<double>(ns) / 1e9); }

void move_to_time(Ui& ui, int64_t t_ns) { start(ui, PendingMove::to_time(*ui.timeline, t_ns)); }
void move_to_index(Ui& ui, uint64_t index) {
  start(ui, PendingMove::to_index(*ui.timeline, index));
}
void move_to_event(Ui& ui, uint64_t event) {
  start(ui, PendingMove::to_event(*ui.timeline, event));
}
void move_to_end(Ui& ui) { start(ui, PendingMove::to_end(*ui.timeline)); }

namespace {
// A search: found among the collected records at once if it is there
// (without a budget "not found" would only mean "not yet"), otherwise over
// frames; playback stops only while it is pending.
void search(Ui& ui, PendingMove m, uint64_t follow_client) {
  forget_pending(ui);
  ui.status.clear();
  ui.pending = std::move(m);
  ui.follow_client = follow_client;
  service_pending(ui);
  if (ui.pending.active()) ui.playing = false;
}
}  // namespace

void move_next(Ui& ui, std::function<bool(const sim::Record&)> pred, std::string what,
               uint64_t follow_client) {
  search(ui, PendingMove::to_next(*ui.timeline, std::move(pred), std::move(what)), follow_client);
}

void move_first(Ui& ui, std::function<bool(const sim::Record&)> pred, std::string what) {
  search(ui, PendingMove::to_first(*ui.timeline, std::move(pred), std::move(what)), 0);
}

void move_prev(Ui& ui, std::function<bool(const sim::Record&)> pred, std::string what) {
  jump_back(ui, what.c_str(), pred);
}

void seek_to(Ui& ui, uint64_t index) {
  forget_pending(ui);
  ui.timeline->seek(index);
  ui.play_ns = static_cast<double>(ui.timeline->cursor_ns());
}

void service_pending(Ui& ui) {
  if (ui.sim_frame_start_s == 0) ui.sim_frame_start_s = wall_s();
  if (!ui.pending.active()) return;
  const std::string what = ui.pending.what;
  const bool from_start = ui.pending.kind == PendingMove::Kind::kNext && ui.pending.scanned == 0;
  switch (carry(ui, ui.pending)) {
    case MoveResult::kPending:
      break;
    case MoveResult::kPlaced:
      placed(ui);
      break;
    case MoveResult::kNotFound:
      ui.status = ui.follow_client != 0
                      ? fmt::format("client txn {} never reached a coordinator (see the log)",
                                    ui.follow_client)
                  : from_start ? fmt::format("no {} in this run", what)
                               : fmt::format("no next {}", what);
      forget_pending(ui);
      break;
    case MoveResult::kDropped:
      break;
  }
}

bool simulate_toward(Ui& ui, int64_t t_ns) {
  Timeline& t = *ui.timeline;
  while (t.simulated_ns() <= t_ns && !t.finished() && !t.truncated() && budget_left(ui))
    simulate_call(ui);
  return t.simulated_ns() > t_ns || t.finished() || t.truncated();
}

void advance_playback(Ui& ui, double wall_dt_s) {
  ui.sim_frame_start_s = wall_s();
  service_pending(ui);
  ui.behind = false;
  if (!ui.playing || ui.pending.active()) return;
  Timeline& t = *ui.timeline;
  if ((t.finished() || t.truncated()) && t.cursor() == t.collected()) {
    ui.playing = false;
    if (t.truncated())
      ui.status = "the end of what the viewer keeps (records_max): the run goes on past it";
    return;
  }
  if (ui.speed <= 0) {  // as fast as it goes
    const uint64_t want = t.cursor() + kRecordsPerFrameFlatOut;
    while (t.collected() < want && !t.finished() && !t.truncated() && budget_left(ui))
      simulate_call(ui);
    t.seek(std::min(want, t.collected()));
    ui.play_ns = static_cast<double>(t.cursor_ns());
    return;
  }
  const double step_s = std::min(wall_dt_s, kPlayStepMaxS);
  double target =
      std::max(ui.play_ns, static_cast<double>(t.cursor_ns())) + step_s * ui.speed * 1e9;
  target = std::min(target, static_cast<double>(t.end_ns()));
  if (!simulate_toward(ui, static_cast<int64_t>(target))) {
    // The simulation is slower than the speed asked: show what it has.
    target = std::min(target, static_cast<double>(t.simulated_ns()));
    ui.behind = true;
  }
  ui.play_ns = target;
  t.seek(t.collected_at_time(static_cast<int64_t>(target)));
}

void handle_keys(Ui& ui) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  const bool shift = io.KeyShift;
  const auto pressed = [](int key) { return ImGui::IsKeyPressed(key, true); };
  if (pressed(GLFW_KEY_SPACE)) ui.playing = !ui.playing;
  if (pressed(GLFW_KEY_RIGHT)) step_to(ui, shift ? 100 : 1);
  if (pressed(GLFW_KEY_LEFT)) step_to(ui, shift ? -100 : -1);
  if (pressed(GLFW_KEY_PAGE_DOWN)) step_to(ui, 10000);
  if (pressed(GLFW_KEY_PAGE_UP)) step_to(ui, -10000);
  if (pressed(GLFW_KEY_HOME)) step_to(ui, -static_cast<int64_t>(ui.timeline->cursor()));
  if (pressed(GLFW_KEY_END)) move_to_end(ui);
  if (pressed(GLFW_KEY_N)) message_jump(ui, !shift);
  if (pressed(GLFW_KEY_F)) jump(ui, !shift, "fault", is_fault);
  if (pressed(GLFW_KEY_X)) jump(ui, !shift, "failure", is_failure);
  if (pressed(GLFW_KEY_P)) jump(ui, !shift, "protocol phase", is_phase);
  if (pressed(GLFW_KEY_EQUAL) || pressed(GLFW_KEY_KP_ADD)) ui.speed = std::min(kSpeedMax, ui.speed * 2);
  if (pressed(GLFW_KEY_MINUS) || pressed(GLFW_KEY_KP_SUBTRACT)) ui.speed = std::max(kSpeedMin, ui.speed / 2);
  if (pressed(GLFW_KEY_ESCAPE)) {
    if (ui.pending.active()) {
      forget_pending(ui);
      ui.status =
          fmt::format("cancelled: the cursor stays at {}", format_ns(ui.timeline->cursor_ns()));
    } else {
      ui.selected = UINT32_MAX;
    }
  }
  if (ImGui::IsKeyPressed(GLFW_KEY_C, false)) toggle_selected(ui);  // no repeat: one action per press
  if (ImGui::IsKeyPressed(GLFW_KEY_M, false)) ui.speed = ui.speed <= 0 ? 1 : 0;
  if (ImGui::IsKeyPressed(GLFW_KEY_G, false)) ui.focus_goto = true;
}

void draw_controls(Ui& ui, ImVec2 pos, ImVec2 size) {
  Timeline& t = *ui.timeline;
  ImGui::SetNextWindowPos(pos);
  ImGui::SetNextWindowSize(size);
  ImGui::Begin("Controls", nullptr,
               ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                   ImGuiWindowFlags_NoTitleBar);
  if (ImGui::Button(ui.playing ? "Pause" : "Play ")) ui.playing = !ui.playing;
  ImGui::SameLine();
  if (ImGui::Button("|<")) step_to(ui, -static_cast<int64_t>(t.cursor()));
  ImGui::SameLine();
  if (ImGui::Button("<")) step_to(ui, -1);
  ImGui::SameLine();
  if (ImGui::Button(">")) step_to(ui, 1);
  ImGui::SameLine();
  if (ImGui::Button("<msg")) message_jump(ui, false);
  ImGui::SameLine();
  if (ImGui::Button("msg>")) message_jump(ui, true);
  ImGui::SameLine();
  if (ImGui::Button("<fault")) jump(ui, false, "fault", is_fault);
  ImGui::SameLine();
  if (ImGui::Button("fault>")) jump(ui, true, "fault", is_fault);
  ImGui::SameLine();
  if (ImGui::Button("<fail")) jump(ui, false, "failure", is_failure);
  ImGui::SameLine();
  if (ImGui::Button("fail>")) jump(ui, true, "failure", is_failure);
  ImGui::SameLine();
  if (ImGui::Button("<phase")) jump(ui, false, "protocol phase", is_phase);
  ImGui::SameLine();
  if (ImGui::Button("phase>")) jump(ui, true, "protocol phase", is_phase);
  ImGui::SameLine();
  bool flat_out = ui.speed <= 0;
  if (ImGui::Checkbox("max", &flat_out)) ui.speed = flat_out ? 0 : 1;
  if (!flat_out) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(150);
    float log_speed = static_cast<float>(std::log10(ui.speed));
    const std::string label = fmt::format("{:.3g} sim s/s", ui.speed);
    if (ImGui::SliderFloat("speed", &log_speed, -3.0f, 3.0f, label.c_str())) ui.speed = std::pow(10.0, log_speed);
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(120);
  if (ui.focus_goto) {
    ImGui::SetKeyboardFocusHere();
    ui.focus_goto = false;
  }
  if (ImGui::InputTextWithHint("##goto", "go to time (G)", ui.goto_text, sizeof ui.goto_text,
                               ImGuiInputTextFlags_EnterReturnsTrue)) {
    std::string why;
    const auto d = sim::parse_duration(ui.goto_text, &why);
    if (!d) {
      ui.status = fmt::format("go to '{}': {}, expected a time like 12.5s", ui.goto_text, why);
    } else if (d->ns < 0 || d->ns > t.end_ns()) {
      ui.status = fmt::format("go to '{}': outside the run (0s to {})", ui.goto_text,
                              format_ns(t.end_ns()));
    } else {
      move_to_time(ui, d->ns);
    }
  }
  // Always visible: the cursor's time, the run's event it stands after (the
  // number the Node and 2PC tabs and a demo action's after_event use), the
  // step among the records the viewer keeps, and the record in the trace.
  ImGui::Text("t = %s   run event #%llu   step %llu / %llu%s   record #%llu   %s",
              format_ns(t.cursor_ns()).c_str(), static_cast<unsigned long long>(t.cursor_event()),
              static_cast<unsigned long long>(t.cursor()),
              static_cast<unsigned long long>(t.collected()), t.finished() ? "" : "+",
              static_cast<unsigned long long>(t.cursor() > 0 ? t.trace_index(t.cursor() - 1) : 0),
              (ui.pending.active() ? pending_text(ui)
               : ui.behind         ? "playing slower than asked: the simulation is behind"
                                   : ui.status)
                  .c_str());
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  float scrub_s = static_cast<float>(static_cast<double>(t.cursor_ns()) / 1e9);
  const float end_s = static_cast<float>(static_cast<double>(t.end_ns()) / 1e9);
  if (ImGui::SliderFloat("##scrub", &scrub_s, 0.0f, end_s, "%.3f s")) {
    move_to_time(ui, static_cast<int64_t>(static_cast<double>(scrub_s) * 1e9));
  }
  ImGui::End();
}

}  // namespace ecsim::viz
