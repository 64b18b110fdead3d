// Decoding with libpng's simplified API, TurboJPEG and stb_image; encoding PNG with libpng.
#include "nn/vision/image.hpp"

#include <png.h>
#include <turbojpeg.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/io/atomic_file.hpp"
#include "util/bytes.hpp"
#include "util/input_file.hpp"

#define STBI_NO_STDIO
#include <stb/stb_image.h>

namespace nn::vision {
namespace {

using nn::detail::file_error;

enum class Format { Png, Jpeg, Bmp, Pnm, Unknown };

Format sniff(std::string_view b) {
  auto starts = [&](const char* magic, size_t n) { return b.size() >= n && std::memcmp(b.data(), magic, n) == 0; };
  if (starts("\x89PNG\r\n\x1a\n", 8)) return Format::Png;
  if (starts("\xff\xd8\xff", 3)) return Format::Jpeg;
  if (starts("BM", 2)) return Format::Bmp;
  if (starts("P5", 2) || starts("P6", 2)) return Format::Pnm;
  return Format::Unknown;
}

// Checks the header's size against the limit, and reserves the pixels in the budget (if any)
// before any is allocated; the lease goes into the decoded Image.
std::shared_ptr<void> check_size(int64_t w, int64_t h, const std::string& name, const DecodeOptions& o) {
  if (w <= 0 || h <= 0) file_error(name, fmt::format("invalid image size {}x{}", w, h));
  if (w > o.max_pixels / h)
    throw ImageTooLargeError(fmt::format("{}: image of {}x{} pixels is larger than the limit of {} pixels", name, w, h, o.max_pixels));
  return o.budget ? o.budget->reserve(w * h, o.budget_wait, name) : nullptr;
}

Image decode_png(std::string_view b, const std::string& name, const DecodeOptions& o) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, b.data(), b.size()))
    file_error(name, fmt::format("corrupt PNG: {}", img.message));
  struct Guard {
    png_image* p;
    ~Guard() { png_image_free(p); }
  } guard{&img};
  auto lease = check_size(img.width, img.height, name, o);
  img.format = PNG_FORMAT_RGBA;  // gray, palette, 16-bit and alpha all converted to 8-bit RGBA
  Image out;
  out.budget_lease = std::move(lease);
  out.width = img.width;
  out.height = img.height;
  out.rgba.resize(static_cast<size_t>(out.width * out.height * 4));
  if (!png_image_finish_read(&img, nullptr, out.rgba.data(), 0, nullptr))
    file_error(name, fmt::format("corrupt or truncated PNG: {}", img.message));
  return out;
}

Image decode_jpeg(std::string_view b, const std::string& name, const DecodeOptions& o) {
  std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitDecompress(), tjDestroy);
  if (!tj) file_error(name, "cannot initialise the JPEG decoder");
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  auto* data = reinterpret_cast<const unsigned char*>(b.data());
  if (tjDecompressHeader3(tj.get(), data, static_cast<unsigned long>(b.size()), &w, &h, &subsamp, &colorspace) != 0)
    file_error(name, fmt::format("corrupt or truncated JPEG: {}", tjGetErrorStr2(tj.get())));
  Image out;
  out.budget_lease = check_size(w, h, name, o);
  out.width = w;
  out.height = h;
  out.rgba.resize(static_cast<size_t>(out.width * out.height * 4));
  // CMYK and YCCK JPEGs (print workflows) come out as CMYK, converted here; the ink values are
  // read as Adobe's applications write them, inverted (255: no ink), as libjpeg's own tools and
  // most decoders take them.
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  // Warnings count too: libjpeg reports a truncated file ("premature end of data") as one.
  if (tjDecompress2(tj.get(), data, static_cast<unsigned long>(b.size()), out.rgba.data(), w, 0, h,
                    cmyk ? TJPF_CMYK : TJPF_RGBA, TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING) != 0)
    file_error(name, fmt::format("corrupt or truncated JPEG: {}", tjGetErrorStr2(tj.get())));
  if (cmyk) {
    for (size_t i = 0; i < out.rgba.size(); i += 4) {
      uint8_t* p = &out.rgba[i];
      const unsigned k = p[3];
      for (int c = 0; c < 3; ++c) p[c] = static_cast<uint8_t>((p[c] * k + 127) / 255);
      p[3] = 255;
    }
  }
  return out;
}

// stb_image's PGM/PPM reader trusts its header (it reads 16-bit samples past the end of a short
// buffer), so the header is parsed here first: 8-bit samples only, and every pixel present.
void check_pnm(std::string_view b, const std::string& name) {
  size_t i = 2;
  auto space = [&](size_t at) { return at < b.size() && std::strchr(" \t\n\r\v\f", b[at]) && b[at] != '\0'; };
  auto number = [&](const char* field) {
    while (i < b.size() && (space(i) || b[i] == '#')) {
      if (b[i] == '#')
        while (i < b.size() && b[i] != '\n') ++i;
      else
        ++i;
    }
    if (i >= b.size() || b[i] < '0' || b[i] > '9') file_error(name, fmt::format("corrupt PGM/PPM: no {} in the header", field));
    int64_t v = 0;
    for (; i < b.size() && b[i] >= '0' && b[i] <= '9'; ++i) {
      v = v * 10 + (b[i] - '0');
      if (v > INT32_MAX) file_error(name, fmt::format("corrupt PGM/PPM: the {} is too large", field));
    }
    return v;
  };
  const int64_t w = number("width"), h = number("height"), maxval = number("maximum value");
  if (maxval < 1 || maxval > 255)
    file_error(name, fmt::format("PGM/PPM with maximum value {}: only 8-bit samples (1 to 255) are read", maxval));
  if (!space(i)) file_error(name, "corrupt PGM/PPM: no whitespace after the header");
  ++i;
  const int64_t channels = b[1] == '5' ? 1 : 3, available = static_cast<int64_t>(b.size() - i);
  if (w < 1 || h < 1 || w > available / channels / h)
    file_error(name, fmt::format("truncated PGM/PPM: {} x {} pixels need {} bytes, the file holds {}", w, h,
                                 static_cast<double>(w) * static_cast<double>(h) * static_cast<double>(channels), available));
}

Image decode_stb(std::string_view b, const std::string& name, const DecodeOptions& o, const char* what) {
  auto* data = reinterpret_cast<const stbi_uc*>(b.data());
  const int len = b.size() > static_cast<size_t>(INT32_MAX) ? INT32_MAX : static_cast<int>(b.size());
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, len, &w, &h, &comp))
    file_error(name, fmt::format("corrupt {}: {}", what, stbi_failure_reason()));
  Image out;
  out.budget_lease = check_size(w, h, name, o);
  const int64_t header_pixels = int64_t{w} * h;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(data, len, &w, &h, &comp, 4), stbi_image_free);
  if (!pixels) file_error(name, fmt::format("corrupt or truncated {}: {}", what, stbi_failure_reason()));
  if (int64_t{w} * h != header_pixels) file_error(name, fmt::format("corrupt {}: its size changed while decoding", what));
  out.width = w;
  out.height = h;
  out.rgba.assign(pixels.get(), pixels.get() + static_cast<size_t>(out.width * out.height * 4));
  return out;
}

}  // namespace

bool looks_like_image(std::string_view bytes) { return sniff(bytes) != Format::Unknown; }

Image decode_image(std::string_view bytes, const std::string& name, const DecodeOptions& o) {
  switch (sniff(bytes)) {
    case Format::Png: return decode_png(bytes, name, o);
    case Format::Jpeg: return decode_jpeg(bytes, name, o);
    case Format::Bmp: return decode_stb(bytes, name, o, "BMP");
    case Format::Pnm: check_pnm(bytes, name); return decode_stb(bytes, name, o, "PGM/PPM");
    case Format::Unknown: break;
  }
  file_error(name, "not an image this program reads (PNG, JPEG, BMP or binary PGM/PPM)");
}

Image read_image(const std::string& path, const DecodeOptions& o) {
  const nn::detail::InputFile file(path);
  if (file.size() > static_cast<uint64_t>(o.max_file_bytes))
    throw ImageTooLargeError(fmt::format("{}: file of {} bytes is larger than the limit of {}", path, file.size(), o.max_file_bytes));
  std::string bytes(static_cast<size_t>(file.size()), '\0');
  file.read_at(0, bytes.data(), bytes.size());
  return decode_image(bytes, path, o);
}

std::string encode_png(const Tensor& gray) {
  if (gray.ndim() != 2) throw std::invalid_argument("encode_png: expects (H, W), got " + to_string(gray.shape()));
  const std::vector<float> v = gray.to_vector();
  std::vector<uint8_t> pixels(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const float c = v[i] < 0.0f ? 0.0f : v[i] > 1.0f ? 1.0f : v[i];
    pixels[i] = static_cast<uint8_t>(c * 255.0f + 0.5f);
  }
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(gray.dim(1));
  img.height = static_cast<png_uint_32>(gray.dim(0));
  img.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&img, nullptr, &size, 0, pixels.data(), 0, nullptr))
    throw std::runtime_error(std::string("encode_png: ") + img.message);
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&img, out.data(), &size, 0, pixels.data(), 0, nullptr))
    throw std::runtime_error(std::string("encode_png: ") + img.message);
  out.resize(size);
  return out;
}

void write_png(const std::string& path, const Tensor& gray) { nn::io::write_file_atomically(path, encode_png(gray)); }

}  // namespace nn::vision
