#include "vision/image_header.h"

#include <cctype>
#include <cstring>

namespace rvm {
namespace {

uint32_t Le16(const uint8_t* p) { return p[0] | (p[1] << 8); }
uint32_t Le24(const uint8_t* p) { return Le16(p) | (p[2] << 16); }
uint32_t Le32(const uint8_t* p) { return Le16(p) | (Le16(p + 2) << 16); }
uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

std::optional<HeaderSize> Png(const uint8_t* d, size_t n) {
  if (n < 24 || std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0) return std::nullopt;
  return HeaderSize{Be32(d + 16), Be32(d + 20)};
}

std::optional<HeaderSize> Bmp(const uint8_t* d, size_t n) {
  if (n < 26 || d[0] != 'B' || d[1] != 'M') return std::nullopt;
  const uint32_t dib = Le32(d + 14);
  if (dib == 12) return HeaderSize{Le16(d + 18), Le16(d + 20)};  // OS/2 core header
  if (dib < 40) return std::nullopt;
  const auto w = static_cast<int32_t>(Le32(d + 18));
  const auto h = static_cast<int32_t>(Le32(d + 22));  // negative: stored top-down
  return HeaderSize{w < 0 ? -int64_t{w} : w, h < 0 ? -int64_t{h} : h};
}

std::optional<HeaderSize> WebP(const uint8_t* d, size_t n) {
  if (n < 30 || std::memcmp(d, "RIFF", 4) != 0 || std::memcmp(d + 8, "WEBP", 4) != 0) {
    return std::nullopt;
  }
  const uint8_t* chunk = d + 12;
  if (std::memcmp(chunk, "VP8X", 4) == 0) {  // extended: the canvas size, minus one
    return HeaderSize{Le24(d + 24) + int64_t{1}, Le24(d + 27) + int64_t{1}};
  }
  if (std::memcmp(chunk, "VP8L", 4) == 0 && d[20] == 0x2F) {  // lossless: 14 bits each, minus one
    const uint32_t bits = Le32(d + 21);
    return HeaderSize{(bits & 0x3FFF) + int64_t{1}, ((bits >> 14) & 0x3FFF) + int64_t{1}};
  }
  if (std::memcmp(chunk, "VP8 ", 4) == 0 && d[23] == 0x9D && d[24] == 0x01 && d[25] == 0x2A) {
    return HeaderSize{Le16(d + 26) & 0x3FFF, Le16(d + 28) & 0x3FFF};  // lossy key frame
  }
  return std::nullopt;
}

std::optional<HeaderSize> Tiff(const uint8_t* d, size_t n) {
  if (n < 8 || !((d[0] == 'I' && d[1] == 'I') || (d[0] == 'M' && d[1] == 'M'))) {
    return std::nullopt;
  }
  constexpr uint16_t kImageWidth = 256, kImageLength = 257;
  const auto w = TiffTag(d, n, kImageWidth);
  const auto h = TiffTag(d, n, kImageLength);
  if (!w || !h) return std::nullopt;
  return HeaderSize{*w, *h};
}

// "P1".."P6", then width and height as decimal text, comments allowed.
std::optional<HeaderSize> Pnm(const uint8_t* d, size_t n) {
  if (n < 3 || d[0] != 'P' || d[1] < '1' || d[1] > '6') return std::nullopt;
  size_t i = 2;
  auto number = [&]() -> std::optional<int64_t> {
    while (i < n && (std::isspace(d[i]) || d[i] == '#')) {
      if (d[i] == '#') {
        while (i < n && d[i] != '\n') ++i;
      } else {
        ++i;
      }
    }
    if (i >= n || !std::isdigit(d[i])) return std::nullopt;
    int64_t v = 0;
    while (i < n && std::isdigit(d[i]) && v < (int64_t{1} << 40)) v = v * 10 + (d[i++] - '0');
    return v;
  };
  const auto w = number();
  const auto h = w ? number() : std::nullopt;
  if (!w || !h) return std::nullopt;
  return HeaderSize{*w, *h};
}

}  // namespace

std::optional<uint32_t> TiffTag(const uint8_t* tiff, size_t n, uint16_t tag) {
  if (n < 8) return std::nullopt;
  bool big_endian;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    big_endian = false;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    big_endian = true;
  } else {
    return std::nullopt;
  }
  auto u16 = [&](size_t o) -> uint32_t {
    return big_endian ? (tiff[o] << 8) | tiff[o + 1] : tiff[o] | (tiff[o + 1] << 8);
  };
  auto u32 = [&](size_t o) -> uint32_t {
    return big_endian ? (u16(o) << 16) | u16(o + 2) : u16(o) | (u16(o + 2) << 16);
  };
  if (u16(2) != 42) return std::nullopt;
  const size_t ifd = u32(4);
  if (ifd < 8 || ifd > n - 2) return std::nullopt;
  const size_t entries = u16(ifd);
  constexpr size_t kEntry = 12;  // tag, type, count, value
  constexpr uint32_t kShort = 3, kLong = 4;
  if (ifd + 2 + entries * kEntry > n) return std::nullopt;  // the IFD runs past the data
  for (size_t i = 0; i < entries; ++i) {
    const size_t e = ifd + 2 + i * kEntry;
    if (u16(e) != tag) continue;
    if (u32(e + 4) != 1) return std::nullopt;
    if (u16(e + 2) == kShort) return u16(e + 8);
    if (u16(e + 2) == kLong) return u32(e + 8);
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<HeaderSize> ReadHeaderSize(const uint8_t* data, size_t size) {
  for (auto* reader : {Png, Bmp, WebP, Tiff, Pnm}) {
    if (auto s = reader(data, size)) return s;
  }
  return std::nullopt;
}

}  // namespace rvm
