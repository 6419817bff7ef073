#include "model/demo.hpp"

#include "ecsim/proto/plant.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/rng.hpp"
#include "model/json_file.hpp"

namespace ecsim::viz {

namespace {
std::string json_str(const std::string& s) { return nlohmann::json(s).dump(); }
}  // namespace

Demo::Demo(const OpenRequest& request) : Demo(request, open_session(request)) {}

Demo::Demo(const OpenRequest& request, Session s) : request_(request) {
  ECSIM_ASSERT(s.timeline != nullptr);
  const scenario::Scenario& sc = s.timeline->scenario();
  options_ = s.timeline->options();
  base_text_ = sc.text;
  file_ = sc.file;
  seed_ = s.timeline->seed();
  label_ = s.label;
  // A --seed beside the scenario (or a trace header's) goes into the text,
  // so that the saved scenario replays it.
  const bool seed_given = request.seed.has_value() || !request.trace_path.empty();
  text_ = seed_given ? scenario::append_entries(base_text_, {}, seed_) : base_text_;
  timeline_ = std::move(s.timeline);
}

std::string Demo::rebuild(std::vector<RecordedAction> actions, uint64_t cursor_event) {
  std::vector<scenario::Entry> entries;
  for (const RecordedAction& a : actions) entries.push_back(a.entry);
  std::string text;
  scenario::Scenario sc;
  try {
    // The actions may leave the scenario's recovers_within nothing to
    // judge (a cut to the end), or need one (a timed crash on a scenario
    // that had no fault): it is fitted as the swarm's seeds are, 5 s.
    text = scenario::fit_recovers_within(scenario::append_entries(base_text_, entries, seed_), file_,
                                         sim::seconds(5));
    sc = scenario::load_scenario_text(text, file_);
  } catch (const scenario::LoadError& e) {
    // The text is the scenario with the actions appended: an error's line
    // and column are in that text, so its label says so.
    std::string why = e.what();
    if (why.rfind(file_ + ":", 0) == 0) why.insert(file_.size(), " + actions");
    return why;
  }
  // The old run's records up to the end of the cursor's event are the new
  // run's (the actions apply after it): the new Timeline checks them
  // instead of keeping them again, and keeps the old checkpoints.
  TimelinePrefix prefix = timeline_->release_prefix(cursor_event);
  // One run at a time in a process (its protocol points and limits are
  // process-wide): the old run goes first. The loader validated `sc`.
  timeline_.reset();
  timeline_ = std::make_unique<Timeline>(std::move(sc), options_, request_.limits, std::move(prefix));
  // Just past the event the last action followed, and the action's records.
  if (defer_placement_) {
    placement_ = cursor_event;
  } else {
    timeline_->seek(timeline_->count_through_event(cursor_event));
  }
  text_ = std::move(text);
  actions_ = std::move(actions);
  return {};
}

std::string Demo::fault(const std::string& body) { return faults({body}); }

std::string Demo::faults(const std::vector<std::string>& bodies) {
  ECSIM_ASSERT(!bodies.empty());
  Timeline& t = *timeline_;
  const uint64_t cursor = t.cursor();
  const uint64_t event = cursor == 0 ? 0 : t.event_of(cursor - 1);
  const int64_t at_ns = cursor == 0 ? 0 : t.record(cursor - 1).time_ns;
  // An action before one already taken would change the run before that
  // one's event, so its `after_event` would name another point of the run
  // (the session, and its saved scenario, then failed the after_event
  // verdict: an adversarial pass).
  if (!actions_.empty() && event < actions_.back().after_event) {
    const RecordedAction& last = actions_.back();
    return fmt::format("an action at {} (after event {}) is before the last one taken ({}, after event {}), "
                       "which it would move to another point of the run; expected the cursor at or after it",
                       sim::format_time(sim::Time{at_ns}), event, sim::format_time(sim::Time{last.at_ns}),
                       last.after_event);
  }
  std::vector<RecordedAction> next = actions_;
  for (const std::string& body : bodies) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    std::string inner = body;
    if (!j.is_discarded() && j.is_object()) inner = j.dump();  // JSON is YAML flow
    ECSIM_ASSERT(!inner.empty());
    if (inner.front() == '{') inner = inner.substr(1, inner.size() - 2);
    RecordedAction a;
    a.at_ns = at_ns;
    a.after_event = event;
    // The shortest exact form ("9.5s", "13.199953126s"): parse_duration reads it back to the nanosecond.
    a.entry = {"faults",
               fmt::format("{{at: {}, after_event: {}, {}}}", sim::format_time(sim::Time{at_ns}), event, inner)};
    a.label = fmt::format("{} #{} {}", sim::format_time(sim::Time{at_ns}), event, inner);
    next.push_back(std::move(a));
  }
  return rebuild(std::move(next), event);
}

std::string Demo::dsm_set(const std::string& node, uint64_t key, uint64_t value) {
  return fault(fmt::format("{{dsm_set: {{node: {}, key: {}, value: {}}}}}", json_str(node), key, value));
}

std::string Demo::dsm_get(const std::string& node, uint64_t key) {
  return fault(fmt::format("{{dsm_get: {{node: {}, key: {}}}}}", json_str(node), key));
}

std::string Demo::dsm_concurrent(const std::string& a, const std::string& b, uint64_t key, uint64_t value_a,
                                 uint64_t value_b) {
  if (a == b) return "concurrent writes need two different nodes";
  return faults({fmt::format("{{dsm_set: {{node: {}, key: {}, value: {}}}}}", json_str(a), key, value_a),
                 fmt::format("{{dsm_set: {{node: {}, key: {}, value: {}}}}}", json_str(b), key, value_b)});
}

std::string Demo::billing(const std::string& op, uint64_t from, uint64_t to, int64_t amount, const std::string& edge) {
  if (op == "debit") {
    return fault(fmt::format("{{billing: {{op: debit, from: {}, amount: {}, edge: {}}}}}", from, amount, json_str(edge)));
  }
  if (op == "transfer") {
    return fault(fmt::format("{{billing: {{op: transfer, from: {}, to: {}, amount: {}, edge: {}}}}}", from, to, amount,
                             json_str(edge)));
  }
  if (op == "top_up") {
    return fault(fmt::format("{{billing: {{op: top_up, to: {}, amount: {}, edge: {}}}}}", to, amount, json_str(edge)));
  }
  return fmt::format("billing op '{}', expected debit, transfer or top_up", op);
}

std::string Demo::twopc_vote_no(const std::string& node, uint64_t count) {
  return fault(fmt::format("{{twopc_vote_no: {{node: {}, count: {}}}}}", json_str(node), count));
}

std::optional<std::string> Demo::random_node(bool up) {
  const Timeline& t = *timeline_;
  std::vector<uint32_t> candidates;
  for (uint32_t n = 0; n < t.names().size(); ++n) {
    if (t.state().nodes[n].up == up) candidates.push_back(n);
  }
  if (candidates.empty()) return std::nullopt;
  sim::Rng rng = sim::Rng::stream(seed_, fmt::format("viz/random-node/{}", random_draws_));
  return t.names()[candidates[rng.below(candidates.size())]];
}

std::string Demo::crash(std::string node) {
  if (node == "random") {
    const auto n = random_node(true);
    if (!n) return "no node is up";
    ++random_draws_;
    node = *n;
  }
  return fault(fmt::format("{{crash: {}}}", json_str(node)));
}

std::string Demo::restart(std::string node) {
  if (node == "random") {
    const auto n = random_node(false);
    if (!n) return "no node is down";
    ++random_draws_;
    node = *n;
  }
  return fault(fmt::format("{{restart: {}}}", json_str(node)));
}

std::string Demo::cut_link(const std::string& a, const std::string& b) {
  return fault(fmt::format("{{drop: {{between: [{}, {}], rate: 1}}}}", json_str(a), json_str(b)));
}

std::string Demo::partition(const std::vector<std::string>& group) {
  if (group.empty()) return "a partition needs at least one node in its group";
  nlohmann::json g = nlohmann::json::array();
  for (const std::string& n : group) g.push_back(n);
  return fault(fmt::format("{{partition: [{}, \"*\"]}}", g.dump()));
}

std::string Demo::drop_rate(const std::string& from, const std::string& to, uint32_t percent) {
  if (percent > 100) return fmt::format("drop rate {}%, expected 0..100%", percent);
  return fault(fmt::format("{{drop: {{between: [{}, {}], rate: \"{}%\"}}}}", json_str(from), json_str(to), percent));
}

std::string Demo::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  out << text_;
  out.close();
  if (!out) return fmt::format("{}: cannot write", path);
  return {};
}

std::string Demo::replay_flags() const {
  std::string flags;
  if (options_.until) flags += fmt::format(" --until {}", sim::format_duration(*options_.until));
  if (options_.plant != proto::Plant::kNone) flags += fmt::format(" --plant {}", proto::plant_info(options_.plant).name);
  if (options_.max_events != 0) flags += fmt::format(" --max-events {}", options_.max_events);
  // The bound the scenario itself gives (or the default) needs no flag.
  const scenario::Scenario& sc = timeline_->scenario();
  const uint64_t own_memory_max = sc.memory_max.value_or(sim::kMemoryMaxDefault);
  if (options_.memory_max && *options_.memory_max != own_memory_max) {
    flags += fmt::format(" --memory-max {}", *options_.memory_max);
  }
  return flags.empty() ? flags : flags.substr(1);
}

std::string Demo::apply_file(const std::string& path) {
  nlohmann::json j;
  KeyPlaces places;
  try {
    // An action is a fault entry: a few levels (a link's latency model is
    // the deepest: five, the array included).
    j = read_json_file(path, 8, &places);
  } catch (const JsonFileError& e) {
    return e.what();
  }
  if (!j.is_array()) return fmt::format("{}: expected a JSON array of actions", path);
  // Each action re-simulates the run from t = 0 to it (docs/viewer.md): a
  // file of thousands ran for many minutes without a word.
  if (j.size() > kFileActionsMax) {
    return fmt::format("{}: {} actions, expected at most {} (each one re-simulates the run up to it)", path,
                       j.size(), kFileActionsMax);
  }
  int64_t previous_ns = 0;
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& a = j[i];
    // At the action's first key (FILE:LINE:COLUMN), when it has one.
    const auto first = places.lower_bound(fmt::format("{}/", i));
    const bool placed = first != places.end() && first->first.rfind(fmt::format("{}/", i), 0) == 0;
    const std::string where = fmt::format("{}{}: action {}", path, placed ? ":" + first->second : "", i + 1);
    if (!a.is_object() || !a.contains("at") || !a["at"].is_string()) {
      return fmt::format("{}: expected an object with \"at\" (a time like \"10s\") and one fault action", where);
    }
    std::string why;
    const auto at = sim::parse_duration(a["at"].get<std::string>(), &why);
    if (!at) return fmt::format("{}: \"at\": {}", where, why);
    if (at->ns > timeline_->end_ns()) {
      return fmt::format(
          "{}: \"at\": {} is after the run's end ({}), expected a time within the run", where,
          sim::format_duration(*at), sim::format_duration(sim::Duration{timeline_->end_ns()}));
    }
    if (i > 0 && at->ns < previous_ns) {
      return fmt::format("{}: \"at\": {} is before action {}'s {}, expected the actions in time order (an earlier "
                         "one would move the later one to another point of the run)",
                         where, sim::format_duration(*at), i, sim::format_duration(sim::Duration{previous_ns}));
    }
    previous_ns = at->ns;
    timeline_->seek_time(at->ns);
    nlohmann::json body = a;
    body.erase("at");
    std::string problem;
    if (body.size() == 1 && body.contains("crash") && body["crash"] == "random") {
      problem = crash("random");
    } else if (body.size() == 1 && body.contains("restart") && body["restart"] == "random") {
      problem = restart("random");
    } else {
      problem = fault(body.dump());
    }
    if (!problem.empty()) {
      // The loader's place is in the scenario with the actions appended
      // ("x.yaml + actions:10:40: "), a text no file holds: `where` names
      // the action instead.
      if (const std::string label = file_ + " + actions:"; problem.rfind(label, 0) == 0) {
        const size_t line_end = problem.find(':', label.size());
        const size_t column_end = line_end == std::string::npos ? line_end : problem.find(": ", line_end + 1);
        if (column_end != std::string::npos) problem.erase(0, column_end + 2);
      }
      return fmt::format("{}: {}", where, problem);
    }
  }
  return {};
}

}  // namespace ecsim::viz
