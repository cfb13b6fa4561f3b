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

    // Makes the canvas the render target; recreates it when the panel size changed.
    // Returns false when the canvas had to be recreated (its content is gone).
    Result<bool> begin_canvas();
    // Turns the canvas onto the panel and shows it; writes the panel to `png`
    // first when given.
    Result<void> present(const std::string* png = nullptr);
    // Call when the window size changed.
    void refresh_panel_size();

private:
    Output() = default;
    OutputSpec m_spec;
    Size m_panel;
    SurfacePtr m_surface; // headless only: the panel's pixels
    WindowPtr m_window;   // windowed and fullscreen only
    RendererPtr m_renderer;
    TexturePtr m_canvas;
    Size m_canvas_size;
};

} // namespace milepost
