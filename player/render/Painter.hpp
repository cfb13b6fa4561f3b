#pragma once
// Draws laid-out text, images and QR codes with one SDL renderer. Shared by the
// player and by milepost-pack's preview: one renderer, not two.
#include "Fonts.hpp"
#include "QrCode.hpp"
#include "TextLayout.hpp"

#include <functional>
#include <variant>

namespace milepost {

namespace palette {
inline constexpr SDL_Color kBackground{11, 31, 58,
                                       255}; // deep navy: white and yellow read well on it
inline constexpr SDL_Color kTitle{255, 210, 63, 255};
inline constexpr SDL_Color kBody{255, 255, 255, 255};
inline constexpr SDL_Color kBanner{255, 210, 63, 255};
inline constexpr SDL_Color kBannerText{0, 0, 0, 255};
inline constexpr SDL_Color kLetterbox{0, 0, 0, 255};
// Alert slides: deep red, white title, so that they stand apart from every other slide.
inline constexpr SDL_Color kAlertBackground{160, 16, 24, 255};
inline constexpr SDL_Color kAlertTitle{255, 255, 255, 255};
} // namespace palette

// Where a picture `display` big once upright, turned `rotation` degrees clockwise,
// lands as large as fits in `area`, centred (what Painter::picture_fit draws).
Rect fit_picture(Size display, int rotation, Rect area);

class Painter {
public:
    Painter(SDL_Renderer* renderer, Fonts& fonts) : m_renderer(renderer), m_fonts(fonts) {}

    void fill(Rect rect, SDL_Color color);
    Result<void> text(const TextLine& line, SDL_Color color);
    // The whole texture inside `area`, aspect kept, centred (letterboxed or pillarboxed).
    void image_fit(SDL_Texture* texture, Rect area);
    void qr(const QrCode& code, Rect square);
    // A picture `display` big once upright, drawn turned `rotation` degrees clockwise,
    // as large as fits in `area`, centred. Returns where it landed.
    Rect picture_fit(SDL_Texture* texture, Size display, int rotation, Rect area);
    // Fills `area` but for `inner`: the bars around a picture.
    void fill_around(Rect area, Rect inner, SDL_Color color);
    Fonts& fonts() { return m_fonts; }
    SDL_Renderer* renderer() const { return m_renderer; }

private:
    SDL_Renderer* m_renderer;
    Fonts& m_fonts;
};

struct SlideBody {
    std::string title;
    std::vector<std::string> bullets;
    bool alert = false; // an [[alert]]: drawn in the alert colours
};
struct ImageBody {
    SDL_Texture* texture = nullptr; // owned by the caller
};

// What one screen shows: a body, and the hotline banner that is always there.
struct Frame {
    std::variant<SlideBody, ImageBody> body;
    BannerText banner;
    const QrCode* qr = nullptr; // nullptr: no QR code
    BannerPosition position = BannerPosition::Bottom;
};

struct ComposeReport {
    bool cut = false; // the slide did not fit at the smallest size
};

// Paints `frame` over the whole canvas (the current render target).
ComposeReport compose(Painter& painter, Size canvas, const Frame& frame);

// The banner drawn once into a texture, for screens redrawn many times a second
// (video): copy `texture` to `box` on each frame.
struct BannerTexture {
    TexturePtr texture;
    Rect box;
};
// A layer as big as the canvas (an overlay, a card): painted by `paint` into
// `cache` once, transparent where it paints nothing, then copied over the current
// render target on every frame. Painted again when `cache` is empty (reset it when
// what the layer says changes) or the canvas changed size.
Result<void> copy_cached_layer(SDL_Renderer* renderer, Fonts& fonts, TexturePtr& cache, Size canvas,
                               const std::function<Result<void>(Painter&)>& paint);

Result<BannerTexture> render_banner(SDL_Renderer* renderer, Fonts& fonts, const BannerText& text,
                                    const QrCode* qr, Size canvas, BannerPosition position);

} // namespace milepost
