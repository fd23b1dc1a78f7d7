# uma quantize: byte-identical output to llama-quantize, summary, generation from the output, errors
# (see quantize_test.sh).
uma_cli_test(NAME cli_quantize LABEL cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/quantize_test.sh)
