// The viewer library (ImGui, GLFW) arrives with the viewer issue; this
// target exists so the build layout is in place.
#pragma once
namespace ecsim::viz {
// False until the viewer is built in.
bool available();
}  // namespace ecsim::viz
