# uma synth: files load and generate, determinism, llama-quantize's per-tensor types, errors.
uma_cli_test(NAME cli_synth LABEL cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/synth_test.sh)
