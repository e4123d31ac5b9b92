// Tests: workload/memory_test (to be written)
