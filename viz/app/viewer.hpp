// The Dear ImGui viewer's entry point (`ecsim viz`). This header has no
// ImGui in it: the CLI includes it. docs/viewer.md describes the window.
#pragma once
#include <cstdint>
#include <string>

#include "model/session.hpp"

namespace ecsim::viz {

struct ViewerOptions {
  OpenRequest open;
  std::string at;          // "", a time ("12.5s") or "first-failure"
  std::string screenshot;  // write a PNG after `frames` frames and exit
  std::string select;      // a node name
  std::string tab;         // node, metrics, log, spacetime
  // A 2PC transaction to follow from the start: its id, or a name resolved
  // from the run (model/follow.hpp resolve_follow); "": none.
  std::string follow;
  int frames = 3;
  std::string layout_path;
  std::string mouse;  // "X,Y": the pointer held there (screenshots only)
  // Demo actions (docs/viewer.md): a JSON file of actions applied before
  // the window opens, and where to save the session as a scenario. With
  // --save-scenario and no --screenshot, no window: apply, save, print the
  // session's trace hash.
  std::string actions_path;
  std::string save_scenario;
  // --fps N: play from the cursor at 1 simulated s/s for N frames, each
  // asking 1/30 s of playback (so runs compare), without vsync, and print
  // the frame times split into playback (the model), drawing (ImGui's
  // frame) and rendering (OpenGL, finished); docs/benchmarks.md. A run
  // that simulates slower than that plays what each frame's simulation
  // budget reaches (controls.cpp): its playback time is then the budget.
  int fps_frames = 0;
};

// Exit codes as the CLI's: 0 ok, 2 bad input or no display.
inline constexpr int kViewerOk = 0;
inline constexpr int kViewerBadInput = 2;

// Opens the run, checks the options, then the window (or only the
// screenshot). Prints one line on stderr for any failure.
int run_viewer(const ViewerOptions& options);

// The tab names --tab accepts, for the CLI's help and errors.
const char* viewer_tabs();

}  // namespace ecsim::viz
