// Tests: cli/cli_test (to be written)
