// Tests: workload/cnn_test (to be written)
