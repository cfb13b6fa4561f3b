#pragma once
// A caption cue on screen: white text in a black box at 80% opacity, centred at
// the bottom of the picture area (above the hotline banner, never over it), inside
// a 5% safe area, its lines at least 4.5% of the screen's short side tall, wrapped
// to at most 3 lines. Laid out and painted once per cue into a texture of the box's
// size, which each frame copies: drawing a caption costs one small copy.
#include "Fonts.hpp"
#include "TextLayout.hpp"

#include <string_view>
#include <vector>

namespace milepost {

inline constexpr double kCaptionTextFraction =
    0.045; // a line's height, of the short side: legible from 5 m
inline constexpr double kCaptionSafeFraction = 0.05; // of each side
inline constexpr Uint8 kCaptionBoxAlpha = 204;       // 80% of 255

struct CaptionLayout {
    Rect box;                    // on the canvas
    std::vector<TextLine> lines; // their boxes relative to the canvas
};

// `text` (lines separated by '\n') in `picture`, the canvas less the banner. The
// letters start a little larger and shrink to the floor to fit 3 lines; a cue that
// needs more even then keeps every word (milepost-pack refuses such cues).
CaptionLayout layout_caption(Fonts& fonts, std::string_view text, Size canvas, Rect picture);

// The cue laid out, painted into a texture of its box's size (with the box's
// translucent black): copy it to `box` each frame.
struct CaptionTexture {
    TexturePtr texture;
    Rect box;
};
Result<CaptionTexture> render_caption(SDL_Renderer* renderer, Fonts& fonts, std::string_view text,
                                      Size canvas, Rect picture);

} // namespace milepost
