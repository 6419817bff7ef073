// `ecsim viz`: opens the run, places the cursor (--at), then either runs the
// window until it is closed or renders --frames frames and writes the last
// one as a PNG (--screenshot). GLFW + OpenGL 3.3 core + Dear ImGui 1.86.
#include "viewer.hpp"

#include <GLFW/glfw3.h>
#include <fmt/format.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/shell_word.hpp"
#include "ecsim/sim/time.hpp"
#include "model/demo.hpp"
#include "model/follow.hpp"
#include "ui.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO_FAILURE_STRINGS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace ecsim::viz {

namespace {
constexpr int kWidth = 1280, kHeight = 800;

// One line on stderr and the bad-input exit code.
int refuse(const std::string& why) {
  // Escaped: a NUL (from a JSON "\u0000") ended the line where it stood.
  std::fprintf(stderr, "ecsim viz: %s\n", scenario::escaped(why).c_str());
  return kViewerBadInput;
}

// --at: a time ("12.5s") or first-failure. Returns "" or the refusal.
// With `window` (an interactive window), a place the run has not reached
// yet is reached over frames (controls.cpp) instead of before the window
// opens.
std::string place_cursor(Ui& ui, const std::string& at, std::string& note, bool window) {
  Timeline& t = *ui.timeline;
  if (at.empty()) return {};
  if (at == "first-failure") {
    if (window) {  // from the start, like find_first: the cursor may be past actions
      move_first(ui, is_failure, "failure");
      return {};
    }
    const auto i = t.find_first(is_failure);
    if (!i) {
      note = "no failure in this run: the cursor stays at the start";
      return {};
    }
    t.seek(*i + 1);
    return {};
  }
  std::string why;
  const auto d = sim::parse_duration(at, &why);
  if (!d)
    return fmt::format("--at {}: {}, expected a time like 12.5s or first-failure",
                       scenario::quoted(at), why);
  if (d->ns < 0 || d->ns > t.end_ns()) {
    return fmt::format("--at {}: outside the run (0s to {})", scenario::quoted(at),
                       sim::format_duration(sim::Duration{t.end_ns()}));
  }
  if (window) {
    move_to_time(ui, d->ns);
  } else {
    t.seek_time(d->ns);
  }
  return {};
}

// "X,Y", whole pixels inside the frame; nullopt otherwise.
std::optional<ImVec2> parse_point(const std::string& text) {
  const size_t comma = text.find(',');
  if (comma == std::string::npos) return std::nullopt;
  const auto whole = [](std::string_view v, int below) -> std::optional<int> {
    int n = -1;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 0 || n >= below) return std::nullopt;
    return n;
  };
  const std::string_view all(text);
  const std::optional<int> x = whole(all.substr(0, comma), kWidth);
  const std::optional<int> y = whole(all.substr(comma + 1), kHeight);
  if (!x || !y) return std::nullopt;
  return ImVec2(static_cast<float>(*x), static_cast<float>(*y));
}

// --mouse: "" or the refusal (before anything is opened or saved).
std::string check_mouse(const ViewerOptions& o) {
  if (o.mouse.empty()) return {};
  if (o.screenshot.empty())
    return "--mouse: only with --screenshot (a window has the real pointer)";
  if (!parse_point(o.mouse)) {
    return fmt::format("--mouse {:?}: expected X,Y in pixels inside the {}x{} frame, like 640,600",
                       o.mouse, kWidth, kHeight);
  }
  return {};
}

// The UI state from the options. Returns "" or the refusal.
std::string configure(Ui& ui, const ViewerOptions& o) {
  Timeline& t = *ui.timeline;
  // The DSM tab opens on a key the session's actions used (the largest).
  if (!t.dsm_watched().empty())
    ui.dsm_key = static_cast<int>(std::min<uint64_t>(t.dsm_watched().back(), INT32_MAX));
  if (!o.select.empty()) {
    for (uint32_t n = 0; n < t.names().size(); ++n) {
      if (t.names()[n] == o.select) ui.selected = n;
    }
    if (ui.selected == UINT32_MAX) {
      return fmt::format("--select {}: no such node in this run", scenario::quoted(o.select));
    }
  }
  // --tab NAME[,NAME]: a side tab and a bottom tab, like twopc,spacetime.
  std::string side, bottom;  // the names given, to refuse a second of a kind
  for (size_t from = 0; !o.tab.empty() && from <= o.tab.size();) {
    const size_t comma = std::min(o.tab.find(',', from), o.tab.size());
    const std::string tab = o.tab.substr(from, comma - from);
    from = comma + 1;
    static constexpr std::string_view kTabs[] = {"node",  "metrics", "faults",   "dsm",
                                                 "twopc", "log",     "spacetime"};
    if (std::find(std::begin(kTabs), std::end(kTabs), tab) == std::end(kTabs)) {
      return fmt::format("--tab {}: expected one of {}", scenario::quoted(tab), viewer_tabs());
    }
    std::string& kind = tab == "log" || tab == "spacetime" ? bottom : side;
    if (!kind.empty()) {
      return fmt::format(
          "--tab {}: {} and {} are both {} tabs, expected at most one side and one bottom tab",
          scenario::quoted(o.tab), kind, tab, &kind == &bottom ? "bottom" : "side");
    }
    kind = tab;
    if (tab == "node") ui.side = SideTab::kNode;
    else if (tab == "metrics") ui.side = SideTab::kMetrics;
    else if (tab == "faults") ui.side = SideTab::kFaults;
    else if (tab == "dsm") ui.side = SideTab::kDsm;
    else if (tab == "twopc") ui.side = SideTab::kTwopc, ui.follow_txn = Ui::kFollowLatest;
    else if (tab == "log") ui.bottom = BottomTab::kLog;
    else if (tab == "spacetime") ui.bottom = BottomTab::kSpaceTime;
    else
      return fmt::format("--tab {}: expected one of {}", scenario::quoted(tab), viewer_tabs());
    ui.force_side = ui.force_bottom = true;
  }
  if (!o.follow.empty()) {
    std::string why;
    const std::optional<FollowTarget> f = resolve_follow(t, o.follow, why);
    if (!f) return why;
    ui.follow_txn = f->txn;
    // Without --at, the cursor goes just past its first record.
    if (o.at.empty()) t.seek(f->first_record + 1);
  }
  if (!o.mouse.empty()) ui.fixed_mouse = parse_point(o.mouse);  // checked by check_mouse
  if (!o.layout_path.empty()) {
    try {
      ui.layout = default_layout(t.tiers(), {30, 120, 700, 400});
      apply_layout_file(ui.layout, o.layout_path, t.names());
      ui.custom_layout = true;
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  return {};
}

void draw_frame(Ui& ui, int width, int height) {
  const float w = static_cast<float>(width), h = static_cast<float>(height);
  const float top = 62, split_x = std::max(400.0f, w * 0.6f), split_y = std::max(300.0f, h * 0.62f);
  handle_keys(ui);
  ui.follow.update(*ui.timeline, ui.follow_txn == Ui::kFollowLatest ? 0 : ui.follow_txn);
  draw_controls(ui, {0, 0}, {w, top});
  draw_topology(ui, {0, top}, {split_x, split_y - top});
  draw_side(ui, {split_x, top}, {w - split_x, split_y - top});
  draw_bottom(ui, {0, split_y}, {w, h - split_y});
}

bool write_png(const std::string& path, int width, int height) {
  std::vector<unsigned char> rgb(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
  // OpenGL's rows go bottom-up; PNG's top-down.
  const int stride = width * 3;
  std::vector<unsigned char> flipped(rgb.size());
  for (int y = 0; y < height; ++y) {
    std::copy_n(&rgb[static_cast<size_t>((height - 1 - y) * stride)], stride, &flipped[static_cast<size_t>(y * stride)]);
  }
  // Encoded in memory, then written and closed with each step checked:
  // stb's own file writer ignores fwrite and fclose failures, so a full disk
  // (or /dev/full) left no image and a success.
  std::vector<unsigned char> png;
  const auto append = [](void* to, void* data, int size) {
    auto* out = static_cast<std::vector<unsigned char>*>(to);
    const auto* bytes = static_cast<const unsigned char*>(data);
    out->insert(out->end(), bytes, bytes + size);
  };
  if (stbi_write_png_to_func(append, &png, width, height, 3, flipped.data(), stride) == 0) return false;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool written = std::fwrite(png.data(), 1, png.size(), f) == png.size();
  return (std::fclose(f) == 0) && written;
}

// --fps: each frame's wall time, split into playback, drawing and rendering.
struct FrameTimes {
  using Clock = std::chrono::steady_clock;
  std::vector<double> total_ms, play_ms, draw_ms, render_ms;
  void add(Clock::time_point start, Clock::time_point played, Clock::time_point drawn, Clock::time_point rendered) {
    const auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    total_ms.push_back(ms(rendered - start));
    play_ms.push_back(ms(played - start));
    draw_ms.push_back(ms(drawn - played));
    render_ms.push_back(ms(rendered - drawn));
  }
  static double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
  }
  static double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  }
  void print(const Ui& ui) const {
    const double m = mean(total_ms);
    std::printf("frames %zu (playing 1/30 s per frame, up to t=%s): %.1f frames/s\n", total_ms.size(),
                format_ns(ui.timeline->cursor_ns()).c_str(), m > 0 ? 1000.0 / m : 0.0);
    std::printf("frame ms: mean %.2f p50 %.2f p90 %.2f p99 %.2f max %.2f\n", m, quantile(total_ms, 0.5),
                quantile(total_ms, 0.9), quantile(total_ms, 0.99), quantile(total_ms, 1.0));
    std::printf("  playback (model) %.2f, drawing (ImGui frame) %.2f, rendering (OpenGL, finished) %.2f ms mean\n",
                mean(play_ms), mean(draw_ms), mean(render_ms));
  }
};

// GLFW on the display, opened before the run is (a large run takes long
// to open: a missing display is refused at once) and closed last.
class Display {
 public:
  Display() = default;
  Display(const Display&) = delete;
  Display& operator=(const Display&) = delete;
  ~Display() {
    if (open_) glfwTerminate();
  }
  // Returns "" or the refusal.
  std::string open() {
    if (std::getenv("DISPLAY") == nullptr && std::getenv("WAYLAND_DISPLAY") == nullptr) {
      return "no display (DISPLAY is not set); run it under a desktop or xvfb-run -a";
    }
    if (!glfwInit()) return "cannot open the display (GLFW could not start); try xvfb-run -a";
    open_ = true;
    return {};
  }

 private:
  bool open_ = false;
};

// REQUIRES: a Display is open.
int window_loop(Ui& ui, const ViewerOptions& o) {
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_RESIZABLE, o.screenshot.empty() ? GLFW_TRUE : GLFW_FALSE);
  const std::string title = fmt::format("ecsim viz: {}", ui.label);
  GLFWwindow* window = glfwCreateWindow(kWidth, kHeight, title.c_str(), nullptr, nullptr);
  if (window == nullptr) return refuse("cannot open a window with OpenGL 3.3 on this display");
  glfwMakeContextCurrent(window);
  glfwSwapInterval(o.screenshot.empty() ? 1 : 0);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // no imgui.ini left behind
  ImGui::StyleColorsDark();
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");
  int code = kViewerOk;
  auto last = std::chrono::steady_clock::now();
  FrameTimes times;
  if (o.fps_frames > 0) {
    glfwSwapInterval(0);
    ui.playing = true;
  }
  for (int frame = 1; !glfwWindowShouldClose(window); ++frame) {
    glfwPollEvents();
    const auto now = std::chrono::steady_clock::now();
    advance_playback(ui, o.fps_frames > 0 ? 1.0 / 30 : std::chrono::duration<double>(now - last).count());
    last = now;
    const auto played = std::chrono::steady_clock::now();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    if (ui.fixed_mouse) ImGui::GetIO().MousePos = *ui.fixed_mouse;  // after the backend set it
    ImGui::NewFrame();
    int fw = 0, fh = 0;
    glfwGetFramebufferSize(window, &fw, &fh);
    draw_frame(ui, fw, fh);
    ImGui::Render();
    const auto drawn = std::chrono::steady_clock::now();
    glViewport(0, 0, fw, fh);
    glClearColor(0.09f, 0.10f, 0.12f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (o.fps_frames > 0) {
      glfwSwapBuffers(window);
      glFinish();
      const auto rendered = std::chrono::steady_clock::now();
      times.add(now, played, drawn, rendered);
      if (frame >= o.fps_frames) {
        times.print(ui);
        break;
      }
      continue;
    }
    if (!o.screenshot.empty() && frame >= o.frames) {
      // Read the back buffer before the swap (STYLE.md, ImGui notes).
      if (!write_png(o.screenshot, fw, fh)) code = refuse(fmt::format("{}: cannot write the PNG", o.screenshot));
      break;
    }
    glfwSwapBuffers(window);
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  return code;
}
// --save-scenario without a window: the session's scenario and its hash.
int save_headless(Demo& demo, const std::string& path) {
  if (const std::string why = demo.save(path); !why.empty()) return refuse(why);
  Timeline& t = demo.timeline();
  t.simulate_all();
  if (t.truncated()) return refuse("the run has more records than the viewer keeps");
  std::printf("saved %s: %zu actions\nsession trace hash: 0x%016llx\n", path.c_str(), demo.actions().size(),
              static_cast<unsigned long long>(t.result().trace_hash));
  if (const std::string flags = demo.replay_flags(); !flags.empty()) {
    std::printf("replay with: ecsim run %s %s\n", sim::shell_word(sim::path_arg(path)).c_str(), flags.c_str());
  }
  return kViewerOk;
}
}  // namespace

const char* viewer_tabs() { return "node, metrics, faults, dsm, twopc, log, spacetime"; }

int run_viewer(const ViewerOptions& o) {
  if (o.frames < 2) return refuse("--frames: at least 2 (the first frame lays the windows out)");
  if (const std::string why = check_mouse(o); !why.empty()) return refuse(why);
  // A window is needed unless the session is only saved (--save-scenario
  // without --screenshot).
  Display display;
  if (o.save_scenario.empty() || !o.screenshot.empty()) {
    if (const std::string why = display.open(); !why.empty()) return refuse(why);
  }
  Session session;
  std::unique_ptr<Demo> demo;
  Ui ui;
  try {
    session = open_session(o.open);
  } catch (const OpenError& e) {
    return refuse(e.what());
  }
  // A trace file must reproduce: the viewer shows this build's run.
  if (const std::string why = verify_trace(session); !why.empty()) {
    return refuse(fmt::format("{}: {}", o.open.trace_path, why));
  }
  // Actions on either: a trace file's header scenario and seed are the base.
  demo = std::make_unique<Demo>(o.open, std::move(session));
  ui.label = demo->label();
  if (!o.actions_path.empty()) {
    if (const std::string why = demo->apply_file(o.actions_path); !why.empty()) return refuse(why);
  }
  ui.demo = demo.get();
  ui.timeline = &demo->timeline();
  std::string note;
  // Every option is checked before anything is saved or drawn: a headless
  // save must not accept a node, tab or time the window would refuse.
  const bool interactive = o.screenshot.empty() && o.save_scenario.empty() && o.fps_frames == 0;
  if (std::string why = place_cursor(ui, o.at, note, interactive); !why.empty()) return refuse(why);
  if (!note.empty()) std::fprintf(stderr, "ecsim viz: %s\n", note.c_str());
  if (std::string why = configure(ui, o); !why.empty()) return refuse(why);
  if (!o.save_scenario.empty()) {
    if (const int code = save_headless(*demo, o.save_scenario);
        code != kViewerOk || o.screenshot.empty())
      return code;
  }
  if (!ui.pending.active()) ui.play_ns = static_cast<double>(ui.timeline->cursor_ns());
  // A screenshot shows the internals at the cursor, however long the probe
  // takes, and waits for whatever the frame simulates; the window itself
  // simulates within a budget per frame, and its actions reach their place
  // over frames (controls.cpp).
  ui.probe_unbounded = !o.screenshot.empty();
  ui.sim_unbounded = !o.screenshot.empty();
  demo->defer_placement(o.screenshot.empty());
  return window_loop(ui, o);
}

}  // namespace ecsim::viz
