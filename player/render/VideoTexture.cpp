#include "VideoTexture.hpp"

#include <algorithm>
#include <cstring>

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace milepost {

namespace {

SDL_YUV_CONVERSION_MODE conversion_mode(const AVFrame* f) {
    // SDL has full range only for BT.601 (JPEG); full-range BT.709 is rare in practice.
    if (f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P)
        return SDL_YUV_CONVERSION_JPEG;
    if (f->colorspace == AVCOL_SPC_BT709)
        return SDL_YUV_CONVERSION_BT709;
    if (f->colorspace == AVCOL_SPC_UNSPECIFIED && f->height >= 720)
        return SDL_YUV_CONVERSION_BT709; // what HD video means when it does not say
    return SDL_YUV_CONVERSION_BT601;
}

// yuv420p or yuvj420p in three planes read top-down: SDL and swscale take it as it is.
bool planar_420(const AVFrame* f) {
    const auto format = static_cast<AVPixelFormat>(f->format);
    return (format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P) && f->linesize[0] > 0 &&
           f->linesize[1] > 0 && f->linesize[2] > 0;
}

// The screen's pixel format as swscale names it (SDL's packed formats are in the
// CPU's byte order, as FFmpeg's ...32 names are), or AV_PIX_FMT_NONE.
AVPixelFormat screen_format(Uint32 sdl_format) {
    switch (sdl_format) {
    case SDL_PIXELFORMAT_ARGB8888:
        return AV_PIX_FMT_RGB32;
    case SDL_PIXELFORMAT_RGB888:
        return AV_PIX_FMT_0RGB32;
    case SDL_PIXELFORMAT_ABGR8888:
        return AV_PIX_FMT_BGR32;
    case SDL_PIXELFORMAT_BGR888:
        return AV_PIX_FMT_0BGR32;
    case SDL_PIXELFORMAT_RGB565:
        return AV_PIX_FMT_RGB565;
    default:
        return AV_PIX_FMT_NONE;
    }
}

} // namespace

bool VideoTexture::keep_for_direct(const AVFrame* frame, Uint32 screen, Rect at) {
    if (!planar_420(frame) || frame->width % 2 || frame->height % 2 ||
        screen_format(screen) == AV_PIX_FMT_NONE || at.w <= 0 || at.h <= 0)
        return false;
    // A reference, not a copy: the decoder's buffer stays ours until the next frame.
    m_kept.reset(av_frame_clone(frame));
    if (!m_kept)
        return false;
    m_width = frame->width;
    m_height = frame->height;
    m_mode = conversion_mode(frame);
    m_at = at;
    m_path = std::string(av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format))) +
             (scaled() ? " -> scaled straight onto the screen" : " -> straight onto the screen");
    return true;
}

SwsContext* VideoTexture::direct_converter(AVPixelFormat to_format) {
    // Made again only when what it converts changes. Not by sws_getCachedContext():
    // swscale renames an XRGB screen's format (0RGB32) to its alpha twin once set
    // up, so the cache never matched a window's screen and made a new converter for
    // every frame (all of a window's extra CPU over headless), in BT.601 as the
    // colours were set only on the first.
    const std::array<int, 6> setup{m_width, m_height,  m_at.w,
                                   m_at.h,  to_format, static_cast<int>(m_mode)};
    if (m_direct_sws && setup == m_direct_setup)
        return m_direct_sws.get();
    // swscale converts from the decoder's planes as they lie (SDL would want them in
    // one block, a copy of every frame); yuvj420p is yuv420p in full range. Scaled
    // bilinearly, as the renderer scales (SDL_HINT_RENDER_SCALE_QUALITY): swscale's
    // fast bilinear when larger (3% less CPU from 720p to 1080p), its
    // filtered one when smaller, where the fast one would skip pixels.
    const bool larger = m_at.w >= m_width && m_at.h >= m_height;
    m_direct_sws.reset(sws_getContext(m_width, m_height, AV_PIX_FMT_YUV420P, m_at.w, m_at.h,
                                      to_format,
                                      !scaled() ? SWS_POINT
                                      : larger  ? SWS_FAST_BILINEAR
                                                : SWS_BILINEAR,
                                      nullptr, nullptr, nullptr));
    if (!m_direct_sws) // tried again next frame
        return nullptr;
    ++m_direct_made;
    const int* coefficients =
        sws_getCoefficients(m_mode == SDL_YUV_CONVERSION_BT709 ? SWS_CS_ITU709 : SWS_CS_ITU601);
    sws_setColorspaceDetails(m_direct_sws.get(), coefficients,
                             m_mode == SDL_YUV_CONVERSION_JPEG ? 1 : 0, coefficients, 1, 0, 1 << 16,
                             1 << 16);
    m_direct_setup = setup;
    return m_direct_sws.get();
}

Result<void> VideoTexture::draw_direct(SDL_Surface* screen, int from, int to) {
    const AVPixelFormat to_format = screen_format(screen->format->format);
    if (!m_kept || m_at.x < 0 || m_at.y < 0 || screen->w < m_at.x + m_at.w ||
        screen->h < m_at.y + m_at.h || to_format == AV_PIX_FMT_NONE)
        return Error{"no frame for the screen"};
    SwsContext* sws = direct_converter(to_format);
    if (!sws)
        return Error{"cannot convert a video frame for the screen"};
    const int pitch = screen->pitch;
    auto* pixels = static_cast<uint8_t*>(screen->pixels) + static_cast<ptrdiff_t>(m_at.y) * pitch +
                   static_cast<ptrdiff_t>(m_at.x) * screen->format->BytesPerPixel;
    if (!direct_in_rows()) {
        uint8_t* dst[4] = {pixels, nullptr, nullptr, nullptr};
        int dst_pitch[4] = {pitch, 0, 0, 0};
        if (sws_scale(sws, m_kept->data, m_kept->linesize, 0, m_height, dst, dst_pitch) != m_at.h)
            return Error{"cannot convert a video frame for the screen"};
        return {};
    }
    from = std::clamp(from, 0, m_height);
    to = to < 0 ? m_height : std::clamp(to, from, m_height);
    // Rows [y, y + n) of the frame into `out` (pitch `pitch`), y even: the chroma
    // rows of 4:2:0 are shared by pairs of rows. Given to swscale as a slice from
    // the top of a picture n rows high.
    auto convert = [&](int y, int n, uint8_t* out) {
        const uint8_t* src[4] = {
            m_kept->data[0] + static_cast<ptrdiff_t>(y) * m_kept->linesize[0],
            m_kept->data[1] + static_cast<ptrdiff_t>(y / 2) * m_kept->linesize[1],
            m_kept->data[2] + static_cast<ptrdiff_t>(y / 2) * m_kept->linesize[2], nullptr};
        uint8_t* dst[4] = {out, nullptr, nullptr, nullptr};
        int dst_pitch[4] = {pitch, 0, 0, 0};
        return sws_scale(sws, src, m_kept->linesize, 0, n, dst, dst_pitch) == n;
    };
    // A row of an odd edge: its pair converted aside, the one row copied.
    auto convert_row = [&](int row) {
        m_pair.resize(2 * static_cast<size_t>(pitch));
        if (!convert(row & ~1, 2, m_pair.data()))
            return false;
        std::memcpy(pixels + static_cast<ptrdiff_t>(row) * pitch,
                    m_pair.data() + (row & 1) * static_cast<ptrdiff_t>(pitch),
                    static_cast<size_t>(m_width) * screen->format->BytesPerPixel);
        return true;
    };
    const int first = (from + 1) & ~1, end = to == m_height ? to : to & ~1;
    bool ok = true;
    if (from < first && from < to)
        ok = convert_row(from) && ok;
    if (first < end)
        ok = convert(first, end - first, pixels + static_cast<ptrdiff_t>(first) * pitch) && ok;
    if (end < to && end >= first)
        ok = convert_row(end) && ok;
    if (!ok)
        return Error{"cannot convert a video frame for the screen"};
    return {};
}

Result<void> VideoTexture::upload(SDL_Renderer* renderer, const AVFrame* frame) {
    m_kept.reset();
    const auto format = static_cast<AVPixelFormat>(frame->format);
    const bool direct_yuv = planar_420(frame);
    const bool direct_nv12 =
        format == AV_PIX_FMT_NV12 && frame->linesize[0] > 0 && frame->linesize[1] > 0;
    const Uint32 want = direct_nv12 ? SDL_PIXELFORMAT_NV12 : SDL_PIXELFORMAT_IYUV;

    SDL_SetYUVConversionMode(conversion_mode(frame));
    if (!m_texture || m_texture_format != want || m_width != frame->width ||
        m_height != frame->height) {
        m_texture.reset(SDL_CreateTexture(renderer, want, SDL_TEXTUREACCESS_STREAMING, frame->width,
                                          frame->height));
        if (!m_texture)
            return Error{std::string("cannot create a video texture: ") + SDL_GetError()};
        m_texture_format = want;
        m_width = frame->width;
        m_height = frame->height;
    }
    const char* name = av_get_pix_fmt_name(format);
    int rc = 0;
    if (direct_yuv) {
        m_path = std::string(name) + " -> IYUV";
        rc = SDL_UpdateYUVTexture(m_texture.get(), nullptr, frame->data[0], frame->linesize[0],
                                  frame->data[1], frame->linesize[1], frame->data[2],
                                  frame->linesize[2]);
    } else if (direct_nv12) {
        m_path = "nv12 -> NV12";
        rc = SDL_UpdateNVTexture(m_texture.get(), nullptr, frame->data[0], frame->linesize[0],
                                 frame->data[1], frame->linesize[1]);
    } else {
        if (!m_converted || m_converted->width != frame->width ||
            m_converted->height != frame->height || m_source_format != frame->format) {
            m_sws.reset(sws_getContext(frame->width, frame->height, format, frame->width,
                                       frame->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr,
                                       nullptr, nullptr));
            m_converted.reset(av_frame_alloc());
            if (!m_sws || !m_converted)
                return Error{std::string("cannot convert ") + (name ? name : "?") + " frames"};
            m_converted->format = AV_PIX_FMT_YUV420P;
            m_converted->width = frame->width;
            m_converted->height = frame->height;
            if (av_frame_get_buffer(m_converted.get(), 0) < 0)
                return Error{"out of memory for the video conversion buffer"};
            m_source_format = frame->format;
        }
        sws_scale(m_sws.get(), frame->data, frame->linesize, 0, frame->height, m_converted->data,
                  m_converted->linesize);
        m_path = std::string(name ? name : "?") + " -> swscale -> IYUV";
        rc = SDL_UpdateYUVTexture(m_texture.get(), nullptr, m_converted->data[0],
                                  m_converted->linesize[0], m_converted->data[1],
                                  m_converted->linesize[1], m_converted->data[2],
                                  m_converted->linesize[2]);
    }
    if (rc != 0)
        return Error{std::string("cannot upload a video frame: ") + SDL_GetError()};
    return {};
}

} // namespace milepost
