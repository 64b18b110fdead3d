include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# nn::nn, and the components (nn::vision, nn::serving, nn::report, ...), each in its own export set so that the
# package config can offer a component only where its libraries are present.
install(TARGETS nn EXPORT nnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS nn_vision EXPORT nnVisionTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS nn_serving EXPORT nnServingTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
set(nn_export_sets nnTargets nnVisionTargets nnServingTargets)
if(NN_CUDA_ENABLED)
  install(TARGETS nn_cuda EXPORT nnCudaTargets)
  list(APPEND nn_export_sets nnCudaTargets)
endif()
if(NN_MPI_ENABLED)
  install(TARGETS nn_distributed EXPORT nnMpiTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  list(APPEND nn_export_sets nnMpiTargets)
endif()
set(NN_REPORT_ENABLED FALSE)
if(TARGET nn_report)
  set(NN_REPORT_ENABLED TRUE)
  install(TARGETS nn_report EXPORT nnReportTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  list(APPEND nn_export_sets nnReportTargets)
endif()
if(NN_ONNX_ENABLED)
  install(TARGETS nn_onnx EXPORT nnOnnxTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  list(APPEND nn_export_sets nnOnnxTargets)
endif()
install(DIRECTORY include/nn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(set ${nn_export_sets})
  install(EXPORT ${set} NAMESPACE nn:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/nn)
endforeach()
configure_package_config_file(cmake/nnConfig.cmake.in ${PROJECT_BINARY_DIR}/nnConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/nn)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nnConfig.cmake ${PROJECT_BINARY_DIR}/nnConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/nn)
