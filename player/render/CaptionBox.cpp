#include "CaptionBox.hpp"

#include "core/Text.hpp"

#include <algorithm>
#include <cmath>

namespace milepost {

namespace {

// The cue's own lines, each wrapped at `width` pixels.
std::vector<std::string> wrap_cue(Fonts& fonts, int px, std::string_view text, int width) {
    std::vector<std::string> lines;
    for (std::string_view paragraph : split_lines(text))
        for (std::string& l : wrap_text(fonts, Face::Regular, px, paragraph, width))
            lines.push_back(std::move(l));
    return lines;
}

} // namespace

CaptionLayout layout_caption(Fonts& fonts, std::string_view text, Size canvas, Rect picture) {
    const int basis = text_basis(canvas);
    // The smallest size whose lines are 4.5% of the short side tall.
    const int tall = static_cast<int>(std::ceil(kCaptionTextFraction * basis));
    int floor_px = std::max(6, tall * 3 / 4);
    while (fonts.line_height(Face::Regular, floor_px) < tall)
        ++floor_px;
    const int safe_x = static_cast<int>(std::lround(kCaptionSafeFraction * canvas.width));
    const int safe_y = static_cast<int>(std::lround(kCaptionSafeFraction * canvas.height));
    const int width = canvas.width - 2 * safe_x;
    // From a fifth larger down to the floor, the largest size that fits 3 lines.
    int px = floor_px * 6 / 5;
    std::vector<std::string> lines;
    for (;; px = std::max(floor_px, px - std::max(1, basis / 400))) {
        const int pad = px / 2;
        lines = wrap_cue(fonts, px, text, width - 2 * pad);
        if (lines.size() <= 3 || px == floor_px)
            break;
    }
    const int pad = px / 2;
    const int line_h = fonts.line_height(Face::Regular, px);
    // The picture area's bottom, never in the safe margin at the bottom; a cue too
    // tall for the space above it keeps its first lines (the banner is never covered).
    const int bottom = std::min(picture.y + picture.h - basis / 100, canvas.height - safe_y);
    const int top = std::max(picture.y, safe_y);
    while (lines.size() > 1 && static_cast<int>(lines.size()) * line_h + pad > bottom - top)
        lines.pop_back();
    int widest = 0;
    for (const auto& l : lines)
        widest = std::max(widest, fonts.width(Face::Regular, px, l));
    CaptionLayout out;
    out.box.w = std::min(width, widest + 2 * pad);
    out.box.h = static_cast<int>(lines.size()) * line_h + pad;
    out.box.x = (canvas.width - out.box.w) / 2;
    out.box.y = std::max(top, bottom - out.box.h);
    int y = out.box.y + pad / 2;
    for (auto& l : lines) {
        const int w = fonts.width(Face::Regular, px, l);
        out.lines.push_back(TextLine{std::move(l), Face::Regular, px, TextRole::Body,
                                     Rect{(canvas.width - w) / 2, y, w, line_h}});
        y += line_h;
    }
    return out;
}

Result<CaptionTexture> render_caption(SDL_Renderer* r, Fonts& fonts, std::string_view text,
                                      Size canvas, Rect picture) {
    CaptionLayout layout = layout_caption(fonts, text, canvas, picture);
    CaptionTexture out;
    out.box = layout.box;
    out.texture.reset(SDL_CreateTexture(r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET,
                                        std::max(1, layout.box.w), std::max(1, layout.box.h)));
    if (!out.texture)
        return Error{std::string("cannot make a caption texture: ") + SDL_GetError()};
    SDL_SetTextureBlendMode(out.texture.get(), SDL_BLENDMODE_BLEND);
    SDL_Texture* target = SDL_GetRenderTarget(r);
    SDL_SetRenderTarget(r, out.texture.get());
    // The box's own pixels: black at 80% (a clear writes them as they are), then
    // the letters blended onto it.
    SDL_SetRenderDrawColor(r, 0, 0, 0, kCaptionBoxAlpha);
    SDL_RenderClear(r);
    Result<void> painted;
    for (const TextLine& line : layout.lines) {
        SurfacePtr surface(TTF_RenderUTF8_Blended(fonts.at(line.face, line.px), line.text.c_str(),
                                                  SDL_Color{255, 255, 255, 255}));
        if (!surface) {
            painted = Error{std::string("cannot render a caption: ") + TTF_GetError()};
            break;
        }
        TexturePtr t(SDL_CreateTextureFromSurface(r, surface.get()));
        if (!t) {
            painted = Error{std::string("cannot make a caption texture: ") + SDL_GetError()};
            break;
        }
        SDL_Rect dst{line.box.x - layout.box.x, line.box.y - layout.box.y, surface->w, surface->h};
        SDL_RenderCopy(r, t.get(), nullptr, &dst);
    }
    SDL_SetRenderTarget(r, target);
    if (!painted)
        return painted.error();
    return out;
}

} // namespace milepost
