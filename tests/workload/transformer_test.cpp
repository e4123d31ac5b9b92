// Tests: workload/transformer_test (to be written)
