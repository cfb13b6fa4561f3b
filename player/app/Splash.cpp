#include "Splash.hpp"

#include "core/Hotline.hpp"
#include "core/Log.hpp"
#include "render/HotlineScreen.hpp"

namespace milepost {

namespace {
constexpr auto kFirstCheck = std::chrono::seconds(5); // the screen is up and playing
constexpr auto kCheckEvery = std::chrono::seconds(10);
constexpr auto kPatience = std::chrono::minutes(5);
constexpr auto kQuiet = std::chrono::milliseconds(500); // nothing due for this long: draw
constexpr auto kRetry = std::chrono::seconds(1);

// `in` turned `rotation` (90, 180, 270) degrees clockwise; 32-bit pixels.
SurfacePtr turned(SDL_Surface* in, int rotation) {
    const bool sideways = rotation == 90 || rotation == 270;
    SurfacePtr out(SDL_CreateRGBSurfaceWithFormat(
        0, sideways ? in->h : in->w, sideways ? in->w : in->h, 32, in->format->format));
    if (!out)
        return out;
    for (int y = 0; y < in->h; ++y) {
        const auto* row = reinterpret_cast<const Uint32*>(static_cast<const char*>(in->pixels) +
                                                          static_cast<ptrdiff_t>(y) * in->pitch);
        for (int x = 0; x < in->w; ++x) {
            const int tx = rotation == 90 ? in->h - 1 - y : rotation == 180 ? in->w - 1 - x : y;
            const int ty = rotation == 90 ? x : rotation == 180 ? in->h - 1 - y : in->w - 1 - x;
            *reinterpret_cast<Uint32*>(static_cast<char*>(out->pixels) +
                                       static_cast<ptrdiff_t>(ty) * out->pitch +
                                       static_cast<ptrdiff_t>(tx) * 4) = row[x];
        }
    }
    return out;
}
} // namespace

SurfacePtr render_splash(Fonts& fonts, Size canvas, int rotation, const Hotline& hotline,
                         const std::string& lang) {
    SurfacePtr surface(SDL_CreateRGBSurfaceWithFormat(0, canvas.width, canvas.height, 32,
                                                      SDL_PIXELFORMAT_XRGB8888));
    RendererPtr renderer(surface ? SDL_CreateSoftwareRenderer(surface.get()) : nullptr);
    if (!renderer) {
        log::warn(std::string("splash: cannot draw: ") + SDL_GetError());
        return nullptr;
    }
    std::optional<QrCode> qr;
    if (!hotline.url.empty()) {
        if (auto made = make_qr_code(hotline.url))
            qr = std::move(*made);
    }
    Painter painter(renderer.get(), fonts);
    if (auto drawn = draw_hotline_screen(painter, canvas, banner_text(hotline, lang),
                                         qr ? &*qr : nullptr, "");
        !drawn) {
        log::warn("splash: " + drawn.error().message);
        return nullptr;
    }
    SDL_RenderFlush(renderer.get());
    renderer.reset();
    return rotation == 0 ? std::move(surface) : turned(surface.get(), rotation);
}

SplashKeeper::SplashKeeper(const std::string& data_dir, const DeviceConfig& config,
                           const Output& output, Fonts& fonts, HotlineChoice& hotlines,
                           Clock::time_point started)
    : m_file(std::filesystem::path(data_dir) / kSplashFile), m_config(config), m_output(output),
      m_fonts(fonts), m_hotlines(hotlines), m_next_check(started + kFirstCheck),
      m_patient_until(started + kFirstCheck + kPatience) {}

void SplashKeeper::update(Clock::time_point now, Clock::time_point busy_from, Playback& playback) {
    PlayRecorder* recorder = playback.recorder();
    if (now < m_next_check || !recorder)
        return;
    const bool video = playback.current().video != nullptr;
    if (now < m_patient_until && (video || busy_from - now < kQuiet)) {
        m_next_check = now + (video ? kCheckEvery : kRetry);
        return;
    }
    m_next_check = now + kCheckEvery;
    const std::string& lang = m_config.device.languages.front();
    const Hotline& hotline = m_hotlines.hotline_for(lang);
    const Size canvas = m_output.canvas_size();
    const int rotation = m_config.display.rotation;
    const std::string shown = std::to_string(canvas.width) + "x" + std::to_string(canvas.height) +
                              " " + std::to_string(rotation) + " " + lang + "\n" + hotline.name +
                              "\n" + hotline.call + "\n" + hotline.text + "\n" +
                              hotline.text_keyword + "\n" + hotline.url + "\n" + hotline.emergency;
    if (shown == m_shown)
        return;
    m_shown = shown; // a splash that cannot be drawn is not tried again every check
    m_patient_until = now + kPatience;
    if (SurfacePtr picture = render_splash(m_fonts, canvas, rotation, hotline, lang))
        recorder->save_picture(std::move(picture), m_file);
}

} // namespace milepost
