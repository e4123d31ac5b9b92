#include "report/rlhf_report.hpp"

#include <cmath>
#include <sstream>

#include "core/diagnostics.hpp"
#include "core/text.hpp"

namespace mlsim::report {
namespace {

double finite(double v, const char* key) {
  if (!std::isfinite(v)) throw InternalError(std::string("non-finite value for rlhf.") + key + " in a report");
  return v;
}

}  // namespace

nlohmann::ordered_json rlhf_json(const analysis::RlhfReport& r) {
  nlohmann::ordered_json pools = nlohmann::ordered_json::array();
  for (const auto& p : r.pools) {
    pools.push_back({{"name", p.name},
                     {"gpus", p.gpus},
                     {"busy_s", finite(p.busy_s, "busy_s")},
                     {"memory_per_device_bytes", finite(p.memory_per_device_bytes, "memory_per_device_bytes")},
                     {"capacity_bytes", finite(p.capacity_bytes, "capacity_bytes")},
                     {"fits", p.fits},
                     {"peak_phase", p.peak_phase}});
  }
  return {{"placement", r.placement},
          {"prompts_per_iteration", r.prompts_per_iteration},
          {"prompt_tokens", r.prompt_tokens},
          {"response_tokens", r.response_tokens},
          {"ppo_epochs", r.ppo_epochs},
          {"phases",
           {{"generation_s", finite(r.generation_s, "generation_s")},
            {"experience_s", finite(r.experience_s, "experience_s")},
            {"training_s", finite(r.training_s, "training_s")},
            {"weight_sync_s", finite(r.weight_sync_s, "weight_sync_s")}}},
          {"iteration_s", finite(r.iteration_s, "iteration_s")},
          {"synchronous_iteration_s", finite(r.synchronous_iteration_s, "synchronous_iteration_s")},
          {"samples_per_s", finite(r.samples_per_s, "samples_per_s")},
          {"tokens_per_s", finite(r.tokens_per_s, "tokens_per_s")},
          {"binding_phase", r.binding_phase},
          {"generation",
           {{"tp", r.generation_tp}, {"replicas", r.generation_replicas}, {"batch", r.generation_batch}, {"rounds", r.generation_rounds}}},
          {"experience",
           {{"batch", r.experience_batch},
            {"actor_s", finite(r.actor_forward_s, "actor_s")},
            {"reference_s", finite(r.reference_forward_s, "reference_s")},
            {"reward_s", finite(r.reward_forward_s, "reward_s")},
            {"critic_s", finite(r.critic_forward_s, "critic_s")}}},
          {"training",
           {{"optimizer_steps", r.optimizer_steps},
            {"actor_step_s", finite(r.actor_step_s, "actor_step_s")},
            {"critic_step_s", finite(r.critic_step_s, "critic_step_s")}}},
          {"pools", pools}};
}

std::string rlhf_table(const analysis::RlhfReport& r) {
  std::ostringstream out;
  const double it = r.iteration_s > 0.0 ? r.iteration_s : 1.0;
  const auto share = [&](double v) { return " (" + format_double(100.0 * v / it, 3) + " %)"; };
  out << "RLHF (PPO), " << r.placement << ": " << r.prompts_per_iteration << " prompts of " << r.prompt_tokens << " + "
      << r.response_tokens << " tokens, " << r.ppo_epochs << " PPO epoch(s)\n";
  out << "  iteration          " << format_seconds(r.iteration_s) << " (" << format_double(r.samples_per_s, 4) << " samples/s, "
      << format_double(r.tokens_per_s, 5) << " tokens/s); binding: " << r.binding_phase << "\n";
  out << "  generation         " << format_seconds(r.generation_s) << share(r.generation_s) << ": " << r.generation_rounds
      << " round(s) of batch " << r.generation_batch << " on " << r.generation_replicas << " replica(s) of tp " << r.generation_tp
      << "\n";
  out << "  experience         " << format_seconds(r.experience_s) << share(r.experience_s) << ": actor "
      << format_seconds(r.actor_forward_s) << ", reference " << format_seconds(r.reference_forward_s) << ", reward "
      << format_seconds(r.reward_forward_s) << ", critic " << format_seconds(r.critic_forward_s) << " (batch " << r.experience_batch
      << ")\n";
  out << "  training           " << format_seconds(r.training_s) << share(r.training_s) << ": " << r.optimizer_steps
      << " steps of actor " << format_seconds(r.actor_step_s) << " + critic " << format_seconds(r.critic_step_s) << "\n";
  if (r.placement == "disaggregated") {
    out << "  weight sync        " << format_seconds(r.weight_sync_s) << share(r.weight_sync_s) << "\n";
    out << "  without overlap    " << format_seconds(r.synchronous_iteration_s) << " (every phase in turn, on-policy)\n";
  }
  for (const auto& p : r.pools) {
    out << "  pool " << p.name << std::string(p.name.size() < 14 ? 14 - p.name.size() : 1, ' ') << p.gpus << " GPUs, busy "
        << format_seconds(p.busy_s) << ", " << format_bytes(p.memory_per_device_bytes) << " per device of "
        << format_bytes(p.capacity_bytes) << (p.fits ? " (fits)" : " (DOES NOT FIT)") << ", peak in " << p.peak_phase << "\n";
  }
  out << "\n";
  return out.str();
}

std::vector<std::pair<std::string, std::string>> rlhf_csv(const analysis::RlhfReport& r) {
  const auto num = [](double v) { return format_double(v, 10); };
  return {{"rlhf.placement", r.placement},
          {"rlhf.generation_s", num(r.generation_s)},
          {"rlhf.experience_s", num(r.experience_s)},
          {"rlhf.training_s", num(r.training_s)},
          {"rlhf.weight_sync_s", num(r.weight_sync_s)},
          {"rlhf.iteration_s", num(r.iteration_s)},
          {"rlhf.samples_per_s", num(r.samples_per_s)},
          {"rlhf.binding_phase", r.binding_phase}};
}

}  // namespace mlsim::report
