# Makes the demo signing key (KEY, PUB) with PACK keygen unless it exists already.
if(NOT EXISTS "${KEY}")
  execute_process(COMMAND "${PACK}" keygen --secret-key "${KEY}" --public-key "${PUB}"
    OUTPUT_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "milepost-pack keygen failed (${rc})")
  endif()
endif()
