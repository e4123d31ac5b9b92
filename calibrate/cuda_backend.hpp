// Entry points of the CUDA backend that plain C++ (probe_main.cpp) may call; the implementation is
// in the .cu files and needs no CUDA header here.
#pragma once

#include <memory>
#include <string>

#include "backend.hpp"

namespace mlsim::probe {

// Number of CUDA devices, or -1 with `error` set when the runtime cannot find any (no driver,
// driver too old, no device).
int cuda_device_count(std::string& error);

// The backend for CUDA device `device`; throws ProbeError if the device cannot be set up.
std::unique_ptr<Backend> make_cuda_backend(int device);

}  // namespace mlsim::probe
