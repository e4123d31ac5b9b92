// mlsim-probe: the probe's command line over the CUDA backend. No CUDA device: a message on stderr
// and exit 2 (DESIGN.md, Calibration).
#include <iostream>
#include <memory>
#include <string>

#include "cuda_backend.hpp"
#include "probe.hpp"

int main(int argc, char** argv) {
  using namespace mlsim::probe;
  Flavor flavor;
  flavor.program = "mlsim-probe";
  flavor.fake = false;
  flavor.create = [](const Options& o, int& exit_code) -> std::unique_ptr<Backend> {
    std::string error;
    const int n = cuda_device_count(error);
    if (n <= 0) {
      std::cerr << "mlsim-probe: no CUDA device found\n";
      if (!error.empty()) std::cerr << "mlsim-probe: " << error << "\n";
      exit_code = kExitUsage;
      return nullptr;
    }
    if (o.device >= n) {
      std::cerr << "mlsim-probe: --device " << o.device << " is out of range (" << n << " device(s))\n";
      exit_code = kExitUsage;
      return nullptr;
    }
    return make_cuda_backend(o.device);
  };
  return probe_main(argc, argv, flavor);
}
