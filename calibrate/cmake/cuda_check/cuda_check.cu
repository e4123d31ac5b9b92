// Configure-time check that nvcc compiles and links a kernel with the CUDA runtime.
#include <cuda_runtime.h>

__global__ void probe_check_kernel(int* p) { p[threadIdx.x] = static_cast<int>(threadIdx.x); }

int main() {
  int n = 0;
  (void)cudaGetDeviceCount(&n);
  probe_check_kernel<<<1, 1>>>(nullptr);
  return 0;
}
