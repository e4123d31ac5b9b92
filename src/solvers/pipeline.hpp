// The pipeline-parallel step as a task graph: every micro-batch's forward (F), backward (B, the
// input gradient, with recomputation) and, for schedules that split it, weight-gradient (W) step on
// every stage, linked by the point-to-point sends between stages and ordered on each device by the
// schedule (GPipe, 1F1B, interleaved 1F1B, zero-bubble ZB-H1, DualPipe). Its critical path is the
// makespan; bubbles, uneven stages and send time all come out of this one computation.
#pragma once

#include <string>
#include <vector>

namespace mlsim::solvers {

enum class PipelineSchedule { kGpipe, kOneFOneB, kInterleaved, kZeroBubble, kDualPipe };

// Parses the scenario's schedule names ("gpipe", "1f1b", "interleaved", "zero_bubble", "dualpipe").
PipelineSchedule pipeline_schedule_from_name(const std::string& name);

// One model chunk's work for one micro-batch. `backward_s` includes the weight gradient; schedules
// that split it (zero-bubble, DualPipe) move `weight_grad_s` of it into a separate W step.
struct ChunkCost {
  double forward_s = 0.0;
  double backward_s = 0.0;
  double weight_grad_s = 0.0;
};

struct PipelineInput {
  PipelineSchedule schedule = PipelineSchedule::kOneFOneB;
  int stages = 1;                 // devices along the pipeline (pp)
  int virtual_stages = 1;         // model chunks per device (interleaved)
  int micro_batches = 1;
  // Chunk c (0 .. stages * virtual_stages - 1) in model order; chunk c lives on device c % stages.
  std::vector<ChunkCost> chunks;
  double p2p_s = 0.0;             // one activation (or gradient) transfer between adjacent stages
  bool p2p_overlapped = true;     // false: the sending device is busy for the transfer (blocking sends)
  bool event_driven = false;      // always use the exact event loop (tests compare the fast sweeps with it)
};

struct PipelineResult {
  double makespan_s = 0.0;              // first forward starts at 0; the last step ends here
  std::vector<double> busy_s;           // per device: the sum of its steps' durations
  std::vector<double> peak_in_flight;   // per device: most micro-batch chunks whose activations are held at once
  [[nodiscard]] double max_busy_s() const;
  // The idle time of the busiest device: makespan - its busy time (the bubble).
  [[nodiscard]] double bubble_s() const { return makespan_s - max_busy_s(); }
};

// Simulates the devices executing their schedule-ordered steps, each starting when its device is
// free and its inputs have arrived. Needs micro_batches to be a multiple of stages for interleaved
// (as Megatron-LM does) and an even micro-batch count for DualPipe; the caller checks.
PipelineResult solve_pipeline(const PipelineInput& in);

// The Narayanan et al. (2021) closed form for the bubble fraction of 1F1B with p uniform stages,
// m micro-batches and free communication: (p - 1) / (m + p - 1) of the makespan.
double one_f_one_b_bubble_fraction(int stages, int micro_batches);

}  // namespace mlsim::solvers
