#include "viz_info.hpp"
namespace ecsim::viz {
bool available() { return false; }
}  // namespace ecsim::viz
