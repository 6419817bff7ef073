// The control bar (play, speed, steps, scrub) and the keyboard shortcuts
// (docs/viewer.md lists them). Playback reads wall time only to pace the
// cursor; the run itself never sees it.
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr double kSpeedMin = 0.001, kSpeedMax = 1000;
constexpr uint64_t kRecordsPerFrameFlatOut = 20000;

bool of_selected(const Ui& ui, const sim::Record& r) {
  return is_message(r) && (r.node == ui.selected || r.peer == ui.selected);
}

// Moves to the next (forward) or previous record the predicate accepts.
template <typename Pred>
void jump(Ui& ui, bool forward, const char* what, Pred pred) {
  Timeline& t = *ui.timeline;
  const bool found = forward ? t.seek_next(pred) : t.seek_prev(pred);
  ui.status = found ? std::string() : fmt::format("no {} {}", forward ? "next" : "previous", what);
  ui.play_ns = static_cast<double>(t.cursor_ns());
}

void step_to(Ui& ui, int64_t delta) {
  ui.timeline->step(delta);
  ui.play_ns = static_cast<double>(ui.timeline->cursor_ns());
}

void message_jump(Ui& ui, bool forward) {
  if (ui.selected == UINT32_MAX) {
    ui.status = "select a node first (click it)";
    return;
  }
  jump(ui, forward, "message of the selected node", [&ui](const sim::Record& r) { return of_selected(ui, r); });
}
}  // namespace

std::string format_ns(int64_t ns) { return fmt::format("{:.6f}s", static_cast<double>(ns) / 1e9); }

void advance_playback(Ui& ui, double wall_dt_s) {
  if (!ui.playing) return;
  Timeline& t = *ui.timeline;
  if (t.finished() && t.cursor() == t.collected()) {
    ui.playing = false;
    return;
  }
  if (ui.speed <= 0) {  // as fast as it goes
    t.step(static_cast<int64_t>(kRecordsPerFrameFlatOut));
    ui.play_ns = static_cast<double>(t.cursor_ns());
    return;
  }
  ui.play_ns = std::max(ui.play_ns, static_cast<double>(t.cursor_ns())) + wall_dt_s * ui.speed * 1e9;
  ui.play_ns = std::min(ui.play_ns, static_cast<double>(t.end_ns()));
  t.seek_time(static_cast<int64_t>(ui.play_ns));
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
  if (pressed(GLFW_KEY_END)) {
    ui.timeline->simulate_all();
    step_to(ui, static_cast<int64_t>(ui.timeline->collected()));
  }
  if (pressed(GLFW_KEY_N)) message_jump(ui, !shift);
  if (pressed(GLFW_KEY_F)) jump(ui, !shift, "fault", is_fault);
  if (pressed(GLFW_KEY_X)) jump(ui, !shift, "failure", is_failure);
  if (pressed(GLFW_KEY_P)) jump(ui, !shift, "protocol phase", is_phase);
  if (pressed(GLFW_KEY_EQUAL) || pressed(GLFW_KEY_KP_ADD)) ui.speed = std::min(kSpeedMax, ui.speed * 2);
  if (pressed(GLFW_KEY_MINUS) || pressed(GLFW_KEY_KP_SUBTRACT)) ui.speed = std::max(kSpeedMin, ui.speed / 2);
  if (pressed(GLFW_KEY_ESCAPE)) ui.selected = UINT32_MAX;
  if (ImGui::IsKeyPressed(GLFW_KEY_C, false)) toggle_selected(ui);  // no repeat: one action per press
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
  // Always visible: the cursor's time, the run's event it stands after (the
  // number the Node and 2PC tabs and a demo action's after_event use), the
  // step among the records the viewer keeps, and the record in the trace.
  ImGui::Text("t = %s   run event #%llu   step %llu / %llu%s   record #%llu   %s",
              format_ns(t.cursor_ns()).c_str(), static_cast<unsigned long long>(t.cursor_event()),
              static_cast<unsigned long long>(t.cursor()),
              static_cast<unsigned long long>(t.collected()), t.finished() ? "" : "+",
              static_cast<unsigned long long>(t.cursor() > 0 ? t.trace_index(t.cursor() - 1) : 0),
              ui.status.c_str());
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  float scrub_s = static_cast<float>(static_cast<double>(t.cursor_ns()) / 1e9);
  const float end_s = static_cast<float>(static_cast<double>(t.end_ns()) / 1e9);
  if (ImGui::SliderFloat("##scrub", &scrub_s, 0.0f, end_s, "%.3f s")) {
    t.seek_time(static_cast<int64_t>(static_cast<double>(scrub_s) * 1e9));
    ui.play_ns = static_cast<double>(t.cursor_ns());
  }
  ImGui::End();
}

}  // namespace ecsim::viz
