#include "InfoCard.hpp"

#include <algorithm>

namespace milepost {

Rect info_card_box(Size canvas, Rect area) {
    const int m = text_basis(canvas) * 3 / 100;
    return {area.x + m, area.y + m, area.w - 2 * m, area.h - 2 * m};
}

namespace {

struct Placed {
    TextLine line;
    SDL_Color color;
};

// Lays the card out at body size `px`; false when it does not fit in `box`.
bool lay_out(Fonts& fonts, const InfoCard& card, Rect box, int px, int title_px,
             std::vector<Placed>& out, std::vector<Rect>& warning_bands) {
    out.clear();
    warning_bands.clear();
    const int pad = px / 2;
    const int width = box.w - 2 * pad;
    int y = box.y + pad;
    const int bottom = box.y + box.h - pad;
    auto add = [&](const std::string& text, Face face, int size, int x, SDL_Color color) {
        const int h = fonts.line_height(face, size);
        out.push_back(
            {TextLine{text, face, size, TextRole::Body, {x, y, fonts.width(face, size, text), h}},
             color});
        return h;
    };
    for (const auto& t : wrap_text(fonts, Face::Bold, title_px, card.title, width))
        y += add(t, Face::Bold, title_px, box.x + pad, palette::kTitle);
    y += pad / 2;
    for (const auto& w : card.warnings) {
        const int top = y;
        for (const auto& t : wrap_text(fonts, Face::Bold, px, w, width - pad))
            y += add(t, Face::Bold, px, box.x + pad + pad / 2, SDL_Color{255, 255, 255, 255});
        warning_bands.push_back({box.x + pad, top, width, y - top});
        y += pad / 3;
    }
    // Labels in a column as wide as the widest, values wrapped beside them.
    int label_w = 0;
    for (const auto& [label, value] : card.rows)
        label_w = std::max(label_w, fonts.width(Face::Bold, px, label));
    label_w = std::min(label_w + pad, width / 3);
    for (const auto& [label, value] : card.rows) {
        const int top = y;
        add(label, Face::Bold, px, box.x + pad, palette::kTitle);
        y = top;
        for (const auto& t : wrap_text(fonts, Face::Regular, px, value, width - label_w))
            y += add(t, Face::Regular, px, box.x + pad + label_w, palette::kBody);
        y = std::max(y, top + fonts.line_height(Face::Bold, px));
        if (y > bottom)
            return false;
    }
    if (!card.footer.empty()) {
        const int small = px; // the 3% minimum holds here too
        y += pad / 2;
        for (const auto& t : wrap_text(fonts, Face::Regular, small, card.footer, width))
            y += add(t, Face::Regular, small, box.x + pad, SDL_Color{190, 190, 190, 255});
    }
    return y <= bottom;
}

} // namespace

Result<void> draw_info_card(Painter& painter, Size canvas, Rect area, const InfoCard& card) {
    const Rect box = info_card_box(canvas, area);
    const int basis = text_basis(canvas);
    const int title_px = std::max(min_text_px(canvas), basis * 6 / 100);
    std::vector<Placed> placed;
    std::vector<Rect> bands;
    int px = std::max(min_text_px(canvas), basis * 5 / 100);
    while (!lay_out(painter.fonts(), card, box, px, title_px, placed, bands) &&
           px > min_text_px(canvas))
        --px;
    SDL_Renderer* r = painter.renderer();
    SDL_BlendMode old{};
    SDL_GetRenderDrawBlendMode(r, &old);
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    painter.fill(box, kCardPanel);
    SDL_SetRenderDrawBlendMode(r, old);
    for (const Rect& b : bands)
        painter.fill(b, kCardWarning);
    const int bottom = box.y + box.h;
    for (const auto& p : placed) {
        if (p.line.box.y + p.line.box.h > bottom)
            break; // at the smallest size it still did not fit: the rest is left out
        if (auto drawn = painter.text(p.line, p.color); !drawn)
            return drawn;
    }
    return {};
}

} // namespace milepost
