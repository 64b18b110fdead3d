// Writes the fuzz targets' starting corpus: valid seeds for the fuzzer to mutate, and the inputs
// behind each bug found so far (the regression corpus), which ctest replays in every build.
//   make_corpus DIR   ->  DIR/model_file/{seed,regression}-*.nn, DIR/idx/{seed,regression}-*.idx
// The committed corpus in fuzz/corpus was written by this program; inputs libFuzzer finds are
// added to it by hand (fuzz/README.md).
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "../tests/model_craft.hpp"
#include "nn/io/model_file.hpp"
#include "nn/nn.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_all(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string gzip(const std::string& raw) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, raw.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string idx(uint8_t type, std::vector<uint32_t> dims, const std::string& payload) {
  std::string s{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) s += be32(d);
  return s + payload;
}

void model_seeds(const fs::path& dir, const fs::path& tmp) {
  auto save = [&](nn::Sequential& m, const std::string& name) { nn::save_model(m, (dir / name).string()); };
  nn::manual_seed(1);
  {
    nn::Sequential m("softmax");
    m.add<nn::Flatten>();
    m.add<nn::Dense>(3, "softmax");
    m.build({1, 2, 2});
    save(m, "seed-uncompiled.nn");
    m.compile(std::make_shared<nn::SGD>(0.1f, 0.9f, true), "sparse_categorical_crossentropy", {"accuracy"});
    m.train_on_batch(nn::Tensor::ones({2, 1, 2, 2}), nn::Tensor::from_vector({2}, {0, 2}));
    save(m, "seed-softmax-sgd.nn");
    nn::io::save_weights(m, (dir / "seed-weights-only.nn").string());
  }
  {
    nn::Sequential m("mlp");
    m.add<nn::Dense>(4, "relu");
    m.add<nn::Dropout>(0.2f, 7);
    m.add<nn::Dense>(2, "tanh");
    m.add<nn::Activation>("sigmoid");
    m.add<nn::Dense>(3);
    m.add<nn::Softmax>();
    m.build({5});
    m.compile(std::make_shared<nn::Adam>(0.01f), "categorical_crossentropy", {"accuracy"});
    save(m, "seed-mlp-adam.nn");
  }
  {
    nn::Sequential m("cnn");
    m.add<nn::Conv2D>(2, 3, "same", "relu");
    m.add<nn::MaxPool2D>(2);
    m.add<nn::Conv2D>(nn::Conv2DOptions(2, 2).strides({2, 1}).padding(nn::Padding::values(1, 0)).use_bias(false));
    m.add<nn::ReLU>();
    m.add<nn::Flatten>();
    m.add<nn::Dense>(2, "softmax");
    m.build({1, 6, 6});
    m.compile(std::make_shared<nn::Adam>(), "sparse_categorical_crossentropy", {"accuracy"});
    m.train_on_batch(nn::Tensor::ones({1, 1, 6, 6}), nn::Tensor::from_vector({1}, {1}));
    save(m, "seed-cnn.nn");
  }
  (void)tmp;
  // The same files in the target's second form, "<header JSON>\0<data>".
  for (const char* name : {"seed-uncompiled.nn", "seed-softmax-sgd.nn", "seed-mlp-adam.nn", "seed-cnn.nn"}) {
    const nn::test::ModelParts p = nn::test::split_model(read_all(dir / name));
    write_all(dir / (std::string(name) + ".json"), p.header.dump() + std::string(1, '\0') + p.data);
  }
}

// The inputs behind the loader's bugs: each passes the checksum and lies in its header.
void model_regressions(const fs::path& dir) {
  const nn::test::ModelParts base = nn::test::split_model(read_all(dir / "seed-cnn.nn"));
  auto write = [&](const std::string& name, const std::function<void(json&)>& lie) {
    nn::test::ModelParts p = base;
    lie(p.header);
    write_all(dir / ("regression-" + name + ".nn"), nn::test::assemble_model(p));
  };
  write("conv-kernel-2p31", [](json& h) {
    h["model"]["layers"][0]["config"]["kernel_size"] = {1LL << 31, 1LL << 31};
  });
  write("conv-kernel-wraps", [](json& h) {
    h["model"]["layers"][0]["config"]["filters"] = 2147483647;
    h["model"]["layers"][0]["config"]["kernel_size"] = {2147483647, 2147483647};
  });
  write("dense-2p62-units", [](json& h) { h["model"]["layers"][5]["config"]["units"] = 1LL << 62; });
  write("dense-1e6-units", [](json& h) { h["model"]["layers"][5]["config"]["units"] = 1000000; });
  write("input-shape-huge", [](json& h) { h["model"]["input_shape"] = {1, 1 << 30, 1 << 30}; });
  write("input-shape-wraps", [](json& h) {
    h["model"]["input_shape"] = {2147483647, 2147483647, 2147483647};
  });
  write("tensors-overlap", [](json& h) { h["tensors"][1]["offset"] = h["tensors"][0]["offset"]; });
  write("tensor-unaligned",
        [](json& h) { h["tensors"][1]["offset"] = h["tensors"][1]["offset"].get<int64_t>() + 2; });
  write("weight-is-optimizer-state", [](json& h) { h["weights"][0]["tensor"] = h["tensors"].size() - 1; });
  write("negative-iterations", [](json& h) { h["compile"]["optimizer_state"]["iterations"] = -1; });
  write("negative-weight-decay", [](json& h) { h["compile"]["optimizer"]["config"]["weight_decay"] = -1.0; });
  write("from-logits-on-softmax", [](json& h) { h["compile"]["loss"]["from_logits"] = true; });
  write("no-metrics", [](json& h) { h["compile"]["metrics"] = json::array(); });
  write("unsigned-beyond-int64",
        [](json& h) { h["model"]["layers"][5]["config"]["units"] = 18446744073709551615ull; });
  write("float-offset", [](json& h) { h["tensors"][0]["offset"] = 1e300; });
  write("negative-extent", [](json& h) { h["tensors"][0]["shape"] = {-1, 4}; });
  write("padding-huge",
        [](json& h) { h["model"]["layers"][2]["config"]["padding"] = "9223372036854775807,1"; });
  write("stride-huge", [](json& h) {
    h["model"]["layers"][2]["config"]["strides"] = {9223372036854775807LL, 1};
  });
  write_all(dir / "regression-header-not-object.nn", nn::test::assemble_model("[1,2,3]", ""));
  std::string lie = nn::test::assemble_model("{}", "");
  lie[19] = '\x7f';  // a header length of 2^63-ish
  write_all(dir / "regression-header-length.nn", lie);
}

void idx_corpus(const fs::path& dir) {
  const std::string images =
      idx(0x08, {3, 2, 2}, std::string("\x00\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xff", 12));
  write_all(dir / "seed-ubyte.idx", images);
  write_all(dir / "seed-ubyte.idx.gz", gzip(images));
  write_all(dir / "seed-labels.idx", idx(0x08, {3}, std::string("\x01\x07\x09", 3)));
  write_all(dir / "seed-int32.idx", idx(0x0C, {2}, be32(5) + be32(0x80000000)));
  write_all(dir / "seed-float32.idx", idx(0x0D, {1, 2}, be32(0x3f800000) + be32(0x7fc00000)));
  write_all(dir / "seed-float64.idx", idx(0x0E, {1}, std::string("\x3f\xf0\0\0\0\0\0\0", 8)));
  write_all(dir / "seed-int16.idx", idx(0x0B, {2}, std::string("\x80\x00\x7f\xff", 4)));
  write_all(dir / "seed-two-members.idx.gz", gzip(images.substr(0, 7)) + gzip(images.substr(7)));
  write_all(dir / "regression-trailing.idx", images + "zz");
  write_all(dir / "regression-truncated.idx", images.substr(0, images.size() - 3));
  write_all(dir / "regression-claims-more-than-gzip-holds.idx.gz", gzip(idx(0x08, {1u << 24, 64}, "abc")));
  write_all(dir / "regression-gzip-expands-past-header.idx.gz", gzip(images + std::string(1 << 20, '\0')));
  write_all(dir / "regression-extent-negative.idx", idx(0x08, {0x80000000u}, ""));
  write_all(dir / "regression-product-wraps.idx", idx(0x0E, {0x7fffffffu, 0x7fffffffu, 0x7fffffffu}, ""));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const fs::path root(argv[1]);
  fs::create_directories(root / "model_file");
  fs::create_directories(root / "idx");
  model_seeds(root / "model_file", root);
  model_regressions(root / "model_file");
  idx_corpus(root / "idx");
  std::printf("corpus written to %s\n", argv[1]);
  return 0;
}
