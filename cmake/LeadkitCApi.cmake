# leadkit_c_api: the C ABI of include/leadkit/leadkit.h and its Arrow importer (src/c_api/),
# compiled once. libleadkit.so (LeadkitShared.cmake) is made of these objects; the Python
# extension links them too (bindings/CMakeLists.txt), so that an Arrow stream handed to
# leadkit._core is read by the same code as one handed to lk_classify_arrow.
add_library(leadkit_c_api OBJECT
  src/c_api/arrow.cc
  src/c_api/audit_arrow.cc
  src/c_api/backtest_arrow.cc
  src/c_api/c_api.cc
  src/c_api/classify_arrow.cc
  src/c_api/kpi_arrow.cc
  src/c_api/cadence.cc
  src/c_api/lost_analysis_arrow.cc
  src/c_api/router.cc
  src/c_api/profile_arrow.cc
  src/c_api/traffic_arrow.cc
  src/c_api/schedule_arrow.cc
  src/c_api/scope.cc
  src/c_api/effectiveness_arrow.cc
  src/c_api/pipeline_arrow.cc)
target_link_libraries(leadkit_c_api PRIVATE leadkit nlohmann_json::nlohmann_json)
target_include_directories(leadkit_c_api PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(leadkit_c_api PRIVATE LEADKIT_VERSION_STRING="${PROJECT_VERSION}")
set_target_properties(leadkit_c_api PROPERTIES
  CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(leadkit_c_api PRIVATE -Wall -Wextra -Wno-missing-field-initializers)
endif()

