# ONNX's operator conformance tests (Debian: libonnx-testdata) run through haqm's public kernel API.

# ONNXConfig.cmake links onnx_proto to protobuf::libprotobuf without looking for Protobuf itself;
# CMake's FindProtobuf module defines that target.
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)

set(HAQM_ONNX_NODE_TEST_DIR /usr/share/libonnx-testdata/data/node CACHE PATH
    "ONNX node conformance tests (model.onnx and test_data_set_* per test)")

add_executable(onnx_conformance_test onnx_conformance_test.cpp)
# The test list is read from this directory when the binary starts (also at test discovery).
target_compile_definitions(onnx_conformance_test PRIVATE HAQM_ONNX_NODE_TEST_DIR="${HAQM_ONNX_NODE_TEST_DIR}")
# Only ONNX's protobuf messages are used: onnx_proto brings them with ONNX_NAMESPACE=onnx, ONNX_ML=1
# and the include path; libonnx (checker, shape inference) is not needed.
target_link_libraries(onnx_conformance_test PRIVATE haqm GTest::gtest_main onnx_proto protobuf::libprotobuf)

# One ctest entry per ONNX test, e.g. Onnx/OnnxNodeTest.MatchesOnnxReference/test_qlinearmatmul_2D.
gtest_discover_tests(onnx_conformance_test DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 120)
# All of them in one process as well, whose last line is the count for docs/conformance.md:
# "ONNX conformance: P of T tests pass exactly; F of G float tests pass within quantization error; ...".
add_test(NAME onnx_conformance_summary COMMAND onnx_conformance_test)
