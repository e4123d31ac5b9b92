// ResNet-style CNNs per layer: each convolution as an implicit GEMM (FLOPs, bytes, parameters),
// batch norm + ReLU as elementwise passes (He et al. 2015, torchvision's ResNet v1.5 layout).
#pragma once

#include <cmath>
#include <vector>

#include "spec/model.hpp"
#include "workload/operator.hpp"

namespace mlsim::workload {

struct ConvLayer {
  double in_hw = 0, out_hw = 0, cin = 0, cout = 0, kernel = 1, stride = 1;
};

struct CnnShape {
  std::vector<ConvLayer> convs;
  double fc_in = 0, classes = 0;
  double params = 0;
  double forward_flops_per_image = 0;   // 2 x MACs of convolutions and the classifier
};

CnnShape resnet_shape(const spec::ModelSpec& m);

// Forward (and, for training, backward) operators of `images` images.
void append_cnn_ops(const CnnShape& shape, double images, Precision act, Precision weights, Phase phase, bool backward,
                    double grad_bytes_per_element, OperatorList& out);

// Bytes of activations a training step saves per image (conv inputs, BN inputs, ReLU outputs).
double cnn_activation_bytes_per_image(const CnnShape& shape, Precision act);

}  // namespace mlsim::workload
