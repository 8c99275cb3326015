# LEADKIT_SANITIZE=address builds everything with AddressSanitizer and UndefinedBehaviorSanitizer,
# =thread with ThreadSanitizer. Reports abort the process, so a test with a report fails.
if(LEADKIT_SANITIZE STREQUAL "address")
  set(_leadkit_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
elseif(LEADKIT_SANITIZE STREQUAL "thread")
  set(_leadkit_san -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT LEADKIT_SANITIZE STREQUAL "")
  message(FATAL_ERROR "LEADKIT_SANITIZE must be empty, 'address' or 'thread', not '${LEADKIT_SANITIZE}'")
endif()
if(_leadkit_san)
  add_compile_options(${_leadkit_san})
  add_link_options(${_leadkit_san})
endif()
