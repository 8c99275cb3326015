include(CMakePackageConfigHelpers)
install(TARGETS leadkit EXPORT leadkitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(LEADKIT_SHARED)
  # libleadkit.so and its SOVERSION link, as leadkit::shared (the C ABI, leadkit.h).
  install(TARGETS leadkit_shared EXPORT leadkitTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY include/leadkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(_cfgdir ${CMAKE_INSTALL_LIBDIR}/cmake/leadkit)
install(EXPORT leadkitTargets NAMESPACE leadkit:: DESTINATION ${_cfgdir})
configure_package_config_file(cmake/leadkitConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/leadkitConfig.cmake INSTALL_DESTINATION ${_cfgdir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/leadkitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/leadkitConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/leadkitConfigVersion.cmake DESTINATION ${_cfgdir})
