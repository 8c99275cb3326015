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
# executable may have: local-exec thread-locals, absolute 32-bit addresses, or addresses
# relative to the code of data another library holds (a C++ stream's vtable, glibc's
# stderr; Abseil's own data, the exception personality's reference and section-relative
# ones are fine). Such objects
# are compiled again, position-independent, from an Abseil source tree of the installed
# version (LEADKIT_ABSL_SOURCE_DIR; scripts/absl-source unpacks Debian's into
# build/deps/abseil), against the installed headers; their archives' other objects are
# linked as they are. Without that source, the library links Abseil's shared libraries.
# build/deps/abseil serves only while it is the source of the installed version (its
# .debian-version is what dpkg says libabsl-dev is), and by default only for the Abseil
# releases this was built and tested with (the objects to compile again, and the flags they
# need, differ from release to release), on x86-64; set LEADKIT_ABSL_SOURCE_DIR to try
# another.
set(LEADKIT_ABSL_RECOMPILE_TESTED 20220623)
set(_absl_source_default "")
set(_absl_tree "${PROJECT_SOURCE_DIR}/build/deps/abseil")
find_program(LEADKIT_DPKG_QUERY dpkg-query)
if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  # The relocations below are x86-64's: elsewhere the archives go in whole or not at all.
elseif(NOT absl_VERSION IN_LIST LEADKIT_ABSL_RECOMPILE_TESTED)
  if(EXISTS "${_absl_tree}/absl")
    message(STATUS "Abseil ${absl_VERSION}: ${_absl_tree} not used by default (compiling "
                   "Abseil's objects again is tested with ${LEADKIT_ABSL_RECOMPILE_TESTED})")
  endif()
elseif(EXISTS "${_absl_tree}/absl" AND EXISTS "${_absl_tree}/.debian-version" AND
   LEADKIT_DPKG_QUERY)
  file(STRINGS "${_absl_tree}/.debian-version" _absl_tree_version LIMIT_COUNT 1)
  execute_process(COMMAND ${LEADKIT_DPKG_QUERY} -W "-f=\${Version}" libabsl-dev
    OUTPUT_VARIABLE _absl_installed_version ERROR_QUIET)
  if(_absl_tree_version STREQUAL _absl_installed_version)
    set(_absl_source_default "${_absl_tree}")
  else()
    message(STATUS "${_absl_tree} holds Abseil ${_absl_tree_version}, not the installed "
                   "${_absl_installed_version}: not used (scripts/absl-source)")
  endif()
endif()
set(LEADKIT_ABSL_SOURCE_DIR "${_absl_source_default}" CACHE PATH
    "An Abseil source tree of the installed version, for the objects of its archives that cannot go into a shared object")
set(_leadkit_bad_relocation "R_X86_64_TPOFF32|R_X86_64_32S? |R_AARCH64_TLSLE_")
set(LEADKIT_SHARED_ABSL static)
set(_absl_pic_sources)
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
  if(NOT _relocations MATCHES "${_leadkit_bad_relocation}" AND
     NOT _relocations MATCHES "R_X86_64_PC32 +[0-9a-f]+ [^.\n]")
    continue()
  endif()
  # The archive's members that hold such relocations, each to its one source file.
  string(REPLACE ";" "," _relocations "${_relocations}")
  string(REPLACE "\n" ";" _lines "${_relocations}")
  set(_member "")
  set(_bad_members)
  foreach(_line IN LISTS _lines)
    if(_line MATCHES "^File: .*\\(([^()]+)\\)$")
      set(_member "${CMAKE_MATCH_1}")
    elseif(NOT _member)
      continue()
    elseif(_line MATCHES "${_leadkit_bad_relocation}")
      list(APPEND _bad_members "${_member}")
    elseif(_line MATCHES "R_X86_64_PC32 +[0-9a-f]+ ([^ ]+)")
      set(_symbol "${CMAKE_MATCH_1}")
      if(NOT _symbol MATCHES "^\\.|^DW\\.ref\\.|absl|^__dso_handle$")
        list(APPEND _bad_members "${_member}")
      endif()
    endif()
  endforeach()
  list(REMOVE_DUPLICATES _bad_members)
  foreach(_member IN LISTS _bad_members)
    string(REGEX REPLACE "\\.o$" "" _name "${_member}")
    set(_found)
    if(LEADKIT_ABSL_SOURCE_DIR)
      file(GLOB_RECURSE _found "${LEADKIT_ABSL_SOURCE_DIR}/absl/${_name}")
    endif()
    list(LENGTH _found _count)
    if(NOT _count EQUAL 1)
      set(LEADKIT_SHARED_ABSL shared)
      if(LEADKIT_ABSL_SOURCE_DIR)
        set(_why "LEADKIT_ABSL_SOURCE_DIR has no single ${_name} to compile again")
      else()
        set(_why "no Abseil source to compile it again from (LEADKIT_ABSL_SOURCE_DIR)")
      endif()
      message(STATUS "libleadkit.so links Abseil's shared libraries: ${_archive}(${_member}) "
                     "cannot go into a shared object (built for executables only) and ${_why}")
      break()
    endif()
    list(APPEND _absl_pic_sources ${_found})
  endforeach()
  if(LEADKIT_SHARED_ABSL STREQUAL "shared")
    break()
  endif()
endforeach()
if(LEADKIT_SHARED_ABSL STREQUAL "static" AND _absl_pic_sources)
  # Compiled as Debian compiles Abseil (C++17, assertions on), against the installed headers only (their
  # options.h names the inline namespace): the same symbols as the archives' objects they
  # stand in for, which are then never pulled in.
  add_library(leadkit_absl_pic OBJECT ${_absl_pic_sources})
  target_link_libraries(leadkit_absl_pic PRIVATE ${_leadkit_absl})
  # Debian compiles Abseil with its assertions (no NDEBUG): so do these.
  target_compile_options(leadkit_absl_pic PRIVATE -UNDEBUG)
  set_target_properties(leadkit_absl_pic PROPERTIES
    CXX_STANDARD 17
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  list(LENGTH _absl_pic_sources _count)
  message(STATUS "libleadkit.so carries Abseil; ${_count} of its source files compiled "
                 "again position-independent from ${LEADKIT_ABSL_SOURCE_DIR}")
endif()

add_library(leadkit_shared SHARED $<TARGET_OBJECTS:leadkit_c_api>)
if(TARGET leadkit_absl_pic)
  target_sources(leadkit_shared PRIVATE $<TARGET_OBJECTS:leadkit_absl_pic>)
endif()
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
