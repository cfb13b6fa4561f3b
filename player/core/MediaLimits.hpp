#pragma once
// How large a picture or a video a screen will decode, and the size a PNG or JPEG
// says it is in its header. A 16000x16000 PNG of a few KB needs about 1 GB as
// RGBA: the size is read from the header and checked before anything is decoded,
// by milepost-pack (which refuses it) and by the player (which skips it).
#include "core/Result.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace milepost {

// A picture may be at most this many pixels on a side (4096x4096 RGBA is 64 MiB).
inline constexpr int kMaxPictureSide = 4096;
// A video must fit 3840x2160 (UHD), landscape or portrait.
inline constexpr int kMaxVideoLong = 3840;
inline constexpr int kMaxVideoShort = 2160;
// What FFmpeg's decoders are told to refuse (AVCodecContext::max_pixels): the
// largest frame either limit allows, so that a stream lying about its size is
// refused by the decoder too, before it allocates.
inline constexpr std::int64_t kMaxDecodePixels =
    static_cast<std::int64_t>(kMaxPictureSide) * kMaxPictureSide;

// Why a picture of `width` x `height` is refused, or nullopt when it is not.
std::optional<std::string> picture_size_problem(int width, int height);
// Why a video of `width` x `height` is refused, or nullopt when it is not.
std::optional<std::string> video_size_problem(int width, int height);

enum class PictureType { Png, Jpeg };
std::string_view to_string(PictureType type); // "PNG", "JPEG"

struct PictureHeader {
    PictureType type = PictureType::Png;
    int width = 0, height = 0;
};

// How many bytes of a file read_picture_header needs at most: a JPEG's size comes
// after its metadata (EXIF, colour profile), which may be long.
inline constexpr std::size_t kPictureHeaderBytes = 1 << 20;

// The type and size a PNG or JPEG declares, from the first bytes of the file.
// Anything else (another format, a header cut short, a size of 0) is an error.
Result<PictureHeader> parse_picture_header(std::string_view bytes);
// The same, reading the first kPictureHeaderBytes of `file`.
Result<PictureHeader> read_picture_header(const std::filesystem::path& file);
// read_picture_header, then picture_size_problem: the header of a PNG or JPEG a
// screen decodes. The error is read_picture_header's, or the size's problem.
Result<PictureHeader> checked_picture_header(const std::filesystem::path& file);

} // namespace milepost
