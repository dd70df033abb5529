// Image sizes read from encoded headers, before any pixel is decoded, so a
// small file that would expand to gigabytes is refused without decoding it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace rvm {

struct HeaderSize {
  int64_t width = 0;
  int64_t height = 0;
};

// PNG, BMP, WebP, TIFF and PNM (PBM/PGM/PPM) headers; nullopt for other
// formats or a header too short or malformed to tell.
std::optional<HeaderSize> ReadHeaderSize(const uint8_t* data, size_t size);

// The value of a SHORT or LONG tag with one value in the first IFD of TIFF
// data (a TIFF file, or the TIFF inside an EXIF segment); nullopt when the
// data is malformed or the tag is absent.
std::optional<uint32_t> TiffTag(const uint8_t* tiff, size_t size, uint16_t tag);

}  // namespace rvm
