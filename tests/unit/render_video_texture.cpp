// Decoded frames onto the screen in every pixel format a decoder gives: 8-bit
// 4:2:0 into an IYUV texture as it is, NV12 as it is, 10-bit, 4:2:2 and 4:4:4
// through swscale first, and 4:2:0 converted straight onto the software
// renderer's screen, at its size or scaled. (The integration tests play real files of each; these
// run the same code under the sanitizers, in the unit tests.)
#include "render/VideoTexture.hpp"

#include <doctest/doctest.h>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <cstring>
#include <string>

using namespace milepost;

namespace {

constexpr int kWidth = 64, kHeight = 48;

// A frame of one colour: studio-range BT.601 red (Y 81, Cb 90, Cr 240), at the
// format's depth.
FramePtr red_frame(AVPixelFormat format) {
    FramePtr f(av_frame_alloc());
    REQUIRE(f);
    f->format = format;
    f->width = kWidth;
    f->height = kHeight;
    REQUIRE(av_frame_get_buffer(f.get(), 0) == 0);
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    const int shift = d->comp[0].depth - 8;
    auto fill = [&](int plane, int w, int h, int step, const int* values) {
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int c = 0; c < step; ++c) {
                    uint8_t* row = f->data[plane] + static_cast<ptrdiff_t>(y) * f->linesize[plane];
                    const int v = values[c] << shift;
                    if (shift) {
                        const uint16_t word = static_cast<uint16_t>(v);
                        std::memcpy(row + (static_cast<ptrdiff_t>(x) * step + c) * 2, &word, 2);
                    } else {
                        row[x * step + c] = static_cast<uint8_t>(v);
                    }
                }
    };
    const int y[] = {81}, cb[] = {90}, cr[] = {240}, cbcr[] = {90, 240};
    const int cw = AV_CEIL_RSHIFT(kWidth, d->log2_chroma_w);
    const int ch = AV_CEIL_RSHIFT(kHeight, d->log2_chroma_h);
    fill(0, kWidth, kHeight, 1, y);
    if (format == AV_PIX_FMT_NV12) {
        fill(1, cw, ch, 2, cbcr);
    } else {
        fill(1, cw, ch, 1, cb);
        fill(2, cw, ch, 1, cr);
    }
    return f;
}

struct Screen {
    explicit Screen(int w = kWidth, int h = kHeight) : width(w), height(h) {}
    int width, height;
    SurfacePtr surface{
        SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, SDL_PIXELFORMAT_ARGB8888)};
    RendererPtr renderer{surface ? SDL_CreateSoftwareRenderer(surface.get()) : nullptr};
    Uint32 at(int x, int y) const {
        return *reinterpret_cast<const Uint32*>(static_cast<const char*>(surface->pixels) +
                                                static_cast<ptrdiff_t>(y) * surface->pitch + x * 4);
    }
    // Whether every pixel of `area` is red (within the rounding of the conversion),
    // and every other one still black.
    bool red_in(Rect area) const {
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x) {
                const Uint32 p = at(x, y);
                const int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
                const bool red = r > 230 && g < 25 && b < 25;
                if (red != area.contains(Rect{x, y, 1, 1}))
                    return false;
            }
        return true;
    }
    bool red_rows(int from, int to) const { return red_in(Rect{0, from, width, to - from}); }
};

} // namespace

TEST_CASE("video frames of every pixel format reach the screen in their colours") {
    for (const auto& format_path : {std::pair{AV_PIX_FMT_YUV420P, "yuv420p -> IYUV"},
                                    {AV_PIX_FMT_NV12, "nv12 -> NV12"},
                                    {AV_PIX_FMT_YUV420P10LE, "yuv420p10le -> swscale -> IYUV"},
                                    {AV_PIX_FMT_YUV422P, "yuv422p -> swscale -> IYUV"},
                                    {AV_PIX_FMT_YUV444P, "yuv444p -> swscale -> IYUV"}}) {
        const AVPixelFormat format = format_path.first;
        const std::string path = format_path.second;
        CAPTURE(path);
        Screen screen;
        REQUIRE(screen.renderer);
        VideoTexture texture;
        FramePtr frame = red_frame(format);
        // Twice: the second frame reuses the texture and swscale's buffer.
        for (int i = 0; i < 2; ++i)
            REQUIRE(texture.upload(screen.renderer.get(), frame.get()).ok());
        CHECK(texture.path() == path);
        CHECK(texture.width() == kWidth);
        CHECK(texture.height() == kHeight);
        REQUIRE(SDL_RenderCopy(screen.renderer.get(), texture.texture(), nullptr, nullptr) == 0);
        SDL_RenderFlush(screen.renderer.get());
        CHECK(screen.red_rows(0, kHeight));
    }
}

TEST_CASE("a 4:2:0 frame converted straight onto the screen fills the rows asked for, odd "
          "edges included") {
    FramePtr frame = red_frame(AV_PIX_FMT_YUV420P);
    for (const auto& rows : {std::pair{0, kHeight}, {0, 31}, {7, 48}, {5, 6}, {9, 40}}) {
        const int from = rows.first, to = rows.second;
        CAPTURE(from);
        CAPTURE(to);
        Screen screen;
        REQUIRE(screen.renderer);
        SDL_FillRect(screen.surface.get(), nullptr, 0xff000000);
        VideoTexture texture;
        REQUIRE(texture.keep_for_direct(frame.get(), SDL_PIXELFORMAT_ARGB8888,
                                        Rect{0, 0, kWidth, kHeight}));
        CHECK(texture.direct());
        CHECK(texture.direct_in_rows());
        REQUIRE(texture.draw_direct(screen.surface.get(), from, to).ok());
        CHECK(screen.red_rows(from, to));
    }
    // A screen format swscale has no name for: not kept, drawn through a texture.
    VideoTexture texture;
    CHECK(
        !texture.keep_for_direct(frame.get(), SDL_PIXELFORMAT_RGB332, Rect{0, 0, kWidth, kHeight}));
    CHECK(!texture.direct());
}

TEST_CASE("a BT.709 frame converted straight onto an XRGB screen, as a window's is, keeps its "
          "colours frame after frame") {
    // Studio-range Y 81, Cb 90, Cr 240 is red with green 24 in BT.709, green 0 in
    // BT.601. An X11 window's screen is XRGB (SDL's RGB888), which swscale renames
    // once set up: its converter was made again for every frame, in BT.601.
    FramePtr frame = red_frame(AV_PIX_FMT_YUV420P);
    frame->colorspace = AVCOL_SPC_BT709;
    for (const Uint32 format : {SDL_PIXELFORMAT_RGB888, SDL_PIXELFORMAT_ARGB8888}) {
        const std::string screen_format = SDL_GetPixelFormatName(format);
        CAPTURE(screen_format);
        SurfacePtr screen(SDL_CreateRGBSurfaceWithFormat(0, kWidth, kHeight, 32, format));
        REQUIRE(screen);
        VideoTexture texture;
        for (int i = 0; i < 3; ++i) {
            CAPTURE(i);
            SDL_FillRect(screen.get(), nullptr, 0);
            REQUIRE(texture.keep_for_direct(frame.get(), format, Rect{0, 0, kWidth, kHeight}));
            REQUIRE(texture.draw_direct(screen.get()).ok());
            for (const auto& [x, y] : {std::pair{0, 0}, {kWidth / 2, kHeight / 2}}) {
                Uint8 r = 0, g = 0, b = 0;
                SDL_GetRGB(*reinterpret_cast<const Uint32*>(
                               static_cast<const char*>(screen->pixels) +
                               static_cast<ptrdiff_t>(y) * screen->pitch + x * 4),
                           screen->format, &r, &g, &b);
                CHECK(r > 245);
                CHECK(g >= 20);
                CHECK(g <= 28);
                CHECK(b < 6);
            }
        }
        // One converter for the three frames: made again for each, it cost a window
        // a conversion set up every frame.
        CHECK(texture.converters_made() == 1);
    }
}

TEST_CASE("a 4:2:0 frame scaled straight onto the screen fills where it lands and nothing else") {
    FramePtr frame = red_frame(AV_PIX_FMT_YUV420P);
    struct Case {
        int screen_w, screen_h;
        Rect at;
    };
    // 4:3 on 16:9, larger (pillarboxed); smaller; its own size between bars (whole:
    // rows alone are for a frame that covers the screen).
    for (const Case& c : {Case{128, 72, {16, 0, 96, 72}}, Case{64, 48, {16, 12, 32, 24}},
                          Case{64, 72, {0, 12, kWidth, kHeight}}}) {
        CAPTURE(c.at.x);
        CAPTURE(c.at.w);
        Screen screen(c.screen_w, c.screen_h);
        REQUIRE(screen.renderer);
        VideoTexture texture;
        for (int i = 0; i < 2; ++i) { // the second time, the converter is reused
            SDL_FillRect(screen.surface.get(), nullptr, 0xff000000);
            REQUIRE(texture.keep_for_direct(frame.get(), SDL_PIXELFORMAT_ARGB8888, c.at));
            CHECK(!texture.direct_in_rows());
            CHECK(texture.landed() == c.at);
            const bool unscaled = c.at.w == kWidth && c.at.h == kHeight;
            CHECK(texture.path() == (unscaled ? "yuv420p -> straight onto the screen"
                                              : "yuv420p -> scaled straight onto the screen"));
            // Rows asked for are not taken alone: the whole frame is converted.
            REQUIRE(texture.draw_direct(screen.surface.get(), 20, 30).ok());
            CHECK(screen.red_in(c.at));
        }
    }
    // Where a frame would not fit on the screen: refused when drawn.
    Screen small(32, 24);
    VideoTexture texture;
    REQUIRE(texture.keep_for_direct(frame.get(), SDL_PIXELFORMAT_ARGB8888, Rect{0, 0, 64, 48}));
    CHECK(!texture.draw_direct(small.surface.get()).ok());
}
