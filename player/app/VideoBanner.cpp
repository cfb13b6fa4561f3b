#include "VideoBanner.hpp"

#include "core/Hotline.hpp"
#include "core/Log.hpp"

namespace milepost {

const BannerTexture* VideoBanner::get(SDL_Renderer* renderer, Fonts& fonts, HotlineChoice& hotlines,
                                      const std::string& lang, Size canvas,
                                      BannerPosition position) {
    if (m_banner && m_lang == lang)
        return &*m_banner;
    m_on_screen = false;
    m_banner.reset();
    m_lang = lang;
    const Hotline& hotline = hotlines.hotline_for(lang);
    auto banner = render_banner(renderer, fonts, banner_text(hotline, lang),
                                hotlines.qr_for(hotline), canvas, position);
    if (!banner) {
        log::error(banner.error().message);
        return nullptr;
    }
    m_banner = std::move(*banner);
    return &*m_banner;
}

} // namespace milepost
