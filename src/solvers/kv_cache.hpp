// Paged KV cache (Kwon et al. 2023, "PagedAttention"): a sequence holds ceil(tokens / block) blocks,
// so its last block wastes block - tokens mod block slots; the concurrency that fits is the KV
// memory over the blocks one sequence holds. Cold blocks offloaded to host memory come back over
// the host link when their sequence runs.
#pragma once

namespace mlsim::solvers {

long long kv_blocks_for(long long tokens, long long block_tokens);

// Share of a sequence's allocated KV slots left empty in its last block.
double kv_last_block_waste(long long tokens, long long block_tokens);

// Sequences of `tokens` tokens whose blocks fit in `kv_bytes` at `bytes_per_token`.
long long kv_max_concurrency(double kv_bytes, double bytes_per_token, long long tokens, long long block_tokens);

// Seconds to bring `offloaded_bytes` of KV blocks back from host memory at `host_bandwidth` (B/s).
double kv_onload_s(double offloaded_bytes, double host_bandwidth);

}  // namespace mlsim::solvers
