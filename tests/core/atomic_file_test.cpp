// Tests: core/atomic_file_test (to be written)
