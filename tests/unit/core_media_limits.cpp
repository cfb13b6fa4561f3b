// The size a PNG or JPEG declares, read from its header before anything is
// decoded, and the limits a screen decodes to.
#include "core/MediaLimits.hpp"
#include "media/Ffmpeg.hpp"
#include "media/Probe.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace milepost;

namespace {

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

std::string png(std::uint32_t w, std::uint32_t h) {
    return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(w) + be32(h) +
           std::string("\x08\x06\x00\x00\x00", 5) + be32(0);
}

std::string segment(unsigned char marker, const std::string& body) {
    const auto n = body.size() + 2;
    return std::string{'\xFF', static_cast<char>(marker), static_cast<char>(n >> 8),
                       static_cast<char>(n)} +
           body;
}

std::string jpeg(int w, int h, unsigned char sof = 0xC0, const std::string& before = "") {
    std::string frame{'\x08',
                      static_cast<char>(h >> 8),
                      static_cast<char>(h),
                      static_cast<char>(w >> 8),
                      static_cast<char>(w),
                      '\x01',
                      '\x01',
                      '\x11',
                      '\x00'};
    return std::string("\xFF\xD8", 2) + segment(0xE0, "JFIF\0") + before + segment(sof, frame) +
           segment(0xDA, "xx");
}

// `bytes` start with the header of a `type` picture of `width` x `height` px.
void check_header(const std::string& bytes, PictureType type, int width, int height) {
    const auto header = parse_picture_header(bytes);
    REQUIRE(header);
    CHECK(header->type == type);
    CHECK(header->width == width);
    CHECK(header->height == height);
}

} // namespace

TEST_CASE("a PNG's size is read from IHDR") {
    check_header(png(16000, 16000), PictureType::Png, 16000, 16000);
    CHECK(!parse_picture_header(png(16000, 16000).substr(0, 20)));
    CHECK(!parse_picture_header(png(0, 10)));
    CHECK(!parse_picture_header(png(0x80000000u, 10)));
}

TEST_CASE("a JPEG's size is read from its frame header, past metadata and fill bytes") {
    check_header(jpeg(640, 480), PictureType::Jpeg, 640, 480);
    // Progressive, after a 60 KB EXIF block, a DHT (C4, not a frame) and fill bytes.
    const std::string before = segment(0xE1, std::string(60000, 'e')) +
                               segment(0xC4, std::string(20, 'h')) + std::string("\xFF\xFF", 2);
    check_header(jpeg(65535, 3, 0xC2, before), PictureType::Jpeg, 65535, 3);
    CHECK(!parse_picture_header(jpeg(640, 0))); // size given later (DNL): refused
    CHECK(!parse_picture_header(jpeg(640, 480).substr(0, 12)));
    CHECK(!parse_picture_header(std::string("\xFF\xD8\xFF\xDA\x00\x02", 6)));
    CHECK(!parse_picture_header(std::string("\xFF\xD8\xFF\xE0\x00\x00", 6))); // length 0
}

TEST_CASE("anything else is not a picture") {
    for (const std::string& bytes : {std::string(), std::string("GIF89a"), std::string("#EXTM3U\n"),
                                     std::string("\x89PNG", 4), std::string("\xFF\xD8", 2)})
        CHECK(!parse_picture_header(bytes));
}

TEST_CASE("the limits: pictures 4096 px on a side, videos UHD either way round") {
    CHECK(!picture_size_problem(4096, 4096));
    CHECK(*picture_size_problem(4097, 10) ==
          "the picture is 4097x10 px, over the 4096 px on a side a screen decodes");
    CHECK(picture_size_problem(10, 16000));
    CHECK(picture_size_problem(0, 10));
    CHECK(!video_size_problem(3840, 2160));
    CHECK(!video_size_problem(2160, 3840));
    CHECK(video_size_problem(4096, 2160));
    CHECK(video_size_problem(2200, 2200));
    CHECK(video_size_problem(-1, 10));
}

TEST_CASE("once a media file is opened, FFmpeg refuses any one allocation over 256 MiB") {
    // A few KB of MP4 can declare a table of a GB; the fuzzer found one (its input
    // is tests/fuzz/corpus/probe/mov-gigabyte-table.mp4).
    const auto clip = test::make_media("limits-clip.mp4",
                                       {"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t",
                                        "0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    const auto facts = probe_media(clip, false);
    REQUIRE(facts);
    CHECK(facts->width == 160);
    void* over = av_malloc(kMaxFfmpegAllocation + 1);
    CHECK(over == nullptr);
    av_free(over);
    void* frame = av_malloc(3840 * 2160 * 4); // a UHD frame as RGBA
    CHECK(frame != nullptr);
    av_free(frame);
}
