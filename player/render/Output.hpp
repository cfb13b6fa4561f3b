#pragma once
// The panel: a fullscreen or windowed SDL window, or (headless) a surface in
// memory drawn by SDL's software renderer, or a hidden window of SDL's offscreen
// video driver drawn by its OpenGL ES 2 renderer through EGL (the Raspberry Pi's
// path, on Mesa's llvmpipe without a GPU). Content is composed upright on a
// canvas texture laid out for the rotated screen, then turned onto the panel.
#include "SdlHandles.hpp"
#include "core/Result.hpp"
#include "core/Units.hpp"

#include <memory>
#include <optional>
#include <string>

namespace milepost {

enum class OutputMode { Fullscreen, Windowed, Headless };
// Auto: SDL's software renderer headless; on a screen, as choose_renderer() says.
enum class RendererChoice { Auto, Software, Gles2 };

struct OutputSpec {
    OutputMode mode = OutputMode::Fullscreen;
    RendererChoice renderer = RendererChoice::Auto;
    std::optional<Size> size; // windowed/headless: required; fullscreen: nullopt = desktop mode
    int rotation = 0;         // degrees clockwise the canvas is turned on the panel
};

class Output {
public:
    // SDL_Init must have been called with SDL_INIT_VIDEO, except for Headless with
    // the software renderer; headless OpenGL ES 2 needs SDL's "offscreen" driver.
    static Result<std::unique_ptr<Output>> create(const OutputSpec& spec);

    SDL_Renderer* renderer() const { return m_renderer.get(); }
    Size panel_size() const { return m_panel; }
    Size canvas_size() const;     // the panel turned by the rotation
    std::string describe() const; // "1920x1080 headless, software renderer, rotation 90"
    // The mode the panel is driven in: "1920x1080 at 60 Hz", "1280x720, headless".
    std::string mode_text() const;
    // "KMSDRM, opengles2 renderer"; "headless, software renderer".
    std::string driver_text() const;

    // Starts a frame: drawing then goes to a canvas of canvas_size(), upright.
    // Unturned screens draw straight onto the panel; turned ones onto a texture
    // that end_frame() turns onto it.
    Result<void> begin_frame();
    // Shows the frame; first writes the panel to `png` when given, and copies it
    // into `capture` (32-bit XRGB; `capture_width` wide or less when drawn in
    // software, else whole) when given, for a thread to scale and encode.
    // `changed`: only these pixels differ from the frame before (a window of SDL's
    // software renderer is then sent only them).
    Result<void> end_frame(const std::string* png = nullptr, SurfacePtr* capture = nullptr,
                           int capture_width = 0, const Rect* changed = nullptr);
    // end_frame() in two steps, for a frame composed ahead of its time: everything
    // but the showing (drawn, turned, written, copied), then the showing.
    Result<void> finish_frame(const std::string* png = nullptr, SurfacePtr* capture = nullptr,
                              int capture_width = 0);
    void show_frame(const Rect* changed = nullptr);
    // The screen's own pixels, when SDL's software renderer draws them and the
    // screen is not turned (headless, or a window without a GPU); else nullptr.
    SDL_Surface* direct_surface() const;
    // Why this renderer: for the log.
    const std::string& renderer_reason() const { return m_reason; }
    // Call when the window size changed.
    void refresh_panel_size();

private:
    Output() = default;
    static Result<void> open_headless(Output& out);
    static Result<void> open_window(Output& out);
    // The panel's own pixels when SDL's software renderer draws them, else nullptr.
    SDL_Surface* panel_surface() const;
    Result<SurfacePtr> capture_panel(int width);
    void warm_up();
    OutputSpec m_spec;
    Size m_panel;
    SurfacePtr m_surface; // headless only: the panel's pixels
    WindowPtr m_window;   // windowed and fullscreen only
    RendererPtr m_renderer;
    TexturePtr m_canvas; // turned screens only
    Size m_canvas_size;
    std::string m_reason;
};

} // namespace milepost
