// Tests: workload/params_test (to be written)
