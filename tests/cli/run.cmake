# uma run: golden text, seeds, errors (see run_test.sh).
uma_cli_test(NAME cli_run LABEL cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run_test.sh)
