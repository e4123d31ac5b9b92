#include "workload/cnn.hpp"

namespace mlsim::workload {

CnnShape resnet_shape(const spec::ModelSpec& m) {
  CnnShape s;
  if (!m.cnn) return s;
  const auto& c = *m.cnn;
  const double stem = static_cast<double>(c.stem_width);
  double hw = static_cast<double>(c.image_size);
  // Stem: 7x7 stride-2 convolution, then a 3x3 stride-2 max pool.
  s.convs.push_back({hw, std::ceil(hw / 2.0), static_cast<double>(c.channels), stem, 7, 2});
  hw = std::ceil(std::ceil(hw / 2.0) / 2.0);
  double cin = stem;
  for (std::size_t st = 0; st < c.stages.size(); ++st) {
    const double w = static_cast<double>(c.widths[st]);
    const double out = w * static_cast<double>(c.expansion);
    for (long long b = 0; b < c.stages[st]; ++b) {
      const double stride = (b == 0 && st > 0) ? 2.0 : 1.0;   // v1.5: the stride sits on the 3x3 conv
      const double out_hw = std::ceil(hw / stride);
      s.convs.push_back({hw, hw, cin, w, 1, 1});
      s.convs.push_back({hw, out_hw, w, w, 3, stride});
      s.convs.push_back({out_hw, out_hw, w, out, 1, 1});
      if (b == 0) s.convs.push_back({hw, out_hw, cin, out, 1, stride});   // projection shortcut
      cin = out;
      hw = out_hw;
    }
  }
  s.fc_in = cin;
  s.classes = static_cast<double>(c.classes);
  for (const auto& l : s.convs) {
    s.params += l.kernel * l.kernel * l.cin * l.cout + 2.0 * l.cout;   // weights + batch-norm scale and shift
    s.forward_flops_per_image += 2.0 * l.out_hw * l.out_hw * l.cout * l.kernel * l.kernel * l.cin;
  }
  s.params += s.fc_in * s.classes + s.classes;
  s.forward_flops_per_image += 2.0 * s.fc_in * s.classes;
  return s;
}

void append_cnn_ops(const CnnShape& shape, double images, Precision act, Precision weights, Phase phase, bool backward,
                    double grad_bytes_per_element, OperatorList& out) {
  const double a = bytes_per_element(act), w = bytes_per_element(weights);
  for (const auto& l : shape.convs) {
    const double in = images * l.in_hw * l.in_hw * l.cin, outv = images * l.out_hw * l.out_hw * l.cout;
    const double wt = l.kernel * l.kernel * l.cin * l.cout;
    const double flops = 2.0 * l.out_hw * l.out_hw * l.cout * l.kernel * l.kernel * l.cin * images;
    out.push_back({"conv", phase, OpClass::kGemm, 1.0, flops, (in + outv) * a + wt * w, 1.0, act});
    // Batch norm and ReLU (and the residual add) as one elementwise pass: read and write the output.
    out.push_back({"bn_relu", phase, OpClass::kElementwise, 1.0, 4.0 * outv, 2.0 * outv * a, 1.0, act});
    if (backward) {
      out.push_back({"conv_bwd", Phase::kBackward, OpClass::kGemm, 1.0, 2.0 * flops,
                     2.0 * (in + outv) * a + wt * (w + 2.0 * grad_bytes_per_element), 2.0, act});
      out.push_back({"bn_relu_bwd", Phase::kBackward, OpClass::kElementwise, 1.0, 8.0 * outv, 4.0 * outv * a, 1.0, act});
    }
  }
  const double fc_flops = 2.0 * images * shape.fc_in * shape.classes;
  const double fc_bytes = images * (shape.fc_in + shape.classes) * a + shape.fc_in * shape.classes * w;
  out.push_back({"fc", phase, OpClass::kGemm, 1.0, fc_flops, fc_bytes, 2.0, act});   // avg pool + classifier
  if (backward) {
    out.push_back({"fc_bwd", Phase::kBackward, OpClass::kGemm, 1.0, 2.0 * fc_flops,
                   2.0 * fc_bytes + shape.fc_in * shape.classes * 2.0 * grad_bytes_per_element, 2.0, act});
  }
}

double cnn_activation_bytes_per_image(const CnnShape& shape, Precision act) {
  // Saved for backward: each conv's input, and each BN's input (the conv output); ReLU's output
  // aliases the next conv's input.
  double elements = 0.0;
  for (const auto& l : shape.convs) elements += l.in_hw * l.in_hw * l.cin + l.out_hw * l.out_hw * l.cout;
  return elements * bytes_per_element(act);
}

}  // namespace mlsim::workload
