#include "HotlineScreen.hpp"

#include <algorithm>
#include <cctype>

namespace milepost {

Rect language_button(Size canvas) {
    return {canvas.width * 64 / 100, canvas.height * 82 / 100, canvas.width * 33 / 100,
            canvas.height * 14 / 100};
}

std::string language_name(const std::string& code) {
    if (code == "en")
        return "English";
    if (code == "es")
        return "Español";
    if (code == "fr")
        return "Français";
    std::string upper = code;
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
}

Result<void> draw_hotline_screen(Painter& painter, Size canvas, const BannerText& text,
                                 const QrCode* qr, const std::string& next_lang) {
    painter.fill({0, 0, canvas.width, canvas.height}, palette::kBanner);
    const int basis = text_basis(canvas);
    const int margin = basis * 5 / 100;
    // The QR code on the right, as large as the height allows.
    int text_right = canvas.width - margin;
    if (qr) {
        const int side = std::min(canvas.height * 60 / 100, canvas.width * 36 / 100);
        const Rect square{canvas.width - margin - side, margin, side, side};
        painter.qr(*qr, square);
        text_right = square.x - margin;
    }
    const int width = text_right - margin;
    Fonts& fonts = painter.fonts();
    int y = margin;
    auto lines = [&](const std::string& s, Face face, int px) -> Result<void> {
        if (s.empty())
            return {};
        // As large as asked, smaller when a line would not fit the width.
        while (px > min_text_px(canvas) && wrap_text(fonts, face, px, s, width).size() > 2)
            --px;
        for (const auto& t : wrap_text(fonts, face, px, s, width)) {
            const int h = fonts.line_height(face, px);
            TextLine line{t, face, px, TextRole::Body, {margin, y, fonts.width(face, px, t), h}};
            if (auto r = painter.text(line, palette::kBannerText); !r)
                return r;
            y += h;
        }
        y += basis * 2 / 100;
        return {};
    };
    for (auto r : {lines(text.name, Face::Bold, basis * 6 / 100),
                   lines(text.call, Face::Bold, basis * 11 / 100),
                   lines(text.text, Face::Regular, basis * 7 / 100),
                   lines(text.emergency, Face::Bold, basis * 7 / 100)})
        if (!r)
            return r;
    if (!next_lang.empty()) {
        const Rect b = language_button(canvas);
        painter.fill(b, SDL_Color{0, 0, 0, 255});
        const std::string label = language_name(next_lang);
        int px = basis * 7 / 100;
        while (px > min_text_px(canvas) && fonts.width(Face::Bold, px, label) > b.w * 9 / 10)
            --px;
        const int w = fonts.width(Face::Bold, px, label), h = fonts.line_height(Face::Bold, px);
        TextLine line{label,
                      Face::Bold,
                      px,
                      TextRole::Body,
                      {b.x + (b.w - w) / 2, b.y + (b.h - h) / 2, w, h}};
        if (auto r = painter.text(line, SDL_Color{255, 255, 255, 255}); !r)
            return r;
    }
    return {};
}

} // namespace milepost
