#!/usr/bin/env python3
"""Cross-checks of mlsim-probe and the zoo's attention efficiency, through PyTorch, on a lent GPU.

Run by scripts/device/calibrate_h200.sh on the device machine (PyTorch is there, not here). Every
timing: random inputs, warm-up, CUDA events around each call, the median of the timed calls.
Writes one JSON object to argv[1]. What each number is for: docs/calibration.md ("The H200
calibration").
"""
import json
import statistics
import sys
import traceback

import torch

RESULTS = {"device": None, "torch": torch.__version__, "checks": []}


def median_ms(fn, warmup=5, iters=20):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times), min(times), max(times)


def record(name, ms, **fields):
    med, lo, hi = ms
    row = {"name": name, "median_ms": med, "min_ms": lo, "max_ms": hi, **fields}
    if "flops" in fields:
        row["tflops"] = fields["flops"] / (med * 1e-3) / 1e12
    if "bytes" in fields:
        row["gbs"] = fields["bytes"] / (med * 1e-3) / 1e9
    RESULTS["checks"].append(row)
    print(json.dumps(row), flush=True)


def guarded(fn):
    try:
        fn()
    except Exception as exc:  # a check that cannot run is reported, not fatal
        RESULTS["checks"].append({"name": fn.__name__, "error": repr(exc), "trace": traceback.format_exc()[-800:]})
        print(f"{fn.__name__}: {exc!r}", flush=True)


def matmul_bf16():
    n = 8192
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    record("matmul_bf16_8192", median_ms(lambda: a @ b), flops=2 * n**3)


def scaled_mm_fp8():
    for m, n, k in [(8192, 8192, 8192), (2048, 28672, 4096), (128, 28672, 4096), (16, 28672, 4096)]:
        x = torch.randn(m, k, device="cuda").to(torch.float8_e4m3fn)
        w = torch.randn(n, k, device="cuda").to(torch.float8_e4m3fn)
        one = torch.ones((), device="cuda")
        fn = lambda: torch._scaled_mm(x, w.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
        record(f"scaled_mm_fp8_{m}x{n}x{k}", median_ms(fn), flops=2 * m * n * k, m=m, n=n, k=k)


def copy_bandwidth():
    src = torch.randn(2 * 1024**3 // 4, device="cuda")  # 2 GiB, far beyond the 50 MB L2
    dst = torch.empty_like(src)
    record("copy_2GiB", median_ms(lambda: dst.copy_(src)), bytes=2 * src.numel() * 4)


def attention_prefill():
    from torch.nn.attention import SDPBackend, sdpa_kernel
    import torch.nn.functional as F
    heads, dim = 32, 128
    for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION, SDPBackend.EFFICIENT_ATTENTION):
        for seq in (2048, 8192):
            batch = max(1, 16384 // seq)
            q, k, v = (torch.randn(batch, heads, seq, dim, device="cuda", dtype=torch.bfloat16) for _ in range(3))
            # Causal: half of the 4 * s^2 * h * d score and value FLOPs (the convention of FlashAttention's papers).
            flops = batch * 4 * seq * seq * heads * dim / 2
            try:
                with sdpa_kernel(backend):
                    ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
                record(f"sdpa_causal_{backend.name}_b{batch}_s{seq}", ms, flops=flops, backend=backend.name,
                       batch=batch, seq=seq, heads=heads, head_dim=dim)
            except Exception as exc:
                RESULTS["checks"].append({"name": f"sdpa_causal_{backend.name}_s{seq}", "error": repr(exc)})
                print(f"sdpa {backend.name} s{seq}: {exc!r}", flush=True)


def attention_decode():
    from torch.nn.attention import SDPBackend, sdpa_kernel
    import torch.nn.functional as F
    q_heads, kv_heads, dim = 32, 8, 128  # Llama-3 8B's grouped-query attention
    for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION, SDPBackend.EFFICIENT_ATTENTION):
        for batch, ctx in ((64, 2048), (256, 1024), (16, 8192)):
            q = torch.randn(batch, q_heads, 1, dim, device="cuda", dtype=torch.bfloat16)
            k = torch.randn(batch, kv_heads, ctx, dim, device="cuda", dtype=torch.bfloat16)
            v = torch.randn_like(k)
            kv_bytes = 2 * k.numel() * 2
            try:
                with sdpa_kernel(backend):
                    ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=True))
                record(f"sdpa_decode_{backend.name}_b{batch}_ctx{ctx}", ms, bytes=kv_bytes, backend=backend.name,
                       batch=batch, ctx=ctx)
            except Exception as exc:
                RESULTS["checks"].append({"name": f"sdpa_decode_{backend.name}_b{batch}_ctx{ctx}", "error": repr(exc)})
                print(f"decode {backend.name} b{batch} ctx{ctx}: {exc!r}", flush=True)


def main():
    RESULTS["device"] = torch.cuda.get_device_name(0)
    for check in (matmul_bf16, copy_bandwidth, scaled_mm_fp8, attention_prefill, attention_decode):
        guarded(check)
    with open(sys.argv[1], "w") as f:
        json.dump(RESULTS, f, indent=1)


if __name__ == "__main__":
    main()
