#include "Output.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <SDL_image.h>

#include <filesystem>
#include <vector>

namespace milepost {

namespace {

bool has_render_node() {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/dev/dri", ec))
        if (e.path().filename().string().starts_with("renderD"))
            return true;
    return false;
}

// Picks the SDL renderer on purpose (through SDL_HINT_RENDER_DRIVER) and says why.
// Without a GPU, SDL's default OpenGL renderer runs on Mesa's llvmpipe, which
// cannot hold 1080p30 on two cores; SDL's software renderer can.
std::string choose_renderer(RendererChoice choice) {
    if (choice != RendererChoice::Auto) {
        SDL_SetHint(SDL_HINT_RENDER_DRIVER,
                    choice == RendererChoice::Gles2 ? "opengles2" : "software");
        return choice == RendererChoice::Gles2 ? "--renderer gles2" : "--renderer software";
    }
    if (const char* forced = SDL_GetHint(SDL_HINT_RENDER_DRIVER); forced && *forced)
        return std::string("SDL_RENDER_DRIVER=") + forced + " asked for";
    const std::string driver = SDL_GetCurrentVideoDriver() ? SDL_GetCurrentVideoDriver() : "";
    if (driver == "KMSDRM") {
        SDL_SetHint(SDL_HINT_RENDER_DRIVER, "opengles2");
        return "KMSDRM console: the GPU through OpenGL ES 2";
    }
    if (!has_render_node()) {
        SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
        // Else SDL would show the software renderer's window surface through an
        // OpenGL texture: llvmpipe again, through the back door.
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
        return "no GPU (no /dev/dri/renderD*): software, as OpenGL would run on llvmpipe";
    }
    return "a GPU is present: SDL's accelerated default";
}

// What OpenGL says it draws with: "llvmpipe (LLVM 15.0.6, 256 bits)", "V3D 4.2".
std::string gl_renderer_name() {
    using GetString = const unsigned char* (*)(unsigned);
    constexpr unsigned kGlRenderer = 0x1F01; // GL_RENDERER
    auto get = reinterpret_cast<GetString>(SDL_GL_GetProcAddress("glGetString"));
    const unsigned char* name = get ? get(kGlRenderer) : nullptr;
    return name ? reinterpret_cast<const char*>(name) : "an unnamed GPU";
}

} // namespace

Result<std::unique_ptr<Output>> Output::create(const OutputSpec& spec) {
    std::unique_ptr<Output> out(new Output());
    out->m_spec = spec;
    auto opened = spec.mode == OutputMode::Headless ? open_headless(*out) : open_window(*out);
    if (!opened)
        return opened.error();
    out->refresh_panel_size();
    out->warm_up();
    return out;
}

// An OpenGL renderer compiles the shader that turns a video's YUV into RGB when a
// YUV texture is first drawn: on llvmpipe that costs the first video frame tens of
// milliseconds, on a Pi's GPU some. Drawing a small one of each kind now, before
// anything is due, moves that cost to start-up.
void Output::warm_up() {
    SDL_RendererInfo info{};
    if (SDL_GetRendererInfo(m_renderer.get(), &info) != 0 || std::string(info.name) == "software")
        return;
    for (const Uint32 format : {SDL_PIXELFORMAT_IYUV, SDL_PIXELFORMAT_NV12}) {
        TexturePtr texture(
            SDL_CreateTexture(m_renderer.get(), format, SDL_TEXTUREACCESS_STREAMING, 16, 16));
        if (!texture)
            continue;
        std::vector<Uint8> planes(16 * 16 * 3 / 2, 128);
        SDL_UpdateTexture(texture.get(), nullptr, planes.data(), 16);
        SDL_RenderCopy(m_renderer.get(), texture.get(), nullptr, nullptr);
    }
    SDL_SetRenderDrawColor(m_renderer.get(), 0, 0, 0, 255);
    SDL_RenderClear(m_renderer.get());
    SDL_RenderFlush(m_renderer.get());
}

Result<void> Output::open_headless(Output& out) {
    const Size size = *out.m_spec.size;
    if (out.m_spec.renderer == RendererChoice::Gles2) {
        // A hidden window of SDL's offscreen driver: EGL without a display, as a
        // Pi's KMSDRM console has, with the same renderer, shaders and uploads.
        SDL_SetHint(SDL_HINT_RENDER_DRIVER, "opengles2");
        out.m_window.reset(SDL_CreateWindow("Milepost", 0, 0, size.width, size.height,
                                            SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN));
        if (out.m_window)
            out.m_renderer.reset(SDL_CreateRenderer(
                out.m_window.get(), -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_TARGETTEXTURE));
        SDL_RendererInfo info{};
        if (!out.m_renderer || SDL_GetRendererInfo(out.m_renderer.get(), &info) != 0 ||
            std::string(info.name) != "opengles2")
            return Error{std::string("--renderer gles2: cannot render with OpenGL ES 2 "
                                     "offscreen (EGL; Mesa's libegl-mesa0 and "
                                     "libgl1-mesa-dri without a GPU): ") +
                         SDL_GetError()};
        out.m_reason =
            "headless: SDL's OpenGL ES 2 renderer offscreen through EGL, on " + gl_renderer_name();
        return {};
    }
    out.m_surface.reset(
        SDL_CreateRGBSurfaceWithFormat(0, size.width, size.height, 32, SDL_PIXELFORMAT_ARGB8888));
    if (!out.m_surface)
        return Error{std::string("cannot allocate the headless screen: ") + SDL_GetError()};
    out.m_renderer.reset(SDL_CreateSoftwareRenderer(out.m_surface.get()));
    out.m_reason = "headless: SDL's software renderer into memory";
    if (!out.m_renderer)
        return Error{std::string("cannot create the software renderer: ") + SDL_GetError()};
    return {};
}

Result<void> Output::open_window(Output& out) {
    const OutputSpec& spec = out.m_spec;
    Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_ALLOW_HIGHDPI;
    int w = 1280, h = 720;
    if (spec.mode == OutputMode::Windowed) {
        flags |= SDL_WINDOW_RESIZABLE;
        w = spec.size->width;
        h = spec.size->height;
    } else if (spec.size) {
        flags |= SDL_WINDOW_FULLSCREEN; // a real mode change to the configured size
        w = spec.size->width;
        h = spec.size->height;
    } else {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    }
    out.m_window.reset(
        SDL_CreateWindow("Milepost", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w, h, flags));
    if (!out.m_window)
        return Error{std::string("cannot open a window: ") + SDL_GetError()};
    if (spec.mode == OutputMode::Fullscreen)
        SDL_ShowCursor(SDL_DISABLE);
    out.m_reason = choose_renderer(spec.renderer);
    out.m_renderer.reset(SDL_CreateRenderer(out.m_window.get(), -1, SDL_RENDERER_TARGETTEXTURE));
    if (!out.m_renderer) {
        out.m_reason += std::string("; it failed (") + SDL_GetError() + "): software instead";
        out.m_renderer.reset(SDL_CreateRenderer(out.m_window.get(), -1, SDL_RENDERER_SOFTWARE));
    }
    if (!out.m_renderer)
        return Error{std::string("cannot create a renderer: ") + SDL_GetError()};
    return {};
}

void Output::refresh_panel_size() {
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(m_renderer.get(), &w, &h);
    m_panel = {w, h};
}

SDL_Surface* Output::panel_surface() const {
    if (m_surface)
        return m_surface.get();
    SDL_RendererInfo info{};
    if (SDL_GetRendererInfo(m_renderer.get(), &info) != 0 || std::string(info.name) != "software")
        return nullptr;
    return SDL_GetWindowSurface(m_window.get());
}

SDL_Surface* Output::direct_surface() const {
    return m_spec.rotation == 0 ? panel_surface() : nullptr;
}

Size Output::canvas_size() const {
    if (m_spec.rotation == 90 || m_spec.rotation == 270)
        return {m_panel.height, m_panel.width};
    return m_panel;
}

std::string Output::describe() const {
    SDL_RendererInfo info{};
    SDL_GetRendererInfo(m_renderer.get(), &info);
    std::string mode = m_spec.mode == OutputMode::Headless   ? "headless"
                       : m_spec.mode == OutputMode::Windowed ? "windowed"
                                                             : "fullscreen";
    std::string driver = m_window ? std::string(" on ") + SDL_GetCurrentVideoDriver() : "";
    return std::to_string(m_panel.width) + "x" + std::to_string(m_panel.height) + " " + mode +
           driver + ", " + info.name + " renderer (" + m_reason + "), rotation " +
           std::to_string(m_spec.rotation);
}

std::string Output::mode_text() const {
    std::string size = std::to_string(m_panel.width) + "x" + std::to_string(m_panel.height);
    if (m_spec.mode == OutputMode::Headless)
        return size + ", headless";
    SDL_DisplayMode mode{};
    const int display = SDL_GetWindowDisplayIndex(m_window.get());
    if (display < 0 || SDL_GetCurrentDisplayMode(display, &mode) != 0 || mode.refresh_rate <= 0)
        return size + ", refresh rate unknown";
    return size + " at " + std::to_string(mode.refresh_rate) + " Hz";
}

std::string Output::driver_text() const {
    SDL_RendererInfo info{};
    SDL_GetRendererInfo(m_renderer.get(), &info);
    const char* driver = m_window ? SDL_GetCurrentVideoDriver() : "headless";
    return std::string(driver ? driver : "?") + ", " + info.name + " renderer";
}

Result<void> Output::begin_frame() {
    if (m_spec.rotation == 0) {
        m_canvas.reset();
        SDL_SetRenderTarget(m_renderer.get(), nullptr);
        return {};
    }
    Size want = canvas_size();
    if (!m_canvas || !(want == m_canvas_size)) {
        m_canvas.reset(SDL_CreateTexture(m_renderer.get(), SDL_PIXELFORMAT_ARGB8888,
                                         SDL_TEXTUREACCESS_TARGET, want.width, want.height));
        if (!m_canvas)
            return Error{std::string("cannot create the canvas: ") + SDL_GetError()};
        m_canvas_size = want;
    }
    if (SDL_SetRenderTarget(m_renderer.get(), m_canvas.get()) != 0)
        return Error{std::string("cannot draw on the canvas: ") + SDL_GetError()};
    return {};
}

// The panel as 32-bit XRGB (what SDL's linear stretch works on). Drawn by SDL's
// software renderer, it is scaled straight from the panel's pixels to `width`:
// no copy of the whole screen (8 MB at 1080p) is made. Else it is read back whole.
Result<SurfacePtr> Output::capture_panel(int width) {
    SDL_Surface* panel = panel_surface();
    if (panel && width > 0 && width < panel->w) {
        SDL_RenderFlush(m_renderer.get());
        const int height = std::max(1, panel->h * width / panel->w);
        SurfacePtr scaled(
            SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, panel->format->format));
        if (!scaled || SDL_SoftStretchLinear(panel, nullptr, scaled.get(), nullptr) != 0)
            return Error{std::string("cannot scale the screen: ") + SDL_GetError()};
        SurfacePtr shot(SDL_ConvertSurfaceFormat(scaled.get(), SDL_PIXELFORMAT_XRGB8888, 0));
        if (!shot)
            return Error{std::string("cannot convert the screen: ") + SDL_GetError()};
        return shot;
    }
    SurfacePtr shot(SDL_CreateRGBSurfaceWithFormat(0, m_panel.width, m_panel.height, 32,
                                                   SDL_PIXELFORMAT_XRGB8888));
    if (!shot || SDL_RenderReadPixels(m_renderer.get(), nullptr, SDL_PIXELFORMAT_XRGB8888,
                                      shot->pixels, shot->pitch) != 0)
        return Error{std::string("cannot read the screen: ") + SDL_GetError()};
    return shot;
}

Result<void> Output::end_frame(const std::string* png, SurfacePtr* capture, int capture_width,
                               const Rect* changed) {
    Result<void> result = finish_frame(png, capture, capture_width);
    show_frame(changed);
    return result;
}

Result<void> Output::finish_frame(const std::string* png, SurfacePtr* capture, int capture_width) {
    SDL_Renderer* r = m_renderer.get();
    if (m_canvas) {
        SDL_SetRenderTarget(r, nullptr);
        // Centred on the panel and turned about its centre: a 1080x1920 canvas turned
        // by 90 degrees covers a 1920x1080 panel exactly.
        SDL_Rect dst{(m_panel.width - m_canvas_size.width) / 2,
                     (m_panel.height - m_canvas_size.height) / 2, m_canvas_size.width,
                     m_canvas_size.height};
        SDL_RenderCopyEx(r, m_canvas.get(), nullptr, &dst, m_spec.rotation, nullptr, SDL_FLIP_NONE);
    }
    Result<void> result;
    if (png) {
        // RGB24: a snapshot has no alpha channel to get wrong.
        SurfacePtr shot(SDL_CreateRGBSurfaceWithFormat(0, m_panel.width, m_panel.height, 24,
                                                       SDL_PIXELFORMAT_RGB24));
        if (!shot ||
            SDL_RenderReadPixels(r, nullptr, SDL_PIXELFORMAT_RGB24, shot->pixels, shot->pitch) != 0)
            result = Error{*png + ": cannot read the screen: " + SDL_GetError()};
        else if (IMG_SavePNG(shot.get(), png->c_str()) != 0)
            result = Error{*png + ": cannot write: " + IMG_GetError()};
    }
    if (capture) {
        if (auto shot = capture_panel(capture_width); !shot)
            result = shot.error();
        else
            *capture = std::move(*shot);
    }
    SDL_RenderFlush(r); // what is queued is drawn now, not when shown
    return result;
}

void Output::show_frame(const Rect* changed) {
    SDL_Renderer* r = m_renderer.get();
    if (changed && !m_canvas && m_window && direct_surface()) {
        const SDL_Rect rect = changed->sdl();
        if (SDL_UpdateWindowSurfaceRects(m_window.get(), &rect, 1) != 0)
            SDL_RenderPresent(r);
    } else {
        SDL_RenderPresent(r);
    }
}

} // namespace milepost
