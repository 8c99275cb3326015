# LEADKIT_SANITIZE=address builds everything with AddressSanitizer and UndefinedBehaviorSanitizer,
# =thread with ThreadSanitizer. Reports abort the process, so a test with a report fails.
#
# LEADKIT_FUZZ builds with address+undefined as above and adds the fuzz targets of tests/fuzz
# (which link libFuzzer's driver, -fsanitize=fuzzer), so that one build tree serves the
# sanitized unit tests and the targets. libFuzzer ships with clang only.
if(LEADKIT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR
      "LEADKIT_FUZZ needs clang (libFuzzer comes with it), but the C++ compiler is "
      "${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Configure a new build directory with "
      "-DCMAKE_CXX_COMPILER=clang++ (Debian: apt-get install clang libclang-rt-dev).")
  endif()
  if(LEADKIT_SANITIZE STREQUAL "")
    set(LEADKIT_SANITIZE address)
  elseif(NOT LEADKIT_SANITIZE STREQUAL "address")
    message(FATAL_ERROR
      "LEADKIT_FUZZ builds with address+undefined; it cannot be combined with "
      "LEADKIT_SANITIZE=${LEADKIT_SANITIZE}")
  endif()
endif()

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
# With LEADKIT_FUZZ the library and the fuzz targets (not the unit tests, which need neither)
# get libFuzzer's coverage instrumentation, and -O1 whatever the build type: unoptimised code
# runs a target's inputs several times slower, and -O1 keeps the sanitizers' reports exact.
# The unit tests link the instrumented library; the sanitizer runtime answers its hooks.
set(LEADKIT_FUZZ_COMPILE_OPTIONS -fsanitize=fuzzer-no-link -O1 -gline-tables-only)
