# Every dependency comes from the system (Debian packages). A parent project that already
# defines a target keeps its own copy.
find_package(Threads REQUIRED)
if(NOT TARGET absl::status)
  find_package(absl REQUIRED)
endif()
if(NOT TARGET date::date)
  # Debian's libhowardhinnant-date-dev: only its header-only civil calendar (date.h,
  # iso_week.h). Time zones are read through Abseil (src/tz.cc).
  find_package(date REQUIRED)
endif()
if(NOT TARGET nlohmann_json::nlohmann_json)
  find_package(nlohmann_json 3.10 REQUIRED)
endif()
