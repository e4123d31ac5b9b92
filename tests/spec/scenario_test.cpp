// Tests: spec/scenario_test (to be written)
