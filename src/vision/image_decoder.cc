#include "vision/image_decoder.h"

#include <cstdio>  // jpeglib.h needs FILE

// jpeglib.h first: it brings in jconfig.h, on which jerror.h's list of
// messages depends (the arithmetic-coding ones).
#include <jpeglib.h>

#include <jerror.h>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <csetjmp>
#include <cstring>

#include "vision/exif.h"
#include "vision/image_header.h"

namespace rvm {
namespace {

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  bool truncated = false;
  char message[JMSG_LENGTH_MAX] = {};
};

void OnJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// The warnings libjpeg gives for damaged entropy-coded data. It carries on
// after each, filling what it could not decode with grey or garbled blocks:
// a detector would then see an image that was never taken.
bool IsCorruptDataWarning(int code) {
  switch (code) {
    case JWRN_HIT_MARKER:     // a marker where coded data was expected
    case JWRN_HUFF_BAD_CODE:  // a bit pattern no Huffman table has
#if JPEG_LIB_VERSION >= 70 || defined(D_ARITH_CODING_SUPPORTED)
    case JWRN_ARITH_BAD_CODE:  // the same for arithmetic coding (where jerror.h has it)
#endif
    case JWRN_MUST_RESYNC:        // a restart marker out of sequence
    case JWRN_BOGUS_PROGRESSION:  // progressive scans that contradict each other
    case JWRN_EXTRANEOUS_DATA:    // bytes left over: the decoder lost its place
      return true;
    default:
      return false;
  }
}

void OnJpegMessage(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  if (level != -1) return;  // -1 is a warning; higher levels are trace output
  // Premature end of data means the file was cut short and the bottom of the
  // image would be invented grey: reported with its own message. libjpeg
  // would go on to warn of the marker it puts at the cut (JWRN_HIT_MARKER).
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
  if (err->truncated || IsCorruptDataWarning(cinfo->err->msg_code)) {
    // Stop at the first: the rest of the image is no more trustworthy.
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jump, 1);
  }
}

bool IsJpeg(const uint8_t* d, size_t n) {
  return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
}

// Smallest M in {1, 2, 4} with M/8 >= needed (so later resizing only
// shrinks), else 8. Only the power-of-two scales have SIMD inverse DCTs in
// libjpeg-turbo; the others (3/8, 5/8, ...) decode slower than full size.
int ScaleNumerator(double needed) {
  for (int m : {1, 2, 4}) {
    if (m / 8.0 >= needed) return m;
  }
  return 8;
}

// The plain-C part of JPEG decoding. No C++ object with a destructor may live
// in this frame: longjmp skips destructors. Returns 0 on success, 1 on a
// libjpeg error or corrupt-data warning (message in err), 2 when the pixel
// limit is exceeded, 3 when the colour space cannot be converted to BGR here.
struct JpegJob {
  const uint8_t* data;
  size_t size;
  int target_w, target_h;
  bool keep_aspect;
  int64_t max_pixels;
  std::vector<uint8_t>* pixels;
  int original_w, original_h, out_w, out_h, scale_num;
  int orientation;  // EXIF, 1..8
};

int RunJpeg(JpegJob* job, JpegError* err) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err->mgr);
  err->mgr.error_exit = OnJpegError;
  err->mgr.emit_message = OnJpegMessage;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, job->data, static_cast<unsigned long>(job->size));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&cinfo, TRUE);
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && std::memcmp(m->data, "Exif", 4) == 0) {
      job->orientation = ExifOrientation(m->data, m->data_length);
      break;
    }
  }
  job->original_w = static_cast<int>(cinfo.image_width);
  job->original_h = static_cast<int>(cinfo.image_height);
  if (static_cast<int64_t>(cinfo.image_width) * cinfo.image_height > job->max_pixels) {
    jpeg_destroy_decompress(&cinfo);
    return 2;
  }
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&cinfo);
    return 3;
  }
  cinfo.out_color_space = JCS_EXT_BGR;
  job->scale_num = 8;
  if (job->target_w > 0 && job->target_h > 0) {
    // The target is upright; a quarter turn pairs its width with the stored height.
    const bool swap = OrientationSwapsAxes(job->orientation);
    const double sx =
        static_cast<double>(job->target_w) / (swap ? cinfo.image_height : cinfo.image_width);
    const double sy =
        static_cast<double>(job->target_h) / (swap ? cinfo.image_width : cinfo.image_height);
    job->scale_num = ScaleNumerator(job->keep_aspect ? std::min(sx, sy) : std::max(sx, sy));
  }
  cinfo.scale_num = static_cast<unsigned>(job->scale_num);
  cinfo.scale_denom = 8;
  // The default accurate IDCT and fancy chroma upsampling are kept: the fast
  // variants save ~10% of decode time but move detection scores by ~0.02,
  // enough to flip results near the threshold against reference decoders.
  jpeg_start_decompress(&cinfo);
  job->out_w = static_cast<int>(cinfo.output_width);
  job->out_h = static_cast<int>(cinfo.output_height);
  const size_t stride = static_cast<size_t>(job->out_w) * 3;
  if (job->pixels->size() < stride * job->out_h) job->pixels->resize(stride * job->out_h);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = job->pixels->data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return 0;
}

}  // namespace

Status ImageDecoder::CheckPixels(int64_t w, int64_t h, const std::string& name) const {
  if (w * h > max_pixels_) {
    return ResourceExhausted("image '" + name + "': " + std::to_string(w) + "x" +
                             std::to_string(h) + " is " + std::to_string(w * h) +
                             " pixels, above the limit of " + std::to_string(max_pixels_));
  }
  return Status::Ok();
}

Status ImageDecoder::Decode(const uint8_t* data, size_t size, const std::string& name,
                            const DecodeTarget& target, DecodedImage& out) {
  if (size == 0) return InvalidArgument("image '" + name + "': file is empty");
  if (IsJpeg(data, size)) return DecodeJpeg(data, size, name, target, out);
  return DecodeOther(data, size, name, out);
}

Status ImageDecoder::DecodeJpeg(const uint8_t* data, size_t size, const std::string& name,
                                const DecodeTarget& target, DecodedImage& out) {
  JpegJob job{data,
              size,
              target.width,
              target.height,
              target.keep_aspect,
              max_pixels_,
              &pixels_,
              0,
              0,
              0,
              0,
              8,
              1};
  JpegError err;
  const int rc = RunJpeg(&job, &err);
  if (err.truncated) return InvalidArgument("image '" + name + "': JPEG data is truncated");
  if (rc == 1) {
    return InvalidArgument("image '" + name + "': corrupt JPEG data (" + err.message + ")");
  }
  if (rc == 2) return CheckPixels(job.original_w, job.original_h, name);
  if (rc == 3) return DecodeOther(data, size, name, out);  // CMYK: let OpenCV convert
  out.bgr = cv::Mat(job.out_h, job.out_w, CV_8UC3, pixels_.data());
  out.original_width = job.original_w;
  out.original_height = job.original_h;
  out.scale = job.scale_num / 8.0f;
  if (job.orientation != 1) {
    // Stand the image upright, as viewers and OpenCV's imread show it.
    const bool swap = OrientationSwapsAxes(job.orientation);
    const int w = swap ? job.out_h : job.out_w;
    const int h = swap ? job.out_w : job.out_h;
    const size_t bytes = static_cast<size_t>(w) * h * 3;
    if (oriented_.size() < bytes) oriented_.resize(bytes);
    cv::Mat upright(h, w, CV_8UC3, oriented_.data());
    out = Oriented(out, job.orientation, upright);
  }
  return Status::Ok();
}

Status ImageDecoder::DecodeOther(const uint8_t* data, size_t size, const std::string& name,
                                 DecodedImage& out) {
  // Refuse from the header, before decoding: a few kilobytes of WebP or TIFF
  // can expand to gigabytes. The decoded size is checked again below.
  if (auto header = ReadHeaderSize(data, size)) {
    RVM_RETURN_IF_ERROR(CheckPixels(header->width, header->height, name));
  }
  cv::Mat decoded;
  try {
    decoded = cv::imdecode(cv::Mat(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data)),
                           cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return InvalidArgument("image '" + name + "': cannot decode (" + e.what() + ")");
  }
  if (decoded.empty()) {
    return InvalidArgument("image '" + name +
                           "': not a readable image (unknown format or corrupt data)");
  }
  RVM_RETURN_IF_ERROR(CheckPixels(decoded.cols, decoded.rows, name));
  const size_t bytes = decoded.total() * 3;
  if (pixels_.size() < bytes) pixels_.resize(bytes);
  out.bgr = cv::Mat(decoded.rows, decoded.cols, CV_8UC3, pixels_.data());
  decoded.copyTo(out.bgr);
  out.original_width = decoded.cols;
  out.original_height = decoded.rows;
  out.scale = 1.0f;
  return Status::Ok();
}

DecodedImage Oriented(const DecodedImage& image, int orientation, cv::Mat& dst) {
  ApplyOrientation(image.bgr, orientation, dst);
  const bool swap = OrientationSwapsAxes(orientation);
  return {dst, swap ? image.original_height : image.original_width,
          swap ? image.original_width : image.original_height, image.scale};
}

}  // namespace rvm
