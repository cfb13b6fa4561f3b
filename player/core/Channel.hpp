#pragma once
// A channel as the player sees it: hotlines, items and alerts. Read from a
// publisher's channel source (TOML, contract "Channel source").
#include "Identifiers.hpp"
#include "Units.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace milepost {

enum class ItemType { Slide, Video, Image };
std::string_view to_string(ItemType type);
std::optional<ItemType> parse_item_type(std::string_view text); // "slide", "video", "image"

struct Hotline {
    std::string region; // "*", "US", "US-TX"
    std::string lang;   // "" = any language
    std::string name;
    std::string call;
    std::string text;
    std::string text_keyword;
    std::string url;
    std::string emergency;
};

struct Schedule {
    std::vector<std::chrono::weekday> days; // empty = every day
    std::optional<TimeOfDay> from;
    std::optional<TimeOfDay> until;
    std::optional<std::chrono::year_month_day> start_date;
    std::optional<std::chrono::year_month_day> end_date;
    std::vector<std::string> regions; // prefix match on the device region
    int weight = 1;
};

// What milepost-pack found out about an item's media file (kept in the manifest).
struct MediaFacts {
    std::string object;     // sha256 hex of the file: its name in objects/
    std::uint64_t size = 0; // bytes
    double duration = 0;    // seconds; 0 for images
    std::string codec;      // "h264", "png"
    int width = 0, height = 0;
    double fps = 0;
    std::string audio; // the sound's codec, or ""
};

// A video's captions in one language (contract "Channel source": `captions`).
struct CaptionFile {
    std::string lang;
    std::filesystem::path file; // source: the publisher's .vtt/.srt; published: objects/<sha256>
    std::string object;         // published channels: sha256 hex of the WebVTT object
    std::uint64_t size = 0;     // published channels: its bytes
};

struct Item {
    std::string id;
    ItemType type = ItemType::Slide;
    std::string lang; // "" = every language
    std::string title;
    std::vector<std::string> bullets;
    std::optional<double> duration; // seconds; nullopt: slides/images 10 s, videos their length
    std::filesystem::path file;     // absolute, inside the channel folder; empty for slides
    Schedule schedule;
    MediaFacts media;                  // published channels only
    std::vector<CaptionFile> captions; // videos only; one per language, in language order
};

// One object an item needs on the screen: its media, then its caption files.
struct ObjectRef {
    std::string object; // sha256 hex
    std::uint64_t size = 0;
    std::filesystem::path file;
};
// The objects of a published item (none for a slide).
std::vector<ObjectRef> item_objects(const Item& item);
// The caption file of `item` in `lang`, or nullptr.
const CaptionFile* caption_in(const Item& item, std::string_view lang);

struct Alert {
    std::string id;
    std::string title;
    std::string body;
    std::chrono::milliseconds every{0};
    WallTime until;
};

// A system update a published channel carries (manifest "system"): a RAUC bundle
// stored as an object of the SITE, fetched and installed by milepost-sync.
struct SystemBundle {
    std::string version;        // the bundle's own [update] version
    std::string compatible;     // the bundle's [update] compatible: which boards take it
    std::string object;         // sha256, 64 hex digits
    std::uint64_t size = 0;     // bytes
    bool downgrade = false;     // the publisher lets it replace a newer system
    std::filesystem::path file; // objects/<object> on a screen
};

struct Channel {
    std::string name;
    std::string title;
    std::int64_t sequence = 0;  // published channels: strictly increasing
    std::string published;      // published channels: RFC 3339 UTC
    std::filesystem::path root; // folder that item files are relative to
    std::vector<Hotline> hotlines;
    std::vector<Item> items;
    std::vector<Alert> alerts;
    std::optional<SystemBundle> system; // published channels only
};

inline constexpr double kDefaultStillSeconds = 10.0;
// The longest an item may last, set or its own (a video's length): a day.
inline constexpr double kMaxItemSeconds = 86400;

// The channels built into the player, one per kind of venue (content/builtin/):
// what a screen plays with no content server, and until its first sync.
inline constexpr std::string_view kBuiltinChannels[] = {"truckstop", "bus", "weigh-station",
                                                        "licensing"};
// The built-in channel for [content] channel `configured`: itself when it is one,
// "truckstop" for "default" (its former name), for "" and for any other.
std::string_view builtin_channel_for(std::string_view configured);
bool is_builtin_channel(std::string_view name); // one of kBuiltinChannels, or "default"

// Reads a channel source file. Throws ConfigError naming the file, the item and
// the key; unknown keys are appended to `warnings`.
Channel load_channel_source(const std::filesystem::path& file, std::vector<std::string>& warnings);

// The file an item names, resolved inside `root`; nullopt when it would leave it
// (absolute path, "..", or a symlink pointing out).
std::optional<std::filesystem::path> resolve_inside(const std::filesystem::path& root,
                                                    std::string_view relative);

} // namespace milepost
