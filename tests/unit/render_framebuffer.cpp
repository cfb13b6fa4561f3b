// The splash: drawn by the player as the panel shows it, and laid on a Linux
// framebuffer in the device's own pixel format and rows (here a file stands for
// the device: what matters is which bytes land where).
#include "app/Splash.hpp"
#include "render/Framebuffer.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

using namespace milepost;
using namespace milepost::test;

namespace {

std::uint16_t pixel16(const std::string& bytes, size_t at) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[at]) |
                                      static_cast<unsigned char>(bytes[at + 1]) << 8);
}

Uint32 pixel32(SDL_Surface* s, int x, int y) {
    return *reinterpret_cast<const Uint32*>(static_cast<const char*>(s->pixels) +
                                            static_cast<ptrdiff_t>(y) * s->pitch + x * 4) &
           0xffffff;
}

} // namespace

TEST_CASE("the splash goes on a framebuffer fitted and centred on black, in its pixel format, "
          "from its visible row, leaving the padding of each row alone") {
    // A 4x2 picture, red on the left half, blue on the right.
    SurfacePtr picture(SDL_CreateRGBSurfaceWithFormat(0, 4, 2, 32, SDL_PIXELFORMAT_XRGB8888));
    REQUIRE(picture);
    SDL_Rect left{0, 0, 2, 2}, right{2, 0, 2, 2};
    SDL_FillRect(picture.get(), &left, SDL_MapRGB(picture->format, 255, 0, 0));
    SDL_FillRect(picture.get(), &right, SDL_MapRGB(picture->format, 0, 0, 255));
    // An 8x8 RGB565 framebuffer, 20 bytes a row (4 of padding), panned down 3 rows.
    const FramebufferLayout layout{8, 8, 20, 3 * 20, SDL_PIXELFORMAT_RGB565};
    TempDir dir;
    const auto device = dir.write("fb", std::string(20 * 11, '\xab'));
    const int fd = open(device.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    auto drawn = draw_on_framebuffer(fd, layout, picture.get(), device.string());
    close(fd);
    REQUIRE_MESSAGE(drawn.ok(), (drawn.ok() ? "" : drawn.error().message));
    const std::string after = read_file(device);
    REQUIRE(after.size() == 20 * 11);
    // The rows before the visible area are untouched.
    CHECK(after.substr(0, 60) == std::string(60, '\xab'));
    // Scaled 2x to 8x4, rows 2-5 of the visible area; black above and below.
    for (int y = 0; y < 8; ++y) {
        const size_t row = 60 + static_cast<size_t>(y) * 20;
        INFO("row " << y);
        const bool picture_row = y >= 2 && y <= 5;
        CHECK(pixel16(after, row) == (picture_row ? 0xf800 : 0));      // red, or black
        CHECK(pixel16(after, row + 14) == (picture_row ? 0x001f : 0)); // blue, or black
        CHECK(after.substr(row + 16, 4) == std::string(4, '\xab'));    // the padding
    }
}

TEST_CASE("the splash is the hotline screen at the panel's size, turned as the screen is") {
    Hotline hotline;
    hotline.name = "Canadian Human Trafficking Hotline";
    hotline.call = "1-833-900-1010";
    hotline.url = "https://www.canadianhumantraffickinghotline.ca";
    auto fonts = Fonts::open();
    REQUIRE(fonts.ok());
    SurfacePtr upright = render_splash(*fonts, {360, 640}, 0, hotline, "en");
    REQUIRE(upright);
    CHECK(upright->w == 360);
    CHECK(upright->h == 640);
    for (int rotation : {90, 180, 270}) {
        INFO("rotation " << rotation);
        SurfacePtr turned = render_splash(*fonts, {360, 640}, rotation, hotline, "en");
        REQUIRE(turned);
        const bool sideways = rotation != 180;
        CHECK(turned->w == (sideways ? 640 : 360));
        CHECK(turned->h == (sideways ? 360 : 640));
        // Each pixel of the upright picture where turning puts it, clockwise.
        int wrong = 0;
        for (int y = 0; y < 640; y += 7)
            for (int x = 0; x < 360; x += 5) {
                const int tx = rotation == 90 ? 639 - y : rotation == 180 ? 359 - x : y;
                const int ty = rotation == 90 ? x : rotation == 180 ? 639 - y : 359 - x;
                wrong += pixel32(upright.get(), x, y) != pixel32(turned.get(), tx, ty);
            }
        CHECK(wrong == 0);
    }
}
