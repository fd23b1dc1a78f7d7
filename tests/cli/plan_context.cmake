# uma run / uma serve choose or refuse a context from the memory they may use (plan_context_test.sh).
uma_cli_test(NAME cli_plan_context LABEL cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/plan_context_test.sh)
