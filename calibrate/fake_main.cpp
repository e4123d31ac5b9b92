// mlsim-probe-fake: the probe's command line over FakeBackend (no CUDA), for tests and CI.
#include <iostream>
#include <memory>

#include "fake_backend.hpp"
#include "probe.hpp"

int main(int argc, char** argv) {
  using namespace mlsim::probe;
  Flavor flavor;
  flavor.program = "mlsim-probe-fake";
  flavor.fake = true;
  flavor.create = [](const Options& o, int& exit_code) -> std::unique_ptr<Backend> {
    exit_code = kExitOk;
    return std::make_unique<FakeBackend>(fake_params(o.fake_device), o.fake_device, o.seed, o.fake_gpus, o.device);
  };
  return probe_main(argc, argv, flavor);
}
