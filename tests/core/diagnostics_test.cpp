// Tests: core/diagnostics_test (to be written)
