# Every dependency comes from the system (Debian packages). A parent project that already
# defines a target keeps its own copy.
find_package(Threads REQUIRED)
if(NOT TARGET absl::status)
  find_package(absl REQUIRED)
endif()
if(NOT TARGET date::date-tz)
  # Debian's libhowardhinnant-date-dev: date-tz reads the system tz database (USE_OS_TZDB).
  find_package(date REQUIRED)
endif()
if(NOT TARGET nlohmann_json::nlohmann_json)
  find_package(nlohmann_json 3.10 REQUIRED)
endif()
