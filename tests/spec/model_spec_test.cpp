// Tests: spec/model_spec_test (to be written)
