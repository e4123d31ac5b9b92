#include "spec/rlhf_spec.hpp"

namespace mlsim::spec {

RlhfSpec read_rlhf(const Node& n, Diagnostics& d) {
  RlhfSpec s;
  MapReader r(&n, d, "rlhf");
  if (!r.valid()) {
    d.error(n.origin, "rlhf: expected a mapping (critic, reward, reference, prompts_per_iteration, prompt_tokens, "
                      "response_tokens, ppo_epochs, placement, generation)");
    return s;
  }
  if (const Node* c = r.get("critic", Need::kRequired)) s.critic = read_model(*c, d);
  if (const Node* ref = r.get("reference")) s.reference = read_model(*ref, d);
  if (const Node* rw = r.get("reward")) s.reward = read_model(*rw, d);
  s.prompts_per_iteration = r.integer("prompts_per_iteration", Need::kOptional, 1, 1LL << 30).value_or(512);
  s.prompt_tokens = r.integer("prompt_tokens", Need::kOptional, 1, 1LL << 24).value_or(512);
  s.response_tokens = r.integer("response_tokens", Need::kOptional, 1, 1LL << 24).value_or(512);
  s.ppo_epochs = r.integer("ppo_epochs", Need::kOptional, 1, 1024).value_or(1);
  s.placement = r.choice("placement", {"colocated", "disaggregated"}).value_or("colocated");
  if (const Node* g = r.get("generation")) {
    MapReader gr(g, d, "rlhf.generation");
    if (!gr.valid()) {
      d.error(g->origin, "rlhf.generation: expected a mapping {tp, batch, gpus}");
    } else {
      s.generation_tp = gr.integer("tp", Need::kOptional, 1, 1024);
      s.generation_batch = gr.integer("batch", Need::kOptional, 1, 1LL << 30);
      const bool disagg = s.placement == "disaggregated";
      s.generation_gpus = gr.integer("gpus", disagg ? Need::kRequired : Need::kOptional, 1, 1LL << 30).value_or(0);
      if (!disagg && s.generation_gpus > 0) {
        gr.error_at(*g->find("gpus"), "rlhf.generation.gpus: a generation pool of its own needs placement: disaggregated "
                                      "(co-located, every accelerator generates)");
      }
      gr.finish();
    }
  } else if (s.placement == "disaggregated") {
    d.error(n.origin, "rlhf: placement: disaggregated needs generation: {gpus: N} (the generation pool; the rest train)");
  }
  r.finish();
  return s;
}

}  // namespace mlsim::spec
