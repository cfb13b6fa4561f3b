#pragma once
// The hotline banner over video frames: laid out and drawn once into a texture
// (again for another language, screen size or channel), copied over each frame.
// Where frames are converted straight onto the screen (VideoPresenter's direct
// path), what a frame leaves under the banner is the banner itself when nothing
// else drew there: the next frame then need not copy it again, nor convert the
// video rows it hides, nor send those rows to the screen.
#include "HotlineChoice.hpp"
#include "core/DeviceConfig.hpp"
#include "render/Painter.hpp"

#include <optional>
#include <string>

namespace milepost {

class VideoBanner {
public:
    // Made again at the next frame (the channel's hotline, the screen's size or
    // the renderer changed).
    void reset() {
        m_banner.reset();
        m_on_screen = false;
    }
    // The banner in `lang`, made when it is missing; nullptr (said in the log)
    // when it cannot be.
    const BannerTexture* get(SDL_Renderer* renderer, Fonts& fonts, HotlineChoice& hotlines,
                             const std::string& lang, Size canvas, BannerPosition position);
    // Whether the screen holds it from the last frame presented; set after each.
    bool on_screen() const { return m_on_screen; }
    void set_on_screen(bool on) { m_on_screen = on && m_banner; }

private:
    std::optional<BannerTexture> m_banner;
    std::string m_lang;
    bool m_on_screen = false;
};

} // namespace milepost
