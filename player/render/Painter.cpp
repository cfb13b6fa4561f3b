#include "Painter.hpp"

#include "core/Log.hpp"

#include <algorithm>

namespace milepost {

void Painter::fill(Rect rect, SDL_Color c) {
    SDL_SetRenderDrawColor(m_renderer, c.r, c.g, c.b, c.a);
    SDL_Rect r = rect.sdl();
    SDL_RenderFillRect(m_renderer, &r);
}

Result<void> Painter::text(const TextLine& line, SDL_Color color) {
    SurfacePtr surface(
        TTF_RenderUTF8_Blended(m_fonts.at(line.face, line.px), line.text.c_str(), color));
    if (!surface)
        return Error{std::string("cannot render text: ") + TTF_GetError()};
    TexturePtr texture(SDL_CreateTextureFromSurface(m_renderer, surface.get()));
    if (!texture)
        return Error{std::string("cannot make a text texture: ") + SDL_GetError()};
    SDL_Rect dst{line.box.x, line.box.y, surface->w, surface->h};
    SDL_RenderCopy(m_renderer, texture.get(), nullptr, &dst);
    return {};
}

void Painter::image_fit(SDL_Texture* texture, Rect area) {
    int w = 0, h = 0;
    if (SDL_QueryTexture(texture, nullptr, nullptr, &w, &h) == 0)
        picture_fit(texture, {w, h}, 0, area);
}

void Painter::qr(const QrCode& code, Rect square) {
    const int quiet = 2; // modules of white around the code, so phones find it on any background
    const int total = code.width + 2 * quiet;
    const int module = std::max(1, square.w / total);
    const int side = module * total;
    const int x0 = square.x + (square.w - side) / 2, y0 = square.y + (square.h - side) / 2;
    fill({x0, y0, side, side}, SDL_Color{255, 255, 255, 255});
    SDL_SetRenderDrawColor(m_renderer, 0, 0, 0, 255);
    for (int y = 0; y < code.width; ++y)
        for (int x = 0; x < code.width; ++x)
            if (code.dark[static_cast<size_t>(y) * code.width + x]) {
                SDL_Rect r{x0 + (x + quiet) * module, y0 + (y + quiet) * module, module, module};
                SDL_RenderFillRect(m_renderer, &r);
            }
}

Rect fit_picture(Size display, int rotation, Rect area) {
    if (display.width <= 0 || display.height <= 0)
        return {};
    const bool sideways = rotation == 90 || rotation == 270;
    // The upright size on screen.
    const long long w = sideways ? display.height : display.width;
    const long long h = sideways ? display.width : display.height;
    int dw = area.w, dh = area.h;
    if (w * area.h > h * area.w)
        dh = static_cast<int>(h * area.w / w);
    else
        dw = static_cast<int>(w * area.h / h);
    return {area.x + (area.w - dw) / 2, area.y + (area.h - dh) / 2, dw, dh};
}

Rect Painter::picture_fit(SDL_Texture* texture, Size display, int rotation, Rect area) {
    const Rect landed = fit_picture(display, rotation, area);
    if (landed.w <= 0 || landed.h <= 0)
        return {};
    // SDL turns about the centre of the destination, so a sideways picture is given
    // its unturned shape there.
    const bool sideways = rotation == 90 || rotation == 270;
    SDL_Rect dst = landed.sdl();
    if (sideways)
        dst = {area.x + (area.w - landed.h) / 2, area.y + (area.h - landed.w) / 2, landed.h,
               landed.w};
    if (rotation == 0)
        SDL_RenderCopy(m_renderer, texture, nullptr, &dst);
    else
        SDL_RenderCopyEx(m_renderer, texture, nullptr, &dst, rotation, nullptr, SDL_FLIP_NONE);
    return landed;
}

void Painter::fill_around(Rect area, Rect inner, SDL_Color color) {
    if (inner.y > area.y)
        fill({area.x, area.y, area.w, inner.y - area.y}, color);
    if (inner.y + inner.h < area.y + area.h)
        fill({area.x, inner.y + inner.h, area.w, area.y + area.h - inner.y - inner.h}, color);
    if (inner.x > area.x)
        fill({area.x, inner.y, inner.x - area.x, inner.h}, color);
    if (inner.x + inner.w < area.x + area.w)
        fill({inner.x + inner.w, inner.y, area.x + area.w - inner.x - inner.w, inner.h}, color);
}

Result<BannerTexture> render_banner(SDL_Renderer* renderer, Fonts& fonts, const BannerText& text,
                                    const QrCode* qr, Size canvas, BannerPosition position) {
    // Laid out at the top, drawn at (0, 0) of its own texture, shown where it belongs.
    BannerLayout layout = layout_banner(fonts, text, qr != nullptr, canvas, BannerPosition::Top);
    BannerTexture out;
    out.texture.reset(SDL_CreateTexture(renderer, SDL_PIXELFORMAT_ARGB8888,
                                        SDL_TEXTUREACCESS_TARGET, layout.box.w, layout.box.h));
    if (!out.texture)
        return Error{std::string("cannot create the banner texture: ") + SDL_GetError()};
    // Opaque: copied over video, not blended with it.
    SDL_SetTextureBlendMode(out.texture.get(), SDL_BLENDMODE_NONE);
    SDL_Texture* previous = SDL_GetRenderTarget(renderer);
    SDL_SetRenderTarget(renderer, out.texture.get());
    Painter painter(renderer, fonts);
    painter.fill(layout.box, palette::kBanner);
    for (const TextLine& line : layout.lines)
        if (auto r = painter.text(line, palette::kBannerText); !r)
            log::warn(r.error().message);
    if (qr)
        painter.qr(*qr, layout.qr);
    SDL_SetRenderTarget(renderer, previous);
    out.box = layout.box;
    if (position == BannerPosition::Bottom)
        out.box.y = canvas.height - layout.box.h;
    return out;
}

ComposeReport compose(Painter& painter, Size canvas, const Frame& frame) {
    ComposeReport report;
    BannerLayout banner =
        layout_banner(painter.fonts(), frame.banner, frame.qr != nullptr, canvas, frame.position);
    Rect area = content_area(canvas, banner);

    if (const auto* slide = std::get_if<SlideBody>(&frame.body)) {
        painter.fill(area, slide->alert ? palette::kAlertBackground : palette::kBackground);
        SlideLayout layout =
            layout_slide(painter.fonts(), slide->title, slide->bullets, area, canvas);
        report.cut = layout.cut;
        const SDL_Color title = slide->alert ? palette::kAlertTitle : palette::kTitle;
        for (const TextLine& line : layout.lines) {
            auto r = painter.text(line, line.role == TextRole::Title ? title : palette::kBody);
            if (!r)
                log::warn(r.error().message);
        }
    } else {
        painter.fill(area, palette::kLetterbox);
        painter.image_fit(std::get<ImageBody>(frame.body).texture, area);
    }

    painter.fill(banner.box, palette::kBanner);
    for (const TextLine& line : banner.lines) {
        auto r = painter.text(line, palette::kBannerText);
        if (!r)
            log::warn(r.error().message);
    }
    if (frame.qr)
        painter.qr(*frame.qr, banner.qr);
    return report;
}

Result<void> copy_cached_layer(SDL_Renderer* r, Fonts& fonts, TexturePtr& cache, Size canvas,
                               const std::function<Result<void>(Painter&)>& paint) {
    int w = 0, h = 0;
    if (cache)
        SDL_QueryTexture(cache.get(), nullptr, nullptr, &w, &h);
    if (!cache || w != canvas.width || h != canvas.height) {
        cache.reset(SDL_CreateTexture(r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET,
                                      canvas.width, canvas.height));
        if (!cache)
            return Error{std::string("cannot make a layer texture: ") + SDL_GetError()};
        SDL_SetTextureBlendMode(cache.get(), SDL_BLENDMODE_BLEND);
        SDL_Texture* target = SDL_GetRenderTarget(r);
        SDL_SetRenderTarget(r, cache.get());
        SDL_SetRenderDrawColor(r, 0, 0, 0, 0);
        SDL_RenderClear(r);
        Painter painter(r, fonts);
        auto painted = paint(painter);
        SDL_SetRenderTarget(r, target);
        if (!painted)
            return painted;
    }
    SDL_RenderCopy(r, cache.get(), nullptr, nullptr);
    return {};
}

} // namespace milepost
