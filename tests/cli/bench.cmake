# uma bench: --json fields and sane values on stories260K, the markdown table, errors.
uma_cli_test(NAME cli_bench LABEL cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bench_test.sh)
