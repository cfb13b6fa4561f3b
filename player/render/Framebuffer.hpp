#pragma once
// The splash on a Linux framebuffer device (/dev/fb0): what the kernel's console
// shows before any program takes the screen and again after the player lets go of
// it. A picture written there stays until something draws over it, so the
// hotline is on the screen while the system starts and stops
// (milepost-splash.service runs `milepost-player --splash /dev/fb0`).
#include "SdlHandles.hpp"
#include "core/Result.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace milepost {

// What the framebuffer's pixels are: the visible area, where it starts in the
// device, the bytes of a row and their layout as an SDL pixel format.
struct FramebufferLayout {
    int width = 0;
    int height = 0;
    int pitch = 0;        // bytes per row (the device's line length)
    long long offset = 0; // bytes from the device's start to the visible area's
    Uint32 format = SDL_PIXELFORMAT_UNKNOWN;
};

// Asks the device open as `fd` (named `path` in errors) for its layout.
Result<FramebufferLayout> framebuffer_layout(int fd, const std::string& path);

// Writes `picture` over the visible area of the framebuffer open as `fd`, as large
// as fits with its aspect kept, centred, the rest black.
Result<void> draw_on_framebuffer(int fd, const FramebufferLayout& layout, SDL_Surface* picture,
                                 const std::string& path);

// Puts the PNG `picture` on the framebuffer `device`, waiting up to `wait` for the
// device to appear (the kernel makes it when the display driver loads, early in
// the boot, while the system goes on starting).
Result<void> show_on_framebuffer(const std::filesystem::path& picture,
                                 const std::filesystem::path& device,
                                 std::chrono::milliseconds wait);

} // namespace milepost
