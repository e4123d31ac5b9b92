// Tests: analysis/evaluate_test (to be written)
