#pragma once
// The screen's splash: the hotline screen in the device's first language, as the
// panel shows it (its size, turned as the screen is), kept as DATA_DIR/splash.png.
// milepost-splash.service puts it on the framebuffer (`milepost-player --splash
// /dev/fb0`) as early in the boot as the data partition is mounted, and again
// once the player has stopped, so that a restart (an update's reboot in the
// maintenance window, a power cut) shows the hotline rather than a black screen
// or the console. Written only when what it shows changed (region, channel's
// hotline, language, screen size), off the render loop.
#include "HotlineChoice.hpp"
#include "LoopClock.hpp"
#include "Playback.hpp"
#include "core/DeviceConfig.hpp"
#include "render/Fonts.hpp"
#include "render/Output.hpp"

#include <filesystem>
#include <string>

namespace milepost {

inline constexpr const char* kSplashFile = "splash.png"; // in the data dir

// The hotline screen at `canvas` (no language button), turned `rotation` degrees
// clockwise; nullptr (logged) when it cannot be drawn.
SurfacePtr render_splash(Fonts& fonts, Size canvas, int rotation, const Hotline& hotline,
                         const std::string& lang);

class SplashKeeper {
public:
    // Writes DATA_DIR/splash.png; first looks a few seconds after `started`.
    SplashKeeper(const std::string& data_dir, const DeviceConfig& config, const Output& output,
                 Fonts& fonts, HotlineChoice& hotlines, Clock::time_point started);
    // Looks every few seconds whether the splash is still what the screen would
    // show, and hands a new one to the play recorder to write when not. Drawing it
    // takes a Raspberry Pi some tens of milliseconds, which must not delay an item
    // or a frame: it is drawn only when the loop has nothing due before `busy_from`
    // for a while, and not while a video plays; after a few minutes of waiting, at
    // the next look whatever is on screen.
    void update(Clock::time_point now, Clock::time_point busy_from, Playback& playback);
    Clock::time_point next_check() const { return m_next_check; }

private:
    std::filesystem::path m_file;
    const DeviceConfig& m_config;
    const Output& m_output;
    Fonts& m_fonts;
    HotlineChoice& m_hotlines;
    Clock::time_point m_next_check;
    Clock::time_point m_patient_until; // a busy loop puts the drawing off until then
    std::string m_shown;               // what the last splash handed on shows
};

} // namespace milepost
