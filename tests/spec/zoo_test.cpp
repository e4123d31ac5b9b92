// Tests: spec/zoo_test (to be written)
