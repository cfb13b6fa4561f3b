#pragma once
// The device config (/etc/milepost/device.toml, contract "Device config"): every
// key with its default, so that an empty file is valid.
#include "Identifiers.hpp"
#include "Units.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace milepost {

enum class BannerPosition { Bottom, Top };

// [display] captions: "on", "off", or "when-muted" (only while the sound is off).
enum class CaptionMode { On, Off, WhenMuted };

// [update] channel: "stable" (install the system updates the channel names) or "off".
enum class UpdateChannel { Stable, Off };

// The hours when a screen may reboot into a new system: [start, end) in device
// time; end before start crosses midnight.
struct UpdateWindow {
    TimeOfDay start;
    TimeOfDay end;
    bool operator==(const UpdateWindow&) const = default;
};

struct DeviceConfig {
    struct Device {
        std::string id; // default: derived from machine-id
        std::string site;
        std::string region;                       // "" = unknown: the "*" hotline
        std::string timezone;                     // "" = the system zone
        std::vector<std::string> languages{"en"}; // first one: fallback and banner language
    } device;

    struct Content {
        std::string server; // "" = built-in channel only
        std::string channel;
        std::string public_key;
        std::chrono::milliseconds poll_interval{std::chrono::minutes(5)};
        std::int64_t max_cache_mb = 0; // 0: 80% of free space at first start
        std::int64_t max_rate = 0;     // bytes/s, 0 = no cap
        std::string ca_file;
    } content;

    struct Display {
        std::optional<Size> size; // nullopt = "auto"
        int rotation = 0;         // degrees clockwise the picture is turned on the panel
        bool audio = false;
        BannerPosition banner = BannerPosition::Bottom;
        std::optional<TimeOfDay> power_on;
        std::optional<TimeOfDay> power_off;
        int boot_info_seconds = 10;
        CaptionMode captions = CaptionMode::On;
    } display;

    struct Logs {
        std::string upload_url; // "" = keep logs locally only
        std::string token_file;
        struct S3 {
            std::string access_key_file;
            std::string secret_key_file;
            std::string region;
        };
        std::optional<S3> s3;
        int keep_days = 90;
        int screenshot_minutes = 15;
        int max_db_mb = 64;
    } logs;

    struct Update {
        UpdateChannel channel = UpdateChannel::Stable;
        std::optional<UpdateWindow> window; // nullopt: see update_window()
    } update;
};

// The reboot window: [update] window, else the hour from [display] power_off (the
// screen is dark then), else 03:00-04:00.
UpdateWindow update_window(const DeviceConfig& config);
// "03:00-04:00"
std::optional<UpdateWindow> parse_update_window(std::string_view text);
std::string format_update_window(const UpdateWindow& w);

// Applies the keys present in TOML text `text` (read from `file`) on top of `config`,
// so that a provisioning override can be applied over the device config. Throws
// ConfigError naming file, key and what was expected. Unknown keys are appended to
// `warnings`.
void apply_device_config(DeviceConfig& config, std::string_view text, const std::string& file,
                         std::vector<std::string>& warnings);

// Checks rules that span keys (server needs public_key, power_on needs power_off)
// and fills derived defaults. `machine_id` is /etc/machine-id's content, or "".
void finish_device_config(DeviceConfig& config, const std::string& file,
                          std::string_view machine_id);

// Reads `path` ("" = none; a missing or unreadable file is an error) and then, when
// `override_path` names an existing file, applies it on top.
DeviceConfig load_device_config(const std::string& path, const std::string& override_path,
                                std::string_view machine_id, std::vector<std::string>& warnings);

inline constexpr const char* kDefaultConfigPath = "/etc/milepost/device.toml";
inline constexpr const char* kProvisioningOverridePath = "/boot/firmware/milepost.toml";

// The two paths, which the environment can move (MILEPOST_DEFAULT_CONFIG,
// MILEPOST_PROVISIONING_CONFIG): for tests and for tools that work on an image.
std::string default_config_path();
std::string provisioning_override_path();

// The config a device program runs with: `config_flag` alone when --config was
// given; else kDefaultConfigPath (every key's default when it is absent) with
// kProvisioningOverridePath on top. The device id comes from /etc/machine-id.
// Notes for the log (unknown keys, a missing default file) go to `notes`.
DeviceConfig load_program_config(const std::optional<std::string>& config_flag,
                                 std::vector<std::string>& warnings,
                                 std::vector<std::string>& notes);

// As load_program_config without --config, for a screen that must stay lit: a bad
// file is set aside (the provisioning override first, then the device config) and
// `problem` says what was wrong, for the log and the screen.
DeviceConfig load_service_config(std::vector<std::string>& warnings,
                                 std::vector<std::string>& notes, std::string& problem);

// How a device program reads its config: a person at a terminal (--config FILE,
// or a check) is told of a bad file and the program stops (ConfigError); a
// service sets a bad file aside, as load_service_config does, and goes on.
enum class ConfigReader { Person, Service };

// load_program_config or load_service_config, by `reader`, with what they noted
// written to the log: a file set aside (its error followed by `then`, which says
// what the program does instead, and put in `problem`), the notes, the warnings.
DeviceConfig load_and_log_config(const std::optional<std::string>& config_flag, ConfigReader reader,
                                 std::string_view then, std::string& problem);

} // namespace milepost
