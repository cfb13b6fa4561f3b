#include "TestPattern.hpp"

#include <algorithm>
#include <cmath>

namespace milepost {

namespace test_pattern {

namespace {
Rect band(Size canvas, double top, double bottom) {
    const int x = int(std::lround(canvas.width * 0.1));
    const int y = int(std::lround(canvas.height * top));
    return {x, y, canvas.width - 2 * x, int(std::lround(canvas.height * bottom)) - y};
}
} // namespace

Rect bars_area(Size canvas) {
    return band(canvas, 0.12, 0.34);
}
Rect ramp_area(Size canvas) {
    return band(canvas, 0.36, 0.46);
}
Rect sweep_area(Size canvas) {
    return band(canvas, 0.48, 0.58);
}
Rect text_area(Size canvas) {
    return band(canvas, 0.60, 0.88);
}

Rect overscan_rect(Size canvas, double fraction) {
    const int dx = int(std::lround(canvas.width * fraction));
    const int dy = int(std::lround(canvas.height * fraction));
    return {dx, dy, canvas.width - 2 * dx, canvas.height - 2 * dy};
}

Rect sweep_bar(Size canvas, double seconds) {
    const Rect area = sweep_area(canvas);
    const int w = std::max(2, canvas.width / 100);
    const double phase = std::fmod(std::max(0.0, seconds), kSweepSeconds) / kSweepSeconds;
    return {area.x + int(phase * (area.w - w)), area.y, w, area.h};
}

} // namespace test_pattern

namespace {

void outline(Painter& p, Rect r, int thickness, SDL_Color c) {
    p.fill({r.x, r.y, r.w, thickness}, c);
    p.fill({r.x, r.y + r.h - thickness, r.w, thickness}, c);
    p.fill({r.x, r.y, thickness, r.h}, c);
    p.fill({r.x + r.w - thickness, r.y, thickness, r.h}, c);
}

// Square cells from the centre out, one pixel lines; a heavier cross in the
// middle; the screen's edge and the overscan marks.
void draw_test_pattern_grid(Painter& painter, Size canvas) {
    using namespace test_pattern;
    const SDL_Color grid{96, 96, 96, 255}, white{255, 255, 255, 255};
    const int cell = std::max(8, canvas.height / 12);
    const int cx = canvas.width / 2, cy = canvas.height / 2;
    for (int x = cx % cell; x < canvas.width; x += cell)
        painter.fill({x, 0, 1, canvas.height}, grid);
    for (int y = cy % cell; y < canvas.height; y += cell)
        painter.fill({0, y, canvas.width, 1}, grid);
    const int t = std::max(2, canvas.height / 360);
    painter.fill({cx - t / 2, 0, t, canvas.height}, white);
    painter.fill({0, cy - t / 2, canvas.width, t}, white);
    // The screen's own edge: a one-pixel white frame shows whether any is cut off.
    outline(painter, {0, 0, canvas.width, canvas.height}, 1, white);

    const int mark = std::max(2, canvas.height / 270);
    outline(painter, overscan_rect(canvas, 0.025), mark, kOuterMark);
    outline(painter, overscan_rect(canvas, 0.05), mark, kInnerMark);
}

// The colour bars, the grey ramp and the sweeping bar at `seconds`.
void draw_test_pattern_bands(Painter& painter, Size canvas, double seconds) {
    using namespace test_pattern;
    const SDL_Color white{255, 255, 255, 255};
    const Rect bars = bars_area(canvas);
    const int n = int(std::size(kBars));
    for (int i = 0; i < n; ++i) {
        const int x0 = bars.x + bars.w * i / n, x1 = bars.x + bars.w * (i + 1) / n;
        painter.fill({x0, bars.y, x1 - x0, bars.h}, kBars[i]);
    }
    outline(painter, bars, 1, white); // the black bar still has an edge
    const Rect ramp = ramp_area(canvas);
    for (int i = 0; i < kRampSteps; ++i) {
        const int x0 = ramp.x + ramp.w * i / kRampSteps;
        const int x1 = ramp.x + ramp.w * (i + 1) / kRampSteps;
        const Uint8 v = Uint8(255 * i / (kRampSteps - 1));
        painter.fill({x0, ramp.y, x1 - x0, ramp.h}, SDL_Color{v, v, v, 255});
    }
    const Rect sweep = sweep_area(canvas);
    painter.fill(sweep, SDL_Color{24, 24, 24, 255});
    painter.fill(sweep_bar(canvas, seconds), white);
}

// The text, on black so that the grid does not cross it; lines that do not fit
// are left out.
Result<void> draw_test_pattern_text(Painter& painter, Size canvas,
                                    const std::vector<std::string>& lines) {
    const SDL_Color black{0, 0, 0, 255}, white{255, 255, 255, 255}, grey{200, 200, 200, 255};
    const Rect area = test_pattern::text_area(canvas);
    painter.fill(area, black);
    const int cx = canvas.width / 2;
    const int big = std::max(min_text_px(canvas), canvas.height / 14);
    const int small = min_text_px(canvas) + canvas.height / 200;
    int y = area.y;
    for (size_t i = 0; i < lines.size(); ++i) {
        const Face face = i == 0 ? Face::Bold : Face::Regular;
        const int px = i == 0 ? big : small;
        TextLine line{lines[i], face, px, TextRole::Body, {}};
        const int w = painter.fonts().width(face, px, lines[i]);
        const int h = painter.fonts().line_height(face, px);
        if (y + h > area.y + area.h)
            break;
        line.box = {cx - w / 2, y, w, h};
        if (auto r = painter.text(line, i == 0 ? white : grey); !r)
            return r;
        y += h;
    }
    return {};
}

} // namespace

Result<void> draw_test_pattern(Painter& painter, Size canvas, double seconds,
                               const std::vector<std::string>& lines) {
    painter.fill({0, 0, canvas.width, canvas.height}, SDL_Color{0, 0, 0, 255});
    draw_test_pattern_grid(painter, canvas);
    draw_test_pattern_bands(painter, canvas, seconds);
    return draw_test_pattern_text(painter, canvas, lines);
}

} // namespace milepost
