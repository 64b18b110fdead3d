# Conan 2 recipe for nn. Dependencies come from Conan Center. Only OpenBLAS and zlib are linked;
# xtensor, xtensor-blas, fmt (used header-only) and nlohmann_json are private to the build, so
# they are not passed on to consumers. test_package/ is the same find_package(nn) consumer that
# the ctest tests `package_consumer_*` build against a plain `cmake --install`.
from conan import ConanFile
from conan.tools.cmake import CMake, CMakeToolchain, CMakeDeps, cmake_layout
from conan.tools.files import copy


class NnConan(ConanFile):
    name = "nn"
    version = "0.1.0"
    license = "MIT"
    description = "A C++ deep-learning library: tensors, autograd, Keras-like layers, MNIST tools"
    topics = ("deep-learning", "neural-networks", "mnist", "autograd")
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False]}
    default_options = {"shared": False, "fPIC": True}
    exports_sources = "CMakeLists.txt", "cmake/*", "include/*", "src/*", "!src/report/node_modules/*", "LICENSE"

    def requirements(self):
        self.requires("openblas/0.3.25")
        self.requires("zlib/1.3.1")
        # TensorBoard's event files are protobuf messages (protoc runs at build time).
        self.requires("protobuf/3.21.12")
        self.tool_requires("protobuf/3.21.12")
        # Header-only for nn, and private to it.
        self.requires("xtensor/0.24.7", transitive_headers=False, transitive_libs=False)
        self.requires("xtensor-blas/0.20.0", transitive_headers=False, transitive_libs=False)
        self.requires("fmt/10.2.1", transitive_headers=False, transitive_libs=False)
        self.requires("nlohmann_json/3.11.3", transitive_headers=False, transitive_libs=False)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def layout(self):
        cmake_layout(self)

    def generate(self):
        tc = CMakeToolchain(self)
        tc.variables["NN_BUILD_TESTS"] = False
        tc.variables["NN_BUILD_EXAMPLES"] = False
        tc.variables["NN_WITH_ONNX"] = "OFF"  # Conan Center has no ONNX package of onnx.proto's classes
        tc.variables["NN_BUILD_BENCHMARKS"] = False
        # Report pages inline npm packages (src/report), which Conan does not fetch.
        tc.variables["NN_WITH_REPORT"] = "OFF"
        # Conan Center's onednn is 3.x, whose API nn's oneDNN kernels (2.x) do not use: the
        # package's convolutions run on im2col + OpenBLAS.
        tc.variables["NN_WITH_ONEDNN"] = "OFF"
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        CMake(self).install()
        copy(self, "LICENSE", self.source_folder, self.package_folder + "/licenses")

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "nn")
        self.cpp_info.set_property("cmake_target_name", "nn::nn")
        self.cpp_info.libs = ["nn"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread", "m"]
