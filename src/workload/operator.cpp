#include "workload/operator.hpp"

namespace mlsim::workload {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kForward: return "forward";
    case Phase::kBackward: return "backward";
    case Phase::kRecompute: return "recompute";
    case Phase::kOptimizer: return "optimizer";
    case Phase::kPrefill: return "prefill";
    case Phase::kDecode: return "decode";
  }
  return "";
}

const char* op_class_name(OpClass c) {
  switch (c) {
    case OpClass::kGemm: return "gemm";
    case OpClass::kAttention: return "attention";
    case OpClass::kElementwise: return "elementwise";
    case OpClass::kEmbedding: return "embedding";
    case OpClass::kOptimizer: return "optimizer";
  }
  return "";
}

}  // namespace mlsim::workload
