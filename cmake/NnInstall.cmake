include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS nn EXPORT nnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/nn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT nnTargets NAMESPACE nn:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/nn)
configure_package_config_file(cmake/nnConfig.cmake.in ${PROJECT_BINARY_DIR}/nnConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/nn)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nnConfig.cmake ${PROJECT_BINARY_DIR}/nnConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/nn)
