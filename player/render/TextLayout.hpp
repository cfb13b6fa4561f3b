#pragma once
// Where every line of text goes on a canvas of any size and orientation. Pure
// geometry over font metrics: nothing is drawn here, so tests check the rules
// (inside the canvas, no text under 3% of the canvas height) directly.
#include "Fonts.hpp"
#include "core/DeviceConfig.hpp"
#include "core/Hotline.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace milepost {

enum class TextRole { Title, Body, Marker, BannerName, BannerCall, BannerSmall };

struct TextLine {
    std::string text;
    Face face = Face::Regular;
    int px = 0; // pixels per em
    TextRole role = TextRole::Body;
    Rect box; // where the rendered line lands; its size is the rendered size
};

// Readable from five metres on a 32-inch screen: no text under 3% of the screen
// height, slide titles at least 6% where the slide still fits. "Height" is the
// canvas's short side: a portrait screen is as tall physically as a landscape one
// is wide, and letters need the same physical size on both.
inline constexpr double kMinTextFraction = 0.03;
inline constexpr double kMinTitleFraction = 0.06;
int text_basis(Size canvas); // the short side
int min_text_px(Size canvas);

// Greedy word wrap of UTF-8 `text` at `max_width`; a word wider than a line is
// broken between characters.
std::vector<std::string> wrap_text(Fonts& fonts, Face face, int px, std::string_view text,
                                   int max_width);

struct SlideLayout {
    std::vector<TextLine> lines;
    int title_px = 0;
    int body_px = 0;
    bool cut = false; // even the smallest sizes did not fit: trailing lines were left out
};

// Title and bullets in `area` of `canvas`, one body size for the whole slide: the
// largest that fits.
SlideLayout layout_slide(Fonts& fonts, std::string_view title,
                         const std::vector<std::string>& bullets, Rect area, Size canvas);

struct BannerLayout {
    Rect box; // the whole strip, full canvas width
    std::vector<TextLine> lines;
    Rect qr; // w == 0 when there is no QR code
};

BannerLayout layout_banner(Fonts& fonts, const BannerText& text, bool with_qr, Size canvas,
                           BannerPosition position);

// The canvas less the banner (whose strip is `banner_box`).
Rect content_area(Size canvas, Rect banner_box);
Rect content_area(Size canvas, const BannerLayout& banner);

} // namespace milepost
