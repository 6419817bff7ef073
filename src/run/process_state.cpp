#include "ecsim/run/process_state.hpp"

#include <utility>

#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/limits.hpp"

namespace ecsim::run {

struct ParkedRun::State {
  proto::Plant plant = proto::Plant::kNone;
  proto::ParkedPoints points;
  sim::ParkedLimits limits;
  sim::AssertContext assert_context;
};

ParkedRun::ParkedRun() : state_(std::make_unique<State>()) {}
ParkedRun::~ParkedRun() = default;
ParkedRun::ParkedRun(ParkedRun&&) noexcept = default;
ParkedRun& ParkedRun::operator=(ParkedRun&&) noexcept = default;

ParkedRun ParkedRun::park() {
  ParkedRun p;
  p.state_->plant = std::exchange(proto::detail::g_active_plant, proto::Plant::kNone);
  p.state_->points = proto::park_points();
  p.state_->limits = sim::park_limits();
  p.state_->assert_context = std::exchange(sim::assert_context(), sim::AssertContext{});
  return p;
}

void ParkedRun::unpark() {
  ECSIM_ASSERT(state_ != nullptr);
  ECSIM_ASSERT(proto::detail::g_active_plant == proto::Plant::kNone);
  proto::detail::g_active_plant = state_->plant;
  proto::unpark_points(std::move(state_->points));
  sim::unpark_limits(std::move(state_->limits));
  sim::assert_context() = state_->assert_context;
  state_ = std::make_unique<State>();  // what it held is installed now
}

}  // namespace ecsim::run
