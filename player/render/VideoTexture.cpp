#include "VideoTexture.hpp"

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

} // namespace

bool VideoTexture::keep_for_direct(const AVFrame* frame) {
    const auto format = static_cast<AVPixelFormat>(frame->format);
    if ((format != AV_PIX_FMT_YUV420P && format != AV_PIX_FMT_YUVJ420P) ||
        frame->linesize[0] <= 0 || frame->linesize[1] <= 0 || frame->linesize[2] <= 0 ||
        frame->width % 2 || frame->height % 2)
        return false;
    const int w = frame->width, h = frame->height;
    m_planes.resize(static_cast<size_t>(w) * h * 3 / 2);
    unsigned char* out = m_planes.data();
    for (int plane = 0; plane < 3; ++plane) {
        const int pw = plane ? w / 2 : w, ph = plane ? h / 2 : h;
        for (int y = 0; y < ph; ++y, out += pw)
            std::memcpy(out, frame->data[plane] + static_cast<size_t>(y) * frame->linesize[plane],
                        pw);
    }
    m_width = w;
    m_height = h;
    m_mode = conversion_mode(frame);
    m_path = std::string(av_get_pix_fmt_name(format)) + " -> straight onto the screen";
    m_direct = true;
    return true;
}

Result<void> VideoTexture::draw_direct(SDL_Surface* screen) {
    if (!m_direct || screen->w < m_width || screen->h < m_height)
        return Error{"no frame for the screen"};
    SDL_SetYUVConversionMode(m_mode);
    if (SDL_ConvertPixels(m_width, m_height, SDL_PIXELFORMAT_IYUV, m_planes.data(), m_width,
                          screen->format->format, screen->pixels, screen->pitch) != 0)
        return Error{std::string("cannot convert a video frame: ") + SDL_GetError()};
    return {};
}

Result<void> VideoTexture::upload(SDL_Renderer* renderer, const AVFrame* frame) {
    m_direct = false;
    const auto format = static_cast<AVPixelFormat>(frame->format);
    const bool direct_yuv = (format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P) &&
                            frame->linesize[0] > 0 && frame->linesize[1] > 0 &&
                            frame->linesize[2] > 0;
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
