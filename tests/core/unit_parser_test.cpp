// Tests: core/unit_parser_test (to be written)
