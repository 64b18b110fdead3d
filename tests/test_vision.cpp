// nn::vision: decoding every supported format through its library, and a person's image of a
// digit brought into MNIST's form.
#include <doctest/doctest.h>

#include <png.h>
#include <turbojpeg.h>
#include <zlib.h>

#include <cstdio>  // before jpeglib.h, which needs FILE
#include <jpeglib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "nn/nn.hpp"
#include "nn/vision/image.hpp"
#include "nn/vision/mnist_form.hpp"

using namespace nn;
using namespace nn::vision;

namespace {

// An RGBA canvas, filled with one colour.
Image canvas(int64_t w, int64_t h, uint8_t r, uint8_t g, uint8_t b, uint8_t a = 255) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgba.resize(static_cast<size_t>(w * h * 4));
  for (int64_t i = 0; i < w * h; ++i) {
    img.rgba[static_cast<size_t>(4 * i)] = r;
    img.rgba[static_cast<size_t>(4 * i + 1)] = g;
    img.rgba[static_cast<size_t>(4 * i + 2)] = b;
    img.rgba[static_cast<size_t>(4 * i + 3)] = a;
  }
  return img;
}

// A thick stroke from (x0, y0) to (x1, y1) in the given colour.
void stroke(Image& img, double x0, double y0, double x1, double y1, double width, uint8_t v, uint8_t a = 255) {
  const double len = std::hypot(x1 - x0, y1 - y0);
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x) {
      const double t = len > 0 ? std::clamp(((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / (len * len), 0.0, 1.0) : 0.0;
      if (std::hypot(x - (x0 + t * (x1 - x0)), y - (y0 + t * (y1 - y0))) <= width / 2) {
        uint8_t* p = &img.rgba[static_cast<size_t>(4 * (y * img.width + x))];
        p[0] = p[1] = p[2] = v;
        p[3] = a;
      }
    }
}

// A "7" whose bounding box is (x, y, size, size) of img.
void seven(Image& img, double x, double y, double size, uint8_t v, uint8_t a = 255) {
  stroke(img, x, y, x + size, y, size / 8, v, a);
  stroke(img, x + size, y, x + size * 0.4, y + size, size / 8, v, a);
}

struct Moments {
  double mass = 0, cx = 0, cy = 0;
  int64_t x0 = 28, y0 = 28, x1 = -1, y1 = -1;
};
Moments moments(const Tensor& t) {
  Moments m;
  const auto v = t.to_vector();
  for (int64_t y = 0; y < 28; ++y)
    for (int64_t x = 0; x < 28; ++x) {
      const double p = v[static_cast<size_t>(y * 28 + x)];
      m.mass += p, m.cx += p * (x + 0.5), m.cy += p * (y + 0.5);
      if (p > 0.1) m.x0 = std::min(m.x0, x), m.y0 = std::min(m.y0, y), m.x1 = std::max(m.x1, x), m.y1 = std::max(m.y1, y);
    }
  m.cx /= m.mass, m.cy /= m.mass;
  return m;
}

double correlation(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector(), y = b.to_vector();
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(x.size()), my /= static_cast<double>(y.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx), syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

std::string png_bytes(const void* pixels, png_uint_32 w, png_uint_32 h, png_uint_32 format, const void* colormap = nullptr,
                      png_uint_32 colors = 0) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = w, img.height = h, img.format = format, img.colormap_entries = colors;
  png_alloc_size_t size = 0;
  REQUIRE(png_image_write_to_memory(&img, nullptr, &size, 0, pixels, 0, colormap));
  std::string out(size, '\0');
  REQUIRE(png_image_write_to_memory(&img, out.data(), &size, 0, pixels, 0, colormap));
  out.resize(size);
  return out;
}

void check_rgba(const Image& img, size_t pixel, int r, int g, int b, int a, int tolerance = 0) {
  CAPTURE(pixel);
  CHECK(std::abs(img.rgba[4 * pixel] - r) <= tolerance);
  CHECK(std::abs(img.rgba[4 * pixel + 1] - g) <= tolerance);
  CHECK(std::abs(img.rgba[4 * pixel + 2] - b) <= tolerance);
  CHECK(std::abs(img.rgba[4 * pixel + 3] - a) <= tolerance);
}

}  // namespace

TEST_CASE("PNG in every colour type and depth decodes to RGBA") {
  const uint8_t gray[4] = {0, 85, 170, 255};
  Image g = decode_image(png_bytes(gray, 2, 2, PNG_FORMAT_GRAY), "gray.png");
  CHECK(g.width == 2);
  check_rgba(g, 1, 85, 85, 85, 255);
  const uint8_t ga[4] = {10, 0, 200, 128};
  check_rgba(decode_image(png_bytes(ga, 2, 1, PNG_FORMAT_GA), "ga.png"), 1, 200, 200, 200, 128);
  const uint8_t rgb[6] = {255, 0, 0, 0, 0, 255};
  check_rgba(decode_image(png_bytes(rgb, 2, 1, PNG_FORMAT_RGB), "rgb.png"), 1, 0, 0, 255, 255);
  const uint8_t rgba[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  check_rgba(decode_image(png_bytes(rgba, 2, 1, PNG_FORMAT_RGBA), "rgba.png"), 1, 5, 6, 7, 8);
  const uint16_t wide[2] = {0, 65535};  // 16-bit linear gray
  check_rgba(decode_image(png_bytes(wide, 2, 1, PNG_FORMAT_LINEAR_Y), "16bit.png"), 1, 255, 255, 255, 255);
  const uint8_t palette[6] = {0, 128, 0, 200, 10, 10}, index[3] = {1, 0, 1};
  const Image p = decode_image(png_bytes(index, 3, 1, PNG_FORMAT_RGB_COLORMAP, palette, 2), "palette.png");
  check_rgba(p, 0, 200, 10, 10, 255);
  check_rgba(p, 1, 0, 128, 0, 255);
}

// A 16 x 16 JPEG through TurboJPEG (4:4:4), from pixels in the given format.
std::string tj_jpeg(const std::vector<uint8_t>& px, TJPF format, int quality) {
  tjhandle tj = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long jpeg_size = 0;
  REQUIRE(tjCompress2(tj, px.data(), 16, 0, 16, format, &jpeg, &jpeg_size, TJSAMP_444, quality, 0) == 0);
  const std::string bytes(reinterpret_cast<char*>(jpeg), jpeg_size);
  tjFree(jpeg);
  tjDestroy(tj);
  return bytes;
}

TEST_CASE("JPEG, BMP and binary PGM/PPM decode") {
  const std::string jpg = tj_jpeg(std::vector<uint8_t>(16 * 16 * 3, 200), TJPF_RGB, 95);
  const Image j = decode_image(jpg, "x.jpg");
  CHECK(j.width == 16);
  check_rgba(j, 100, 200, 200, 200, 255, 3);
  CHECK_THROWS_WITH_AS(decode_image(jpg.substr(0, jpg.size() / 2), "half.jpg"), doctest::Contains("half.jpg: corrupt"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(decode_image(jpg.substr(0, jpg.size() - 12), "cut.jpg"),
                       doctest::Contains("cut.jpg: corrupt or truncated JPEG"), std::runtime_error);

  const std::string pgm = std::string("P5\n2 1\n255\n") + std::string("\x10\xf0", 2);
  check_rgba(decode_image(pgm, "x.pgm"), 1, 240, 240, 240, 255);
  const std::string ppm = std::string("P6 1 1 255\n") + std::string("\x01\x02\x03", 3);
  check_rgba(decode_image(ppm, "x.ppm"), 0, 1, 2, 3, 255);
  check_rgba(decode_image(std::string("P5 # a comment\n1 1 255\n\x7f"), "c.pgm"), 0, 127, 127, 127, 255);
  // stb reads past the end of a short 16-bit file (a fuzzer found it): the header is checked first.
  CHECK_THROWS_WITH_AS(decode_image(std::string("P624\t43224\t43224\0\t\0\0\0", 21), "deep.ppm"),
                       doctest::Contains("deep.ppm: PGM/PPM with maximum value 43224: only 8-bit samples"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(decode_image(std::string("P6 4 4 255\n") + std::string(47, '\x01'), "short.ppm"),
                       doctest::Contains("short.ppm: truncated PGM/PPM: 4 x 4 pixels need 48 bytes, the file holds 47"),
                       std::runtime_error);
  // A 1 x 1 24-bit BMP: file header, BITMAPINFOHEADER, one BGR pixel padded to 4 bytes.
  std::string bmp = "BM";
  auto le = [&](uint32_t v, int n) {
    for (int i = 0; i < n; ++i) bmp.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  le(58, 4), le(0, 4), le(54, 4), le(40, 4), le(1, 4), le(1, 4), le(1, 2), le(24, 2), le(0, 4), le(4, 4);
  le(2835, 4), le(2835, 4), le(0, 4), le(0, 4);
  bmp += std::string("\x30\x20\x10\x00", 4);
  check_rgba(decode_image(bmp, "x.bmp"), 0, 0x10, 0x20, 0x30, 255);
}

namespace {

// Four 8 x 8 quadrants of these colours, as inverted CMYK (255: no ink), the way Adobe's
// applications write CMYK JPEGs: k' = max(r, g, b), c' = 255 r / k', ...
const uint8_t kQuadrants[4][3] = {{255, 255, 255}, {20, 20, 20}, {220, 40, 30}, {30, 90, 200}};

std::vector<uint8_t> quadrants_cmyk() {
  std::vector<uint8_t> px(16 * 16 * 4);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      const uint8_t* rgb = kQuadrants[(y / 8) * 2 + x / 8];
      const int k = std::max({rgb[0], rgb[1], rgb[2]});
      uint8_t* p = &px[static_cast<size_t>((y * 16 + x) * 4)];
      for (int c = 0; c < 3; ++c) p[c] = static_cast<uint8_t>(k == 0 ? 255 : (rgb[c] * 255 + k / 2) / k);
      p[3] = static_cast<uint8_t>(k);
    }
  return px;
}

// A plain (untransformed) CMYK JPEG, through libjpeg itself: TurboJPEG writes only YCCK.
std::string cmyk_jpeg(const std::vector<uint8_t>& px) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &out, &size);
  c.image_width = 16;
  c.image_height = 16;
  c.input_components = 4;
  c.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, JCS_CMYK);  // stored as CMYK, with Adobe's marker (transform 0)
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  for (int y = 0; y < 16; ++y) {
    JSAMPROW row = const_cast<uint8_t*>(&px[static_cast<size_t>(y * 16 * 4)]);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string bytes(reinterpret_cast<char*>(out), size);
  std::free(out);
  return bytes;
}

}  // namespace

TEST_CASE("CMYK and YCCK JPEGs decode to their colours") {
  const std::vector<uint8_t> px = quadrants_cmyk();
  const std::string ycck = tj_jpeg(px, TJPF_CMYK, 100);  // TurboJPEG writes CMYK as YCCK
  for (const auto& [name, bytes] : {std::pair<std::string, std::string>{"cmyk.jpg", cmyk_jpeg(px)}, {"ycck.jpg", ycck}}) {
    CAPTURE(name);
    // What the file says it holds, read back by TurboJPEG itself.
    tjhandle d = tjInitDecompress();
    int w = 0, h = 0, subsamp = 0, colorspace = -1;
    REQUIRE(tjDecompressHeader3(d, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), &w, &h, &subsamp,
                                &colorspace) == 0);
    tjDestroy(d);
    CHECK(colorspace == (name == "cmyk.jpg" ? TJCS_CMYK : TJCS_YCCK));
    const Image img = decode_image(bytes, name);
    REQUIRE(img.width == 16);
    for (int q = 0; q < 4; ++q) {
      const int64_t at = (q / 2 * 8 + 4) * 16 + (q % 2) * 8 + 4;  // the quadrant's middle
      CAPTURE(q);
      check_rgba(img, static_cast<size_t>(at), kQuadrants[q][0], kQuadrants[q][1], kQuadrants[q][2], 255, 6);
    }
  }
}

TEST_CASE("a pixel budget bounds the pixels decoded at once across threads") {
  // 64 x 64 PNGs (4096 pixels) decoded by 4 threads, 6 each, with room for two at a time: never
  // more than two are held at once, every decode succeeds, and the budget is free at the end.
  std::vector<uint8_t> px(64 * 64, 128);
  const std::string png = png_bytes(px.data(), 64, 64, PNG_FORMAT_GRAY);
  PixelBudget budget(2 * 4096);
  DecodeOptions o;
  o.budget = &budget;
  std::atomic<int> decoded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int k = 0; k < 6; ++k) {
        const Image img = decode_image(png, "p.png", o);
        CHECK(budget.in_use() <= 2 * 4096);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // held while it lives
        decoded += img.width == 64;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(decoded == 24);
  CHECK(budget.peak() == 2 * 4096);
  CHECK(budget.in_use() == 0);
  // A full budget: a decode waits, then fails naming the file and the figures.
  o.budget_wait = std::chrono::milliseconds(50);
  const Image a = decode_image(png, "a.png", o), b = decode_image(png, "b.png", o);
  CHECK_THROWS_WITH_AS(decode_image(png, "c.png", o),
                       doctest::Contains("c.png: 4096 pixels to decode, and 8192 of the 8192 that may be decoded at once "
                                         "are in use after waiting 50 ms"),
                       DecodeBudgetError);
  // An image larger than the whole budget takes all of it once the others are gone.
  PixelBudget small(1000);
  o.budget = &small;
  const Image big = decode_image(png, "big.png", o);
  CHECK(small.in_use() == 1000);
  CHECK_THROWS_AS(PixelBudget(0), std::invalid_argument);
}

TEST_CASE("bad image files get an error naming the file, before anything large is allocated") {
  const uint8_t px[4] = {0, 85, 170, 255};
  const std::string png = png_bytes(px, 2, 2, PNG_FORMAT_GRAY);
  CHECK_THROWS_WITH_AS(decode_image(png.substr(0, png.size() - 20), "cut.png"),
                       doctest::Contains("cut.png: corrupt or truncated PNG"), std::runtime_error);
  CHECK_THROWS_WITH_AS(decode_image("hello, world", "note.txt"), doctest::Contains("note.txt: not an image"),
                       std::runtime_error);
  DecodeOptions small;
  small.max_pixels = 3;
  CHECK_THROWS_WITH_AS(decode_image(png, "big.png", small), doctest::Contains("larger than the limit of 3 pixels"),
                       ImageTooLargeError);
  // A header that claims 100000 x 100000 pixels: refused from the header alone.
  std::string huge = png;
  const unsigned char dims[8] = {0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0};
  std::memcpy(huge.data() + 16, dims, 8);  // IHDR width and height
  const uint32_t crc = static_cast<uint32_t>(::crc32(::crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(huge.data() + 12), 17));
  for (int i = 0; i < 4; ++i) huge[static_cast<size_t>(29 + i)] = static_cast<char>((crc >> (24 - 8 * i)) & 0xff);
  CHECK_THROWS_WITH_AS(decode_image(huge, "huge.png"), doctest::Contains("larger than the limit of 40000000 pixels"),
                       ImageTooLargeError);
}

TEST_CASE("a 28 x 28 image already in MNIST's form passes through unchanged") {
  Image img = canvas(28, 28, 0, 0, 0);
  for (int i = 0; i < 28 * 28; ++i) {
    const auto v = static_cast<uint8_t>((i * 37) % 256 * (i % 3 == 0));
    img.rgba[static_cast<size_t>(4 * i)] = img.rgba[static_cast<size_t>(4 * i + 1)] = img.rgba[static_cast<size_t>(4 * i + 2)] = v;
  }
  img.rgba[0] = img.rgba[1] = img.rgba[2] = 0;  // a dark border
  const Tensor t = to_mnist(img);
  const auto v = t.to_vector();
  for (int i = 0; i < 28 * 28; ++i) CHECK(v[static_cast<size_t>(i)] == img.rgba[static_cast<size_t>(4 * i)] * (1.0f / 255.0f));
}

TEST_CASE("a dark digit anywhere on light paper comes out white on black, 20 px, centred by mass") {
  for (auto [x, y, size] : {std::tuple{10.0, 10.0, 40.0}, std::tuple{140.0, 70.0, 60.0}, std::tuple{60.0, 5.0, 140.0}}) {
    INFO("digit at ", x, ",", y, " size ", size);
    Image img = canvas(220, 160, 240, 235, 220);
    seven(img, x, y, size, 30);
    const Moments m = moments(to_mnist(img));
    CHECK(m.cx == doctest::Approx(14).epsilon(0.05));
    CHECK(m.cy == doctest::Approx(14).epsilon(0.05));
    CHECK(std::max(m.x1 - m.x0, m.y1 - m.y0) + 1 == doctest::Approx(20).epsilon(0.1));
  }
}

TEST_CASE("inverted, transparent, 16-bit and palette images of one digit agree") {
  Image dark_on_light = canvas(100, 100, 255, 255, 255);
  seven(dark_on_light, 20, 20, 60, 0);
  Image light_on_dark = canvas(100, 100, 0, 0, 0);
  seven(light_on_dark, 20, 20, 60, 255);
  Image on_transparent = canvas(100, 100, 0, 0, 0, 0);
  seven(on_transparent, 20, 20, 60, 0, 255);
  Image white_on_transparent = canvas(100, 100, 255, 255, 255, 0);
  seven(white_on_transparent, 20, 20, 60, 255, 255);
  const Tensor base = to_mnist(dark_on_light);
  CHECK(correlation(base, to_mnist(light_on_dark)) > 0.99);
  CHECK(correlation(base, to_mnist(on_transparent)) > 0.99);
  CHECK(correlation(base, to_mnist(white_on_transparent)) > 0.99);
  // The same picture as a 16-bit PNG and as a palette PNG.
  std::vector<uint16_t> wide(100 * 100);
  std::vector<uint8_t> index(100 * 100);
  for (size_t i = 0; i < wide.size(); ++i) {
    wide[i] = dark_on_light.rgba[4 * i] ? 65535 : 0;
    index[i] = dark_on_light.rgba[4 * i] ? 1 : 0;
  }
  const uint8_t palette[6] = {0, 0, 0, 255, 255, 255};
  CHECK(correlation(base, to_mnist(decode_image(png_bytes(wide.data(), 100, 100, PNG_FORMAT_LINEAR_Y), "16.png"))) > 0.99);
  CHECK(correlation(base, to_mnist(decode_image(png_bytes(index.data(), 100, 100, PNG_FORMAT_RGB_COLORMAP, palette, 2),
                                                "pal.png"))) > 0.99);
}

TEST_CASE("a small digit on a 6000 x 4000 canvas") {
  Image img = canvas(6000, 4000, 235, 235, 230);
  seven(img, 4100, 2900, 120, 20);  // 2% of the height
  const auto t0 = std::chrono::steady_clock::now();
  const Tensor t = to_mnist(img);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("24 MP canvas processed in " << seconds << " s");
  Image small = canvas(200, 200, 235, 235, 230);
  seven(small, 40, 40, 120, 20);
  CHECK(correlation(t, to_mnist(small)) > 0.9);
  const Moments m = moments(t);
  CHECK(m.cx == doctest::Approx(14).epsilon(0.05));
}

TEST_CASE("an image with no ink is refused, not guessed") {
  CHECK_THROWS_WITH_AS(to_mnist(canvas(300, 200, 250, 250, 250)), doctest::Contains("no digit found"), NoDigitError);
  CHECK_THROWS_AS(to_mnist(canvas(300, 200, 20, 20, 20)), NoDigitError);
  CHECK_THROWS_AS(to_mnist(canvas(1, 1, 0, 0, 0)), NoDigitError);
  CHECK_THROWS_AS(to_mnist(canvas(1, 1, 255, 255, 255)), NoDigitError);
  CHECK_THROWS_AS(to_mnist(canvas(64, 64, 0, 0, 0, 0)), NoDigitError);  // fully transparent
  Image specks = canvas(400, 400, 240, 240, 240);
  for (int i = 0; i < 5; ++i) stroke(specks, 40.0 + 70 * i, 200, 40.0 + 70 * i, 200, 1, 200);  // faint dots
  CHECK_THROWS_AS(to_mnist(specks), NoDigitError);
}

TEST_CASE("encode_png writes what decode_image reads back") {
  const Tensor t = Tensor::from_vector({2, 3}, {0, 0.5f, 1, 1, 0.25f, 0});
  const Image back = decode_image(encode_png(t), "roundtrip.png");
  CHECK(back.width == 3);
  check_rgba(back, 1, 128, 128, 128, 255);
  check_rgba(back, 4, 64, 64, 64, 255);
}
