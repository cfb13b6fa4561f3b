#include "TextLayout.hpp"

#include "core/Text.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace milepost {

int text_basis(Size canvas) {
    return std::min(canvas.width, canvas.height);
}

int min_text_px(Size canvas) {
    return std::max(6, static_cast<int>(std::ceil(kMinTextFraction * text_basis(canvas))));
}

namespace {

int line_height(Fonts& fonts, Face face, int px) {
    TTF_Font* f = fonts.at(face, px);
    return std::max(TTF_FontHeight(f), TTF_FontLineSkip(f));
}

} // namespace

std::vector<std::string> wrap_text(Fonts& fonts, Face face, int px, std::string_view text,
                                   int max_width) {
    return wrap_words(
        text, [&](std::string_view line) { return fonts.width(face, px, line) <= max_width; });
}

namespace {

// Lays the slide out from y = 0 at the given sizes; returns the total height.
int stack_slide(Fonts& fonts, std::string_view title, const std::vector<std::string>& bullets,
                int width, int title_px, int body_px, std::vector<TextLine>& out) {
    out.clear();
    int y = 0;
    const int title_h = line_height(fonts, Face::Bold, title_px);
    for (auto& text : wrap_text(fonts, Face::Bold, title_px, title, width)) {
        int w = fonts.width(Face::Bold, title_px, text);
        out.push_back({text, Face::Bold, title_px, TextRole::Title, {0, y, w, title_h}});
        y += title_h;
    }
    if (bullets.empty())
        return y;
    y += title_px / 2;
    const int body_h = line_height(fonts, Face::Regular, body_px);
    const std::string marker = "\u2022";
    const int indent = fonts.width(Face::Regular, body_px, marker + "  ");
    for (size_t b = 0; b < bullets.size(); ++b) {
        if (b > 0)
            y += body_px * 9 / 20;
        out.push_back({marker,
                       Face::Regular,
                       body_px,
                       TextRole::Marker,
                       {0, y, fonts.width(Face::Regular, body_px, marker), body_h}});
        for (auto& text : wrap_text(fonts, Face::Regular, body_px, bullets[b], width - indent)) {
            int w = fonts.width(Face::Regular, body_px, text);
            out.push_back({text, Face::Regular, body_px, TextRole::Body, {indent, y, w, body_h}});
            y += body_h;
        }
    }
    return y;
}

bool fits(const std::vector<TextLine>& lines, int height, int width) {
    for (const auto& l : lines)
        if (l.box.y + l.box.h > height || l.box.x + l.box.w > width)
            return false;
    return true;
}

} // namespace

SlideLayout layout_slide(Fonts& fonts, std::string_view title,
                         const std::vector<std::string>& bullets, Rect area, Size canvas) {
    const int basis = text_basis(canvas);
    const int lo = min_text_px(canvas);
    const int hi = std::max(lo, static_cast<int>(std::lround(0.07 * basis)));
    const int title_min = std::max(lo, static_cast<int>(std::ceil(kMinTitleFraction * basis)));
    const int margin_x = std::max(4, area.w / 20);
    const int margin_y = std::max(4, basis / 25);
    const Rect inner{area.x + margin_x, area.y + margin_y, area.w - 2 * margin_x,
                     area.h - 2 * margin_y};

    SlideLayout out;
    int total = 0;
    auto attempt = [&](int title_px, int body_px) {
        total = stack_slide(fonts, title, bullets, inner.w, title_px, body_px, out.lines);
        out.title_px = title_px;
        out.body_px = body_px;
        return fits(out.lines, inner.h, inner.w);
    };

    bool ok = false;
    for (int body = hi; body >= lo && !ok; --body)
        ok = attempt(std::max(static_cast<int>(std::lround(1.35 * body)), title_min), body);
    for (int t = title_min - 1; t >= lo && !ok; --t)
        ok = attempt(t, lo);
    if (!ok) {
        // Even the smallest readable sizes do not fit: keep what fits, mark the cut.
        attempt(lo, lo);
        out.cut = true;
        auto last_fitting =
            std::find_if(out.lines.begin(), out.lines.end(),
                         [&](const TextLine& l) { return l.box.y + l.box.h > inner.h; });
        out.lines.erase(last_fitting, out.lines.end());
        while (!out.lines.empty() && out.lines.back().role == TextRole::Marker)
            out.lines.pop_back();
        if (!out.lines.empty()) {
            TextLine& l = out.lines.back();
            std::string text = l.text;
            const int max_w = inner.w - l.box.x;
            while (!text.empty() && fonts.width(l.face, l.px, text + "\u2026") > max_w) {
                size_t cut = text.size() - 1;
                while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80)
                    --cut;
                text.resize(cut);
            }
            l.text = text + "\u2026";
            l.box.w = fonts.width(l.face, l.px, l.text);
            total = l.box.y + l.box.h;
        } else {
            total = 0;
        }
    }
    // A third of the spare height above, two thirds below: centred, but reading from the top.
    const int dy = inner.y + std::max(0, (inner.h - total) / 3);
    for (auto& l : out.lines) {
        l.box.x += inner.x;
        l.box.y += dy;
    }
    return out;
}

BannerLayout layout_banner(Fonts& fonts, const BannerText& text, bool with_qr, Size canvas,
                           BannerPosition position) {
    const int H = canvas.height, W = canvas.width, basis = text_basis(canvas);
    const int lo = min_text_px(canvas);
    const int pad = std::max(4, static_cast<int>(std::lround(0.018 * basis)));
    const int small = std::max(lo, static_cast<int>(std::ceil(0.032 * basis)));
    int big = std::max(lo, static_cast<int>(std::lround(0.062 * basis)));
    const int qr_side =
        with_qr ? std::min(static_cast<int>(std::lround(0.16 * basis)), W * 22 / 100) : 0;
    const int text_w = W - 2 * pad - (qr_side > 0 ? qr_side + pad : 0);

    while (big > lo && fonts.width(Face::Bold, big, text.call) > text_w)
        --big;

    BannerLayout out;
    int y = 0;
    auto add = [&](std::string_view s, Face face, int px, TextRole role) {
        const int h = line_height(fonts, face, px);
        for (auto& line : wrap_text(fonts, face, px, s, text_w)) {
            int w = fonts.width(face, px, line);
            out.lines.push_back({line, face, px, role, {pad, y, w, h}});
            y += h;
        }
    };
    add(text.name, Face::Bold, small, TextRole::BannerName);
    add(text.call, Face::Bold, big, TextRole::BannerCall);
    const std::string joined = text.text.empty() ? text.emergency
                               : text.emergency.empty()
                                   ? text.text
                                   : text.text + "   \u00b7   " + text.emergency;
    if (!joined.empty()) {
        if (fonts.width(Face::Regular, small, joined) <= text_w) {
            add(joined, Face::Regular, small, TextRole::BannerSmall);
        } else {
            add(text.text, Face::Regular, small, TextRole::BannerSmall);
            add(text.emergency, Face::Regular, small, TextRole::BannerSmall);
        }
    }
    const int inner_h = std::max(y, qr_side);
    const int height = inner_h + 2 * pad;
    out.box = {0, position == BannerPosition::Bottom ? H - height : 0, W, height};
    const int text_top = out.box.y + pad + (inner_h - y) / 2;
    for (auto& l : out.lines)
        l.box.y += text_top;
    if (qr_side > 0)
        out.qr = {W - pad - qr_side, out.box.y + (height - qr_side) / 2, qr_side, qr_side};
    return out;
}

Rect content_area(Size canvas, Rect banner_box) {
    if (banner_box.y == 0)
        return {0, banner_box.h, canvas.width, canvas.height - banner_box.h};
    return {0, 0, canvas.width, canvas.height - banner_box.h};
}

Rect content_area(Size canvas, const BannerLayout& banner) {
    return content_area(canvas, banner.box);
}

} // namespace milepost
