#pragma once
// A card of facts over the content: the boot card and the diagnostics overlay.
// Large type on a dark panel, readable from the floor.
#include "Painter.hpp"

#include <string>
#include <utility>
#include <vector>

namespace milepost {

struct InfoCard {
    std::string title;
    std::vector<std::string> warnings;                     // each on a red line at the top
    std::vector<std::pair<std::string, std::string>> rows; // label, value
    std::string footer;                                    // small, at the bottom
    bool operator==(const InfoCard&) const = default;
};

inline constexpr SDL_Color kCardPanel{0, 0, 0, 225};
inline constexpr SDL_Color kCardWarning{200, 24, 32, 255};

// The panel's box: `area` (the canvas less the hotline banner, which is never
// covered) less a margin of 3% of the canvas.
Rect info_card_box(Size canvas, Rect area);
// Paints `card` in `area` of the canvas (the current render target), blended
// over what is there; rows get the largest size that fits (never under the 3%
// minimum: rows that do not fit then are left out).
Result<void> draw_info_card(Painter& painter, Size canvas, Rect area, const InfoCard& card);

} // namespace milepost
