# libleadkit.so: the C ABI of include/leadkit/leadkit.h over the static library, exporting the
# lk_* functions and nothing else (src/c_api/leadkit.map).
#
# Abseil goes in statically when its archives can go into a shared object; then the library
# needs no Abseil at run time. Debian's cannot: they are built position-independent for
# executables only, with thread-locals of the local-exec model (R_X86_64_TPOFF32 in
# libabsl_base, libabsl_raw_hash_set, libabsl_cordz_functions), which a shared object may not
# hold — the link fails. With them the library links Abseil's shared libraries (Debian's
# libabsl20220623 package); their symbols stay undefined in libleadkit.so and none is
# exported. LEADKIT_SHARED_ABSL records which ("static" or "shared"); tests/c/exports_test.sh
# checks the NEEDED entries against it. Time zones are read through Abseil (src/tz.cc), so
# the library needs no date-tz.

# LK_ABI_VERSION of the header is the library's SOVERSION: one number, written once.
file(STRINGS ${PROJECT_SOURCE_DIR}/include/leadkit/leadkit.h _lk_abi REGEX "^#define LK_ABI_VERSION ")
string(REGEX REPLACE "^#define LK_ABI_VERSION ([0-9]+).*" "\\1" LEADKIT_ABI_VERSION "${_lk_abi}")

# The static archives of every Abseil target `targets` need, transitively: an imported shared
# library's .so is replaced by the .a beside it; a target built by a parent project is linked
# as it is.
function(leadkit_absl_archives out)
  set(_queue ${ARGN})
  set(_seen)
  set(_archives)
  while(_queue)
    list(POP_FRONT _queue _target)
    if(_target IN_LIST _seen OR NOT TARGET ${_target})
      continue()
    endif()
    list(APPEND _seen ${_target})
    get_target_property(_deps ${_target} INTERFACE_LINK_LIBRARIES)
    if(_deps)
      string(REGEX MATCHALL "absl::[A-Za-z0-9_]+" _absl_deps "${_deps}")
      list(APPEND _queue ${_absl_deps})
    endif()
    get_target_property(_type ${_target} TYPE)
    if(_type STREQUAL "INTERFACE_LIBRARY")
      continue()
    endif()
    get_target_property(_imported ${_target} IMPORTED)
    if(NOT _imported)
      list(APPEND _archives ${_target})
      continue()
    endif()
    set(_location)
    foreach(_property IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_NONE IMPORTED_LOCATION)
      get_target_property(_location ${_target} ${_property})
      if(_location)
        break()
      endif()
    endforeach()
    if(NOT _location)
      get_target_property(_configs ${_target} IMPORTED_CONFIGURATIONS)
      list(GET _configs 0 _config)
      get_target_property(_location ${_target} IMPORTED_LOCATION_${_config})
    endif()
    string(REGEX REPLACE "\\.so(\\.[0-9.]+)?$" ".a" _archive "${_location}")
    if(NOT EXISTS "${_archive}")
      message(FATAL_ERROR "LEADKIT_SHARED: no static archive for ${_target} (looked for "
                          "${_archive}); install Abseil's static libraries or set LEADKIT_SHARED=OFF")
    endif()
    list(APPEND _archives "${_archive}")
  endwhile()
  set(${out} ${_archives} PARENT_SCOPE)
endfunction()

# The C ABI's objects (leadkit_c_api) come from LeadkitCApi.cmake.
get_target_property(_leadkit_links leadkit LINK_LIBRARIES)
string(REGEX MATCHALL "absl::[A-Za-z0-9_]+" _leadkit_absl "${_leadkit_links}")
leadkit_absl_archives(_absl_archives ${_leadkit_absl})

# Can the archives go into a shared object? Not when an object holds relocations only an
# executable may have: local-exec thread-locals, or absolute 32-bit addresses.
set(LEADKIT_SHARED_ABSL static)
find_program(LEADKIT_READELF NAMES readelf ${CMAKE_READELF})
foreach(_archive IN LISTS _absl_archives)
  if(TARGET ${_archive})
    continue()
  endif()
  if(NOT LEADKIT_READELF)
    set(LEADKIT_SHARED_ABSL shared)
    break()
  endif()
  execute_process(COMMAND ${LEADKIT_READELF} -rW ${_archive}
    OUTPUT_VARIABLE _relocations ERROR_QUIET)
  if(_relocations MATCHES "R_X86_64_TPOFF32|R_X86_64_32S? |R_AARCH64_TLSLE_")
    set(LEADKIT_SHARED_ABSL shared)
    message(STATUS "libleadkit.so links Abseil's shared libraries: ${_archive} cannot go "
                   "into a shared object (built for executables only)")
    break()
  endif()
endforeach()

add_library(leadkit_shared SHARED $<TARGET_OBJECTS:leadkit_c_api>)
add_library(leadkit::shared ALIAS leadkit_shared)
add_dependencies(leadkit_shared leadkit)
if(LEADKIT_SHARED_ABSL STREQUAL "static")
  # The static library and Abseil's archives as one group (their objects refer to each
  # other), then what stays shared.
  target_link_libraries(leadkit_shared PRIVATE
    "$<TARGET_FILE:leadkit>"
    "-Wl,--start-group" ${_absl_archives} "-Wl,--end-group"
    Threads::Threads)
else()
  target_link_libraries(leadkit_shared PRIVATE
    "$<TARGET_FILE:leadkit>" ${_leadkit_absl} Threads::Threads)
endif()
target_link_options(leadkit_shared PRIVATE
  "LINKER:--version-script=${PROJECT_SOURCE_DIR}/src/c_api/leadkit.map"
  "LINKER:--exclude-libs,ALL")
if(LEADKIT_SANITIZE STREQUAL "")
  target_link_options(leadkit_shared PRIVATE "LINKER:--no-undefined")
endif()
set_target_properties(leadkit_shared PROPERTIES
  OUTPUT_NAME leadkit
  SOVERSION ${LEADKIT_ABI_VERSION}
  EXPORT_NAME shared
  LINK_DEPENDS ${PROJECT_SOURCE_DIR}/src/c_api/leadkit.map
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)
# A C program needs only leadkit.h: the include directory, no C++ dependency.
target_include_directories(leadkit_shared INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
