// Tests: analysis/properties_test (to be written)
