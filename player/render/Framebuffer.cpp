#include "Framebuffer.hpp"

#include <SDL_image.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/fb.h>
#include <sys/ioctl.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace milepost {

namespace {

Uint32 mask(const fb_bitfield& field) {
    return field.length == 0 ? 0u : ((1u << field.length) - 1u) << field.offset;
}

std::string os_error() {
    return std::strerror(errno);
}

} // namespace

Result<FramebufferLayout> framebuffer_layout(int fd, const std::string& path) {
    fb_var_screeninfo var{};
    fb_fix_screeninfo fix{};
    if (ioctl(fd, FBIOGET_VSCREENINFO, &var) != 0 || ioctl(fd, FBIOGET_FSCREENINFO, &fix) != 0)
        return Error{path + ": not a framebuffer device: " + os_error()};
    FramebufferLayout layout;
    layout.width = static_cast<int>(var.xres);
    layout.height = static_cast<int>(var.yres);
    layout.pitch = static_cast<int>(fix.line_length);
    layout.offset = static_cast<long long>(var.yoffset) * fix.line_length +
                    static_cast<long long>(var.xoffset) * (var.bits_per_pixel / 8);
    layout.format =
        fix.type == FB_TYPE_PACKED_PIXELS && fix.visual == FB_VISUAL_TRUECOLOR
            ? SDL_MasksToPixelFormatEnum(static_cast<int>(var.bits_per_pixel), mask(var.red),
                                         mask(var.green), mask(var.blue), mask(var.transp))
            : static_cast<Uint32>(SDL_PIXELFORMAT_UNKNOWN);
    if (layout.format == SDL_PIXELFORMAT_UNKNOWN)
        return Error{path + ": pixels of " + std::to_string(var.bits_per_pixel) +
                     " bits this program cannot draw (not packed true colour)"};
    if (layout.width <= 0 || layout.height <= 0 ||
        layout.pitch < layout.width * static_cast<int>(var.bits_per_pixel / 8) ||
        layout.offset + static_cast<long long>(layout.height) * layout.pitch > fix.smem_len)
        return Error{path + ": its size (" + std::to_string(var.xres) + "x" +
                     std::to_string(var.yres) + ", " + std::to_string(fix.line_length) +
                     " bytes a row) does not fit its memory"};
    return layout;
}

Result<void> draw_on_framebuffer(int fd, const FramebufferLayout& layout, SDL_Surface* picture,
                                 const std::string& path) {
    // Fitted on a black canvas of the framebuffer's size (SDL's linear stretch
    // wants 32-bit pixels on both sides), then turned into the device's format.
    SurfacePtr source(SDL_ConvertSurfaceFormat(picture, SDL_PIXELFORMAT_ARGB8888, 0));
    SurfacePtr canvas(SDL_CreateRGBSurfaceWithFormat(0, layout.width, layout.height, 32,
                                                     SDL_PIXELFORMAT_ARGB8888));
    if (!source || !canvas)
        return Error{path + ": " + SDL_GetError()};
    SDL_FillRect(canvas.get(), nullptr, SDL_MapRGB(canvas->format, 0, 0, 0));
    const double scale = std::min(static_cast<double>(layout.width) / source->w,
                                  static_cast<double>(layout.height) / source->h);
    SDL_Rect to{0, 0, std::max(1, static_cast<int>(source->w * scale + 0.5)),
                std::max(1, static_cast<int>(source->h * scale + 0.5))};
    to.w = std::min(to.w, layout.width);
    to.h = std::min(to.h, layout.height);
    to.x = (layout.width - to.w) / 2;
    to.y = (layout.height - to.h) / 2;
    const int stretched = to.w == source->w && to.h == source->h
                              ? SDL_BlitSurface(source.get(), nullptr, canvas.get(), &to)
                              : SDL_SoftStretchLinear(source.get(), nullptr, canvas.get(), &to);
    SurfacePtr pixels(stretched == 0 ? SDL_ConvertSurfaceFormat(canvas.get(), layout.format, 0)
                                     : nullptr);
    if (!pixels)
        return Error{path + ": cannot lay out the picture: " + SDL_GetError()};
    // The visible area in one write, rows at the device's pitch, the bytes past
    // each row's pixels as they were. One write, not one a row: Linux 6.1's DRM
    // framebuffer emulation sends a one-row write to the display as zero pixels
    // wide (drm_fb_helper_memory_range_to_clip), so nothing would show.
    const size_t row = static_cast<size_t>(layout.width) * pixels->format->BytesPerPixel;
    const size_t size = static_cast<size_t>(layout.height) * layout.pitch;
    const auto at = static_cast<off_t>(layout.offset);
    std::vector<char> block(size);
    if (pread(fd, block.data(), size, at) != static_cast<ssize_t>(size))
        return Error{path + ": cannot read what it shows: " + os_error()};
    for (int y = 0; y < layout.height; ++y)
        std::memcpy(block.data() + static_cast<size_t>(y) * layout.pitch,
                    static_cast<const char*>(pixels->pixels) +
                        static_cast<ptrdiff_t>(y) * pixels->pitch,
                    row);
    if (pwrite(fd, block.data(), size, at) != static_cast<ssize_t>(size))
        return Error{path + ": cannot write the picture: " + os_error()};
    // A console that blanked the screen shows it again, and the picture goes to
    // the display now (a DRM driver's framebuffer emulation may keep writes in a
    // shadow copy for a moment). Not every device knows each request; none is
    // needed to have written.
    ioctl(fd, FBIOBLANK, FB_BLANK_UNBLANK);
    if (fb_var_screeninfo var{}; ioctl(fd, FBIOGET_VSCREENINFO, &var) == 0)
        ioctl(fd, FBIOPAN_DISPLAY, &var);
    fsync(fd);
    return {};
}

Result<void> show_on_framebuffer(const std::filesystem::path& picture,
                                 const std::filesystem::path& device,
                                 std::chrono::milliseconds wait) {
    SurfacePtr image(IMG_Load(picture.c_str()));
    if (!image)
        return Error{picture.string() + ": cannot read the splash: " + IMG_GetError()};
    const auto until = std::chrono::steady_clock::now() + wait;
    int fd = -1;
    while ((fd = open(device.c_str(), O_RDWR | O_CLOEXEC)) < 0 && errno == ENOENT &&
           std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (fd < 0)
        return Error{device.string() + ": " + os_error()};
    auto layout = framebuffer_layout(fd, device.string());
    auto drawn = layout ? draw_on_framebuffer(fd, *layout, image.get(), device.string())
                        : Result<void>(layout.error());
    close(fd);
    return drawn;
}

} // namespace milepost
