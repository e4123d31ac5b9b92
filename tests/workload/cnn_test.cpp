// ResNet-50 as convolutions: parameter count (torchvision), FLOPs per image (torchvision's
// 4.09 GMACs), layer shapes, and the forward/backward operators of a batch.
#include <doctest/doctest.h>

#include "../approx.hpp"

#include <string>

#include "spec/model.hpp"
#include "../support.hpp"
#include "workload/cnn.hpp"

namespace mlsim {
namespace {

spec::ModelSpec resnet50() { return test::zoo_entry("model", "resnet50", spec::read_model); }

const workload::Operator* nth(const workload::OperatorList& ops, const std::string& name, int n) {
  for (const auto& op : ops) {
    if (name == op.name && n-- == 0) return &op;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("ResNet-50: 25,557,032 parameters and 53 convolutions") {
  const auto s = workload::resnet_shape(resnet50());
  // torchvision resnet50: sum of p.numel() = 25,557,032 (conv weights, BN scale/shift, fc weight and bias).
  CHECK(s.params == 25'557'032.0);
  // Stem + 16 bottlenecks x 3 convs + 4 projection shortcuts = 1 + 48 + 4 = 53.
  CHECK(s.convs.size() == 53);
  CHECK(s.fc_in == 2048.0);
  CHECK(s.classes == 1000.0);
}

TEST_CASE("ResNet-50 forward FLOPs: 2 x 4.09 GMACs per 224x224 image") {
  // torchvision's model card lists 4.09 "GFLOPS", which counts multiply-accumulates: 8.18e9 FLOPs.
  const auto s = workload::resnet_shape(resnet50());
  CHECK(s.forward_flops_per_image == mlsim::test::approx(8.18e9).epsilon(0.01));
}

TEST_CASE("ResNet-50 layer shapes (v1.5: stride on the 3x3)") {
  const auto s = workload::resnet_shape(resnet50());
  REQUIRE(s.convs.size() == 53);
  // Stem: 7x7/2, 3 -> 64 channels, 224 -> 112.
  const auto& stem = s.convs[0];
  CHECK(stem.in_hw == 224.0);
  CHECK(stem.out_hw == 112.0);
  CHECK(stem.cin == 3.0);
  CHECK(stem.cout == 64.0);
  CHECK(stem.kernel == 7.0);
  // First bottleneck after the 3x3/2 max pool at 56x56: 1x1 64 -> 64.
  CHECK(s.convs[1].in_hw == 56.0);
  CHECK(s.convs[1].cin == 64.0);
  CHECK(s.convs[1].cout == 64.0);
  // Its projection shortcut 64 -> 256 at stride 1.
  CHECK(s.convs[4].cin == 64.0);
  CHECK(s.convs[4].cout == 256.0);
  CHECK(s.convs[4].kernel == 1.0);
  // Stage 2 first block: the 3x3 carries the stride, 56 -> 28.
  const auto& c = s.convs[1 + 3 * 3 + 1 + 1];   // after stage 1 (10 convs): 1x1, then the 3x3
  CHECK(c.kernel == 3.0);
  CHECK(c.stride == 2.0);
  CHECK(c.in_hw == 56.0);
  CHECK(c.out_hw == 28.0);
  // Last conv: 1x1 512 -> 2048 at 7x7.
  CHECK(s.convs.back().out_hw == 7.0);
  CHECK(s.convs.back().cout == 2048.0);
}

TEST_CASE("CNN operators: the stem convolution and the classifier by hand, backward at twice the FLOPs") {
  const auto s = workload::resnet_shape(resnet50());
  workload::OperatorList ops;
  workload::append_cnn_ops(s, 2, Precision::kBf16, Precision::kBf16, workload::Phase::kForward, true, 4.0, ops);
  // Stem, 2 images: FLOPs 2 * 112^2 * 64 * 7 * 7 * 3 * 2 = 472,055,808.
  // Bytes: input 2 * 224^2 * 3 = 301,056 and output 2 * 112^2 * 64 = 1,605,632 elements at 2 B,
  // plus 7*7*3*64 = 9,408 weights at 2 B: 3,813,376 + 18,816 = 3,832,192.
  const auto* conv = nth(ops, "conv", 0);
  REQUIRE(conv != nullptr);
  CHECK(conv->flops == 472'055'808.0);
  CHECK(conv->bytes == 3'832'192.0);
  const auto* bwd = nth(ops, "conv_bwd", 0);
  REQUIRE(bwd != nullptr);
  CHECK(bwd->flops == 2.0 * 472'055'808.0);
  // Data and weight gradients: activations twice, weights read + fp32 gradient written and read.
  CHECK(bwd->bytes == 2.0 * 3'813'376.0 + 9'408.0 * (2.0 + 2.0 * 4.0));
  // BN + ReLU on the stem output: 4 FLOPs and a read and a write per element.
  const auto* bn = nth(ops, "bn_relu", 0);
  REQUIRE(bn != nullptr);
  CHECK(bn->flops == 4.0 * 1'605'632.0);
  CHECK(bn->bytes == 2.0 * 1'605'632.0 * 2.0);
  // Classifier: 2 * 2 images * 2048 * 1000 = 8,192,000 FLOPs.
  const auto* fc = nth(ops, "fc", 0);
  REQUIRE(fc != nullptr);
  CHECK(fc->flops == 8'192'000.0);
  CHECK(fc->bytes == 2.0 * 3'048.0 * 2.0 + 2'048'000.0 * 2.0);
  // The forward GEMM FLOPs of the batch add up to 2 x forward_flops_per_image.
  double forward = 0.0;
  for (const auto& op : ops) {
    if (op.phase == workload::Phase::kForward && op.op_class == workload::OpClass::kGemm) forward += op.flops * op.count;
  }
  CHECK(forward == mlsim::test::approx(2.0 * s.forward_flops_per_image).epsilon(1e-12));
}

TEST_CASE("CNN activations saved per image: every conv's input and output") {
  const auto s = workload::resnet_shape(resnet50());
  // Elements, stage by stage (H: input size, H': after the stride, w: inner width, cin, out = 4w):
  //   block 0: H^2 cin + H^2 w | H^2 w + H'^2 w | H'^2 w + H'^2 out | projection H^2 cin + H'^2 out;
  //   each further block: H'^2 out + H'^2 w | 2 H'^2 w | H'^2 w + H'^2 out.
  //   stem 224^2*3 + 112^2*64 = 953,344; stage 1 (56, w 64) 7,626,752; stage 2 (56 -> 28, w 128)
  //   7,024,640; stage 3 (28 -> 14, w 256) 4,716,544; stage 4 (14 -> 7, w 512) 1,455,104.
  //   Sum 21,776,384 elements = 43,552,768 B in bf16.
  CHECK(workload::cnn_activation_bytes_per_image(s, Precision::kBf16) == 43'552'768.0);
  CHECK(workload::cnn_activation_bytes_per_image(s, Precision::kFp32) == 87'105'536.0);
}

}  // namespace mlsim
