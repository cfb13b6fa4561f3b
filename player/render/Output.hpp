#pragma once
// The panel: a fullscreen or windowed SDL window, or (headless) a surface in
// memory drawn by SDL's software renderer. Content is composed upright on a
// canvas texture laid out for the rotated screen, then turned onto the panel.
#include "SdlHandles.hpp"
#include "core/Result.hpp"
#include "core/Units.hpp"

#include <memory>
#include <optional>
#include <string>

namespace milepost {

enum class OutputMode { Fullscreen, Windowed, Headless };

struct OutputSpec {
    OutputMode mode = OutputMode::Fullscreen;
    std::optional<Size> size; // windowed/headless: required; fullscreen: nullopt = desktop mode
    int rotation = 0;         // degrees clockwise the canvas is turned on the panel
};

class Output {
public:
    // SDL_Init must have been called with SDL_INIT_VIDEO, except for Headless.
    static Result<std::unique_ptr<Output>> create(const OutputSpec& spec);

    SDL_Renderer* renderer() const { return m_renderer.get(); }
    Size panel_size() const { return m_panel; }
    Size canvas_size() const;     // the panel turned by the rotation
    std::string describe() const; // "1920x1080 headless, software renderer, rotation 90"

    // Starts a frame: drawing then goes to a canvas of canvas_size(), upright.
    // Unturned screens draw straight onto the panel; turned ones onto a texture
    // that end_frame() turns onto it.
    Result<void> begin_frame();
    // Shows the frame; writes the panel to `png` first when given, scaled down to
    // `png_width` pixels wide when that is set (0: full size), through a
    // temporary name and a rename, so a reader never sees half a file.
    Result<void> end_frame(const std::string* png = nullptr, int png_width = 0);
    // The screen's own pixels, when SDL's software renderer draws them and the
    // screen is not turned (headless, or a window without a GPU); else nullptr.
    SDL_Surface* direct_surface() const;
    // Why this renderer: for the log.
    const std::string& renderer_reason() const { return m_reason; }
    // Call when the window size changed.
    void refresh_panel_size();

private:
    Output() = default;
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
