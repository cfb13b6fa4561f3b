#include "MediaLimits.hpp"

#include <algorithm>
#include <fstream>

namespace milepost {

namespace {

std::string size_text(int width, int height) {
    return std::to_string(width) + "x" + std::to_string(height) + " px";
}

std::uint32_t big_endian(std::string_view b, std::size_t at, int bytes) {
    std::uint32_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v = v << 8 | static_cast<unsigned char>(b[at + i]);
    return v;
}

Result<PictureHeader> png_header(std::string_view b) {
    // Signature (8), then the IHDR chunk: length (4), "IHDR", width (4), height (4).
    if (b.size() < 24 || b.substr(12, 4) != "IHDR")
        return Error{"a PNG whose header (IHDR) is missing or cut short"};
    const std::uint32_t w = big_endian(b, 16, 4), h = big_endian(b, 20, 4);
    // PNG allows up to 2^31-1; anything that large is refused by the caller anyway.
    if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff)
        return Error{"a PNG with an impossible size in its header"};
    return PictureHeader{PictureType::Png, static_cast<int>(w), static_cast<int>(h)};
}

Result<PictureHeader> jpeg_header(std::string_view b) {
    // Segments follow the SOI marker (FF D8); the frame header (SOFn) holds the size.
    std::size_t at = 2;
    while (at + 4 <= b.size()) {
        if (static_cast<unsigned char>(b[at]) != 0xFF)
            return Error{"a JPEG whose segments are broken before its size"};
        const unsigned marker = static_cast<unsigned char>(b[at + 1]);
        if (marker == 0xFF) { // fill byte
            ++at;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) { // no length
            at += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA)
            return Error{"a JPEG with no frame header (SOF) before its image data"};
        const std::size_t length = big_endian(b, at + 2, 2);
        if (length < 2)
            return Error{"a JPEG whose segments are broken before its size"};
        const bool sof =
            marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            // Length (2), precision (1), height (2), width (2).
            if (at + 9 > b.size())
                break;
            const int h = static_cast<int>(big_endian(b, at + 5, 2));
            const int w = static_cast<int>(big_endian(b, at + 7, 2));
            if (w == 0 || h == 0)
                return Error{"a JPEG that does not give its size in its header"};
            return PictureHeader{PictureType::Jpeg, w, h};
        }
        at += 2 + length;
    }
    return Error{"a JPEG whose size is not within its first " +
                 std::to_string(kPictureHeaderBytes >> 20) + " MiB"};
}

} // namespace

std::optional<std::string> picture_size_problem(int width, int height) {
    if (width > kMaxPictureSide || height > kMaxPictureSide)
        return "the picture is " + size_text(width, height) + ", over the " +
               std::to_string(kMaxPictureSide) + " px on a side a screen decodes";
    if (width <= 0 || height <= 0)
        return "the picture's size (" + size_text(width, height) + ") is not a picture's";
    return std::nullopt;
}

std::optional<std::string> video_size_problem(int width, int height) {
    const int longer = std::max(width, height), shorter = std::min(width, height);
    if (longer > kMaxVideoLong || shorter > kMaxVideoShort)
        return "the video is " + size_text(width, height) + ", larger than the " +
               size_text(kMaxVideoLong, kMaxVideoShort) +
               " (landscape or portrait) a screen decodes";
    if (width <= 0 || height <= 0)
        return "the video's size (" + size_text(width, height) + ") is not a picture's";
    return std::nullopt;
}

std::string_view to_string(PictureType type) {
    return type == PictureType::Png ? "PNG" : "JPEG";
}

Result<PictureHeader> parse_picture_header(std::string_view b) {
    if (b.starts_with("\x89PNG\r\n\x1a\n"))
        return png_header(b);
    if (b.size() >= 3 && b.starts_with("\xFF\xD8\xFF"))
        return jpeg_header(b);
    return Error{"not a PNG or JPEG picture"};
}

Result<PictureHeader> read_picture_header(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return Error{"cannot be read"};
    std::string bytes(kPictureHeaderBytes, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    return parse_picture_header(bytes);
}

Result<PictureHeader> checked_picture_header(const std::filesystem::path& file) {
    auto header = read_picture_header(file);
    if (!header)
        return header;
    if (auto problem = picture_size_problem(header->width, header->height))
        return Error{*problem};
    return header;
}

} // namespace milepost
