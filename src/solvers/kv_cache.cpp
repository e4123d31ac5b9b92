#include "solvers/kv_cache.hpp"

#include <cmath>

namespace mlsim::solvers {

long long kv_blocks_for(long long tokens, long long block_tokens) {
  if (block_tokens < 1) block_tokens = 1;
  return (tokens + block_tokens - 1) / block_tokens;
}

double kv_last_block_waste(long long tokens, long long block_tokens) {
  const long long blocks = kv_blocks_for(tokens, block_tokens);
  if (blocks == 0) return 0.0;
  const double slots = static_cast<double>(blocks * block_tokens);
  return (slots - static_cast<double>(tokens)) / slots;
}

long long kv_max_concurrency(double kv_bytes, double bytes_per_token, long long tokens, long long block_tokens) {
  const double per_seq = static_cast<double>(kv_blocks_for(tokens, block_tokens) * block_tokens) * bytes_per_token;
  if (per_seq <= 0.0 || kv_bytes <= 0.0) return 0;
  return static_cast<long long>(std::floor(kv_bytes / per_seq));
}

double kv_onload_s(double offloaded_bytes, double host_bandwidth) {
  return host_bandwidth > 0.0 ? offloaded_bytes / host_bandwidth : 0.0;
}

}  // namespace mlsim::solvers
