#pragma once
// Decoded frames into an SDL texture, staying in YUV: yuv420p/yuvj420p go to an
// IYUV texture and nv12 to an NV12 texture as they are; other formats (10-bit,
// 4:2:2, 4:4:4) are converted by swscale into one reused buffer first. Scaling is
// the renderer's job. Render thread only.
#include "SdlHandles.hpp"
#include "core/Result.hpp"
#include "media/Ffmpeg.hpp"

#include <array>
#include <string>
#include <vector>

namespace milepost {

class VideoTexture {
public:
    Result<void> upload(SDL_Renderer* renderer, const AVFrame* frame);
    // SDL's software renderer only, for a yuv420p frame on an unturned screen of
    // pixel format `screen`, landing on `at` (the whole screen for a frame its size):
    // keeps a reference to the frame for draw_direct() instead of a texture. The
    // renderer would convert it into a texture and then copy that, a whole frame,
    // onto the screen (scaled: in a linear stretch that took 34 ms a frame from 720p
    // to 1080p, and dropped one frame in ten); converting straight onto the screen,
    // scaled on the way, saves the copy. Returns false (nothing kept) when the frame
    // or the screen's format is not such.
    bool keep_for_direct(const AVFrame* frame, Uint32 screen, Rect at);
    // The kept frame, given up (nullptr when none): releasing a video's last
    // frame may free its decoder's whole pool of pictures.
    FramePtr release_kept() { return std::move(m_kept); }
    // Converts the kept frame onto `screen` where it lands: in rows (direct_in_rows()),
    // the rows [from, to) of it only (all of them by default: rows covered by
    // something drawn over the video need not be converted); else whole. Flush the
    // renderer first.
    Result<void> draw_direct(SDL_Surface* screen, int from = 0, int to = -1);
    // The last frame is kept for draw_direct(), not in texture().
    bool direct() const { return m_kept != nullptr; }
    // ... at `landed()`; in rows when it covers the screen from its corner unscaled.
    Rect landed() const { return m_at; }
    bool direct_in_rows() const { return direct() && m_at.x == 0 && m_at.y == 0 && !scaled(); }
    SDL_Texture* texture() const { return m_texture.get(); }
    int width() const { return m_width; }
    int height() const { return m_height; }
    // How the last upload went: "yuv420p -> IYUV", "yuv420p10le -> swscale -> IYUV".
    const std::string& path() const { return m_path; }
    // How many converters draw_direct() has set up: one per change of what it
    // converts, not one a frame.
    int converters_made() const { return m_direct_made; }

private:
    // The kept frame lands on m_at at another size than its own.
    bool scaled() const { return m_at.w != m_width || m_at.h != m_height; }
    // swscale's context for the kept frame onto `to_format` at m_at, set up when what
    // it converts changes; nullptr when swscale cannot.
    SwsContext* direct_converter(AVPixelFormat to_format);

    TexturePtr m_texture;
    Uint32 m_texture_format = 0;
    int m_width = 0, m_height = 0;
    SwsPtr m_sws;
    FramePtr m_converted; // the reused buffer for swscale
    int m_source_format = -1;
    std::string m_path;
    FramePtr m_kept;     // the frame draw_direct() converts (the decoder's buffers), or none
    Rect m_at;           // where it lands on the screen
    SwsPtr m_direct_sws; // its converter, set up for m_direct_setup
    std::array<int, 6> m_direct_setup{}; // the frame's and m_at's sizes, format, m_mode
    int m_direct_made = 0;
    std::vector<uint8_t> m_pair; // two converted rows, for a band that starts or ends on an odd row
    SDL_YUV_CONVERSION_MODE m_mode = SDL_YUV_CONVERSION_BT601;
};

} // namespace milepost
