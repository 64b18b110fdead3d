// Writes the fuzz targets' starting corpus: valid seeds for the fuzzer to mutate, and the inputs
// behind each bug found so far (the regression corpus), which ctest replays in every build.
//   make_corpus DIR   ->  DIR/model_file/{seed,regression}-*.nn, DIR/idx/{seed,regression}-*.idx,
//                         DIR/image/{seed,regression}-*, DIR/request/{seed,regression}-*
// The committed corpus in fuzz/corpus was written by this program; inputs libFuzzer finds are
// added to it by hand (fuzz/README.md).
#include <png.h>
#include <sodium.h>
#include <turbojpeg.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "../tests/model_craft.hpp"
#include "nn/io/model_file.hpp"
#include "nn/nn.hpp"
#include "nn/vision/image.hpp"

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
  // A first layer declaring an input of 2^30 pixels: against the model's input, and with none.
  write("layer-input-shape-huge", [](json& h) {
    h["model"]["layers"][0]["config"]["input_shape"] = {1, 1 << 15, 1 << 15};
  });
  write("layer-input-shape-only", [](json& h) {
    h["model"]["input_shape"] = nullptr;
    h["model"]["layers"][0]["config"]["input_shape"] = {1, 1 << 15, 1 << 15};
  });
  {  // a Reshape whose target's product wraps around
    nn::Sequential m("reshaped");
    m.add<nn::Reshape>(nn::Shape{4});
    m.add<nn::Dense>(2);
    m.build({2, 2});
    const std::string path = (dir / "reshape.tmp").string();
    nn::save_model(m, path);
    nn::test::ModelParts p = nn::test::split_model(read_all(path));
    fs::remove(path);
    p.header["model"]["layers"][0]["config"]["target_shape"] = {2147483647, 2147483647, 2147483647, -1};
    write_all(dir / "regression-reshape-target-wraps.nn", nn::test::assemble_model(p));
  }
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

// A dark "7" on light paper, W x H, as 8-bit gray.
std::vector<uint8_t> seven(int w, int h) {
  std::vector<uint8_t> px(static_cast<size_t>(w * h), 235);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const bool bar = y >= h / 5 && y < h / 5 + h / 10 && x >= w / 4 && x < 3 * w / 4;
      const int diag = 3 * w / 4 - (y - h / 5) * w / (2 * h);  // the down stroke
      const bool stem = y >= h / 5 && y < 4 * h / 5 && x >= diag - w / 16 && x <= diag + w / 16;
      if (bar || stem) px[static_cast<size_t>(y * w + x)] = 30;
    }
  return px;
}

std::string png(const void* pixels, int w, int h, png_uint_32 format, const void* colormap = nullptr, int colors = 0) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = format;
  img.colormap_entries = static_cast<png_uint_32>(colors);
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&img, nullptr, &size, 0, pixels, 0, colormap);
  std::string out(size, '\0');
  png_image_write_to_memory(&img, out.data(), &size, 0, pixels, 0, colormap);
  out.resize(size);
  return out;
}

std::string jpeg(const std::vector<uint8_t>& px, int w, int h, int format, int subsampling) {
  tjhandle tj = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  tjCompress2(tj, px.data(), w, 0, h, format, &buf, &size, subsampling, 85, 0);
  std::string out(reinterpret_cast<char*>(buf), size);
  tjFree(buf);
  tjDestroy(tj);
  return out;
}

std::string le(uint32_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// An uncompressed 24-bit BMP (bottom-up rows, padded to 4 bytes).
std::string bmp(const std::vector<uint8_t>& gray, int w, int h) {
  const int row = (w * 3 + 3) / 4 * 4;
  std::string pixels;
  for (int y = h - 1; y >= 0; --y) {
    std::string r;
    for (int x = 0; x < w; ++x) r += std::string(3, static_cast<char>(gray[static_cast<size_t>(y * w + x)]));
    r.resize(static_cast<size_t>(row), '\0');
    pixels += r;
  }
  return "BM" + le(static_cast<uint32_t>(54 + pixels.size()), 4) + le(0, 4) + le(54, 4) + le(40, 4) + le(static_cast<uint32_t>(w), 4) +
         le(static_cast<uint32_t>(h), 4) + le(1, 2) + le(24, 2) + le(0, 4) + le(static_cast<uint32_t>(pixels.size()), 4) +
         le(2835, 4) + le(2835, 4) + le(0, 4) + le(0, 4) + pixels;
}

void image_corpus(const fs::path& dir) {
  const int w = 40, h = 48;
  const std::vector<uint8_t> g = seven(w, h);
  std::vector<uint8_t> ga, rgb, rgba, index;
  std::vector<uint16_t> wide;
  for (uint8_t v : g) {
    ga.insert(ga.end(), {v, static_cast<uint8_t>(v < 128 ? 255 : 0)});  // ink opaque, paper transparent
    rgb.insert(rgb.end(), {v, static_cast<uint8_t>(v / 2 + 60), v});
    rgba.insert(rgba.end(), {v, v, v, 200});
    wide.push_back(static_cast<uint16_t>(v * 257));
    index.push_back(v < 128 ? 1 : 0);
  }
  const uint8_t palette[6] = {250, 245, 230, 20, 20, 60};
  write_all(dir / "seed-gray.png", png(g.data(), w, h, PNG_FORMAT_GRAY));
  write_all(dir / "seed-gray-alpha.png", png(ga.data(), w, h, PNG_FORMAT_GA));
  write_all(dir / "seed-rgb.png", png(rgb.data(), w, h, PNG_FORMAT_RGB));
  write_all(dir / "seed-rgba.png", png(rgba.data(), w, h, PNG_FORMAT_RGBA));
  write_all(dir / "seed-16bit.png", png(wide.data(), w, h, PNG_FORMAT_LINEAR_Y));
  write_all(dir / "seed-palette.png", png(index.data(), w, h, PNG_FORMAT_RGB_COLORMAP, palette, 2));
  write_all(dir / "seed-gray.jpg", jpeg(g, w, h, TJPF_GRAY, TJSAMP_GRAY));
  write_all(dir / "seed-rgb.jpg", jpeg(rgb, w, h, TJPF_RGB, TJSAMP_420));
  write_all(dir / "seed-24bit.bmp", bmp(g, w, h));
  write_all(dir / "seed.pgm", "P5\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n" + std::string(g.begin(), g.end()));
  write_all(dir / "seed.ppm", "P6\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n" + std::string(rgb.begin(), rgb.end()));
  std::vector<float> mnist(28 * 28, 0.0f);
  for (int y = 6; y < 22; ++y) mnist[static_cast<size_t>(y * 28 + 14)] = 1.0f;
  write_all(dir / "seed-mnist-form.png", nn::vision::encode_png(nn::Tensor::from_vector({28, 28}, mnist)));
  // Regressions: no ink, one pixel, a header claiming 100000 x 100000, a cut file.
  write_all(dir / "regression-blank.png", png(std::vector<uint8_t>(64 * 64, 240).data(), 64, 64, PNG_FORMAT_GRAY));
  write_all(dir / "regression-one-pixel.png", png(g.data(), 1, 1, PNG_FORMAT_GRAY));
  std::string huge = read_all(dir / "seed-gray.png");
  const unsigned char dims[8] = {0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0};
  std::memcpy(huge.data() + 16, dims, 8);
  const auto crc = static_cast<uint32_t>(::crc32(::crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(huge.data() + 12), 17));
  for (int i = 0; i < 4; ++i) huge[static_cast<size_t>(29 + i)] = static_cast<char>((crc >> (24 - 8 * i)) & 0xff);
  write_all(dir / "regression-huge-header.png", huge);
  const std::string cut = read_all(dir / "seed-rgb.jpg");
  write_all(dir / "regression-truncated.jpg", cut.substr(0, cut.size() / 2));
  write_all(dir / "regression-bmp-huge.bmp", "BM" + le(54, 4) + le(0, 4) + le(54, 4) + le(40, 4) + le(0x7fffffff, 4) +
                                                 le(0x7fffffff, 4) + le(1, 2) + le(24, 2) + std::string(24, '\0'));
}

// Request bodies: the first byte picks the parser (fuzz_request.cpp).
void request_corpus(const fs::path& dir, const fs::path& images) {
  auto write = [&](const std::string& name, char parser, const std::string& body) {
    write_all(dir / name, std::string(1, parser) + body);
  };
  const std::string png_file = read_all(images / "seed-gray.png");
  std::string b64(sodium_base64_encoded_len(png_file.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(png_file.data()), png_file.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  b64.pop_back();  // the terminating NUL
  json row = json::array();
  for (int k = 0; k < 784; ++k) row.push_back((k % 7) / 6.0);
  json nested = json::array();
  for (int r = 0; r < 28; ++r) nested.push_back(json(std::vector<json>(row.begin() + r * 28, row.begin() + (r + 1) * 28)));
  write("seed-tf-rows", '\0', json{{"instances", {row, nested}}}.dump());
  write("seed-tf-columns", '\0', json{{"inputs", {{"images", {row}}}}}.dump());
  write("seed-tf-named", '\0', json{{"signature_name", "serving_default"}, {"instances", {{{"images", row}}}}}.dump());
  write("seed-tf-b64", '\0', json{{"instances", {{{"b64", b64}}}}}.dump());
  write("seed-kserve", '\1',
        json{{"id", "a"}, {"inputs", {{{"name", "images"}, {"shape", {1, 1, 28, 28}}, {"datatype", "FP32"}, {"data", row}}}}}.dump());
  write("seed-seed-json", '\2', json{{"image", row}}.dump());
  write("seed-image", '\3', png_file);
  write("seed-base64", '\4', b64);
  write("regression-deep", '\0', "{\"instances\": " + std::string(200, '[') + "1" + std::string(200, ']') + "}");
  write("regression-ragged", '\0', json{{"instances", {{1, {2, 3}}}}}.dump());
  write("regression-huge-number", '\2', "{\"image\": [1e400]}");
  write("regression-kserve-shape-lies", '\1',
        json{{"inputs", {{{"name", "x"}, {"shape", {4611686018427387904LL, 4}}, {"datatype", "FP32"}, {"data", {1}}}}}}.dump());
  write("regression-kserve-negative-shape", '\1',
        json{{"inputs", {{{"name", "x"}, {"shape", {-1, 784}}, {"datatype", "FP32"}, {"data", row}}}}}.dump());
  write("regression-base64-padding", '\4', "QQ=");
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
  fs::create_directories(root / "image");
  fs::create_directories(root / "request");
  model_seeds(root / "model_file", root);
  model_regressions(root / "model_file");
  idx_corpus(root / "idx");
  image_corpus(root / "image");
  request_corpus(root / "request", root / "image");
  std::printf("corpus written to %s\n", argv[1]);
  return 0;
}
