#include "DeviceConfig.hpp"
#include "Channel.hpp"
#include "Files.hpp"
#include "Minisign.hpp"
#include "Schedule.hpp"

#include <cstdlib>

#include "Log.hpp"
#include "Result.hpp"
#include "TomlReader.hpp"
#include "Url.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace milepost {

namespace {

bool is_url(std::string_view s, bool allow_http) {
    auto rest_ok = [&](size_t n) { return s.size() > n && s[n] != '/'; };
    if (s.starts_with("https://"))
        return rest_ok(8);
    return allow_http && s.starts_with("http://") && rest_ok(7);
}

void read_device(TomlReader& r, DeviceConfig::Device& d) {
    if (auto v = r.string("id")) {
        if (v->empty() || v->size() > 64)
            r.fail("id", "1 to 64 characters of [a-z0-9._-]");
        for (char c : *v)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-'))
                r.fail("id", "1 to 64 characters of [a-z0-9._-]");
        d.id = *v;
    }
    if (auto v = r.string("site"))
        d.site = *v;
    if (auto v = r.string("region")) {
        if (!is_valid_region(*v))
            r.fail("region", "an ISO 3166 code such as \"US\" or \"US-TX\"");
        d.region = *v;
    }
    if (auto v = r.string("timezone")) {
        bool ok = !v->empty() && v->size() < 64 && !v->starts_with('/') &&
                  v->find("..") == std::string::npos;
        for (char c : *v)
            ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' ||
                        c == '-' || c == '+');
        if (!ok)
            r.fail("timezone", "an IANA time zone name such as \"America/Chicago\"");
        if (!Zone::locate(*v))
            throw ConfigError(r.prefix("timezone") + ": \"" + *v +
                              "\" is not a time zone in this system's tzdata (expected an IANA "
                              "name such as \"America/Chicago\")");
        d.timezone = *v;
    }
    if (auto v = r.strings("languages")) {
        if (v->empty())
            r.fail("languages", "at least one language code such as [\"en\"]");
        for (const auto& l : *v)
            if (!is_valid_language(l))
                throw ConfigError(r.prefix("languages") +
                                  ": expected lower-case ISO 639 codes such as \"en\", got \"" + l +
                                  "\"");
        d.languages = *v;
    }
}

void read_content(TomlReader& r, DeviceConfig::Content& c, std::vector<std::string>& warnings) {
    if (auto v = r.string("server")) {
        if (!v->empty() && !is_url(*v, true))
            r.fail("server", "an https:// URL");
        if (v->starts_with("http://"))
            warnings.push_back(r.prefix("server") +
                               ": plain http:// (signatures still guard the content)");
        c.server = *v;
    }
    if (auto v = r.string("channel")) {
        // It names folders and URLs: the characters of an item id.
        if (!is_valid_id(*v))
            r.fail("channel", "a channel name of [a-z0-9._-] such as \"trucking\"");
        c.channel = *v;
    }
    if (auto v = r.string("public_key")) {
        if (!v->empty() && !minisign_parse_public_key(*v))
            r.fail("public_key", "a minisign public key (the base64 line of a .pub file, RWQ...)");
        c.public_key = *v;
    }
    if (auto v = r.string("poll_interval")) {
        auto d = parse_duration(*v);
        if (!d || *d < std::chrono::seconds(10))
            r.fail("poll_interval", "a duration of at least 10s such as \"5m\"");
        c.poll_interval = *d;
    }
    if (auto v = r.integer("max_cache_mb")) {
        if (*v < 0)
            r.fail("max_cache_mb", "0 or more megabytes");
        c.max_cache_mb = *v;
    }
    if (auto v = r.string("max_rate")) {
        auto rate = parse_rate(*v);
        if (!rate)
            r.fail("max_rate", "bytes per second such as \"2M\", \"500K\" or \"0\"");
        c.max_rate = *rate;
    }
    if (auto v = r.string("ca_file"))
        c.ca_file = *v;
}

int read_int_in(TomlReader& r, std::string_view key, int lo, int hi, int fallback) {
    auto v = r.integer(key);
    if (!v)
        return fallback;
    if (*v < lo || *v > hi)
        r.fail(key, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    return static_cast<int>(*v);
}

void read_display(TomlReader& r, DeviceConfig::Display& d) {
    if (auto v = r.string("size")) {
        if (*v == "auto") {
            d.size.reset();
        } else {
            auto s = parse_size(*v);
            if (!s)
                r.fail("size", "\"auto\" or WIDTHxHEIGHT such as \"1920x1080\"");
            d.size = *s;
        }
    }
    if (auto v = r.integer("rotation")) {
        if (*v != 0 && *v != 90 && *v != 180 && *v != 270)
            r.fail("rotation", "0, 90, 180 or 270");
        d.rotation = static_cast<int>(*v);
    }
    if (auto v = r.boolean("audio"))
        d.audio = *v;
    if (auto v = r.string("banner")) {
        if (*v == "bottom")
            d.banner = BannerPosition::Bottom;
        else if (*v == "top")
            d.banner = BannerPosition::Top;
        else
            r.fail("banner", "\"bottom\" or \"top\" (the hotline is always on screen)");
    }
    for (auto [key, field] : {std::pair{"power_on", &d.power_on}, {"power_off", &d.power_off}}) {
        if (auto v = r.string(key)) {
            auto t = parse_time_of_day(*v);
            if (!t)
                r.fail(key, "a time of day such as \"07:00\"");
            *field = *t;
        }
    }
    d.boot_info_seconds = read_int_in(r, "boot_info_seconds", 0, 3600, d.boot_info_seconds);
    if (auto v = r.string("captions")) {
        if (*v == "on")
            d.captions = CaptionMode::On;
        else if (*v == "off")
            d.captions = CaptionMode::Off;
        else if (*v == "when-muted")
            d.captions = CaptionMode::WhenMuted;
        else
            r.fail("captions", "\"on\", \"off\" or \"when-muted\"");
    }
}

void read_logs(TomlReader& r, DeviceConfig::Logs& l, const std::string& file,
               std::vector<std::string>& warnings) {
    if (auto v = r.string("upload_url")) {
        if (!v->empty() && !is_url(*v, true))
            r.fail("upload_url", "an https:// URL");
        if (!v->empty() && !v->ends_with('/'))
            r.fail("upload_url", "a URL ending in \"/\"");
        l.upload_url = *v;
    }
    if (auto v = r.string("token_file"))
        l.token_file = *v;
    if (const toml::table* s3 = r.table("s3")) {
        TomlReader sr(file, "[logs.s3]", *s3);
        DeviceConfig::Logs::S3 out = l.s3.value_or(DeviceConfig::Logs::S3{});
        if (auto v = sr.string("access_key_file"))
            out.access_key_file = *v;
        if (auto v = sr.string("secret_key_file"))
            out.secret_key_file = *v;
        if (auto v = sr.string("region"))
            out.region = *v;
        if (out.access_key_file.empty() || out.secret_key_file.empty() || out.region.empty())
            throw ConfigError(file +
                              ": [logs.s3]: expected access_key_file, secret_key_file and region");
        l.s3 = out;
        auto unknown = sr.unknown_keys();
        warnings.insert(warnings.end(), unknown.begin(), unknown.end());
    }
    l.keep_days = read_int_in(r, "keep_days", 1, 3650, l.keep_days);
    l.screenshot_minutes = read_int_in(r, "screenshot_minutes", 0, 1440, l.screenshot_minutes);
    l.max_db_mb = read_int_in(r, "max_db_mb", 1, 65536, l.max_db_mb);
}

void read_update(TomlReader& r, DeviceConfig::Update& u) {
    if (auto v = r.string("channel")) {
        if (*v == "stable")
            u.channel = UpdateChannel::Stable;
        else if (*v == "off")
            u.channel = UpdateChannel::Off;
        else
            r.fail("channel", "\"stable\" or \"off\"");
    }
    if (auto v = r.string("window")) {
        auto w = parse_update_window(*v);
        if (!w)
            r.fail("window", "two different times of day such as \"03:00-04:00\"");
        u.window = *w;
    }
}

} // namespace

std::optional<UpdateWindow> parse_update_window(std::string_view text) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos)
        return std::nullopt;
    auto start = parse_time_of_day(text.substr(0, dash));
    auto end = parse_time_of_day(text.substr(dash + 1));
    if (!start || !end || *start == *end)
        return std::nullopt;
    return UpdateWindow{*start, *end};
}

std::string format_update_window(const UpdateWindow& w) {
    return format_time_of_day(w.start) + "-" + format_time_of_day(w.end);
}

UpdateWindow update_window(const DeviceConfig& config) {
    if (config.update.window)
        return *config.update.window;
    if (config.display.power_off)
        return {*config.display.power_off,
                TimeOfDay{(config.display.power_off->minutes + 60) % 1440}};
    return {TimeOfDay{3 * 60}, TimeOfDay{4 * 60}};
}

void apply_device_config(DeviceConfig& config, std::string_view text, const std::string& file,
                         std::vector<std::string>& warnings) {
    const toml::table root = parse_toml_string(text, file);
    TomlReader top(file, "", root);
    std::vector<TomlReader> sections;
    auto section = [&](const char* name, auto&& read) {
        if (const toml::table* t = top.table(name)) {
            // Appended, not concatenated: GCC 12's -O3 warns (-Wrestrict) of a
            // false overlap in `"[" + std::string(name) + "]"`.
            std::string label = "[";
            label.append(name).append("]");
            TomlReader r(file, label, *t);
            read(r);
            sections.push_back(r);
        }
    };
    section("device", [&](TomlReader& r) { read_device(r, config.device); });
    section("content", [&](TomlReader& r) { read_content(r, config.content, warnings); });
    section("display", [&](TomlReader& r) { read_display(r, config.display); });
    section("logs", [&](TomlReader& r) { read_logs(r, config.logs, file, warnings); });
    section("update", [&](TomlReader& r) { read_update(r, config.update); });
    for (const TomlReader& r : sections) {
        auto unknown = r.unknown_keys();
        warnings.insert(warnings.end(), unknown.begin(), unknown.end());
    }
    auto unknown = top.unknown_keys();
    warnings.insert(warnings.end(), unknown.begin(), unknown.end());
}

void finish_device_config(DeviceConfig& config, const std::string& file,
                          std::string_view machine_id) {
    if (!config.content.server.empty() && config.content.public_key.empty())
        throw ConfigError(file + ": [content] public_key: required when server is set");
    if (!config.content.server.empty() && config.content.channel.empty())
        throw ConfigError(file + ": [content] channel: required when server is set");
    if (!config.logs.token_file.empty() && config.logs.s3)
        throw ConfigError(file + ": [logs] token_file: expected either token_file or [logs.s3], "
                                 "not both (S3 requests are signed, not given a bearer token)");
    // A bearer token or an S3 key sent over plain http can be read by anyone on the
    // path; a loopback address (a local relay) never leaves the machine.
    if ((!config.logs.token_file.empty() || config.logs.s3) && !config.logs.upload_url.empty() &&
        !is_https_url(config.logs.upload_url) && !is_loopback_url(config.logs.upload_url))
        throw ConfigError(file + ": [logs] upload_url: " + redact_url(config.logs.upload_url) +
                          ": expected an https:// URL, as " +
                          (config.logs.s3 ? "[logs.s3] keys" : "token_file's token") +
                          " must not travel over plain http (only a loopback address such as "
                          "127.0.0.1 may use http)");
    if (config.display.power_on.has_value() != config.display.power_off.has_value())
        throw ConfigError(file + ": [display] " +
                          (config.display.power_on ? "power_off" : "power_on") +
                          ": expected power_on and power_off together");
    if (config.display.power_on && config.display.power_on == config.display.power_off)
        throw ConfigError(file + ": [display] power_off: expected a time other than power_on");
    if (config.device.id.empty()) {
        std::string hex;
        for (char c : machine_id)
            if (std::isxdigit(static_cast<unsigned char>(c)) && hex.size() < 12)
                hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        config.device.id = "milepost-" + (hex.empty() ? std::string("unknown") : hex);
    }
}

namespace {
std::string read_config_file(const std::string& path) {
    auto text = read_file(path);
    if (!text)
        throw ConfigError(text.error().message);
    return std::move(*text);
}

// /etc/machine-id's content, trimmed, or "" (the default device id comes from it).
std::string machine_id() {
    const auto text = read_file("/etc/machine-id", 256);
    std::string id = text ? *text : std::string();
    while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back())))
        id.pop_back();
    return id;
}
} // namespace

DeviceConfig load_device_config(const std::string& path, const std::string& override_path,
                                std::string_view machine_id, std::vector<std::string>& warnings) {
    DeviceConfig config;
    std::string last = path.empty() ? std::string("(defaults)") : path;
    if (!path.empty())
        apply_device_config(config, read_config_file(path), path, warnings);
    std::error_code ec;
    if (!override_path.empty() && std::filesystem::exists(override_path, ec)) {
        apply_device_config(config, read_config_file(override_path), override_path, warnings);
        last = override_path;
    }
    finish_device_config(config, last, machine_id);
    return config;
}

std::string default_config_path() {
    const char* env = std::getenv("MILEPOST_DEFAULT_CONFIG");
    return env && *env ? env : kDefaultConfigPath;
}

std::string provisioning_override_path() {
    const char* env = std::getenv("MILEPOST_PROVISIONING_CONFIG");
    return env && *env ? env : kProvisioningOverridePath;
}

DeviceConfig load_program_config(const std::optional<std::string>& config_flag,
                                 std::vector<std::string>& warnings,
                                 std::vector<std::string>& notes) {
    std::error_code ec;
    const std::string default_path = default_config_path();
    const std::string path =
        config_flag.value_or(std::filesystem::exists(default_path, ec) ? default_path : "");
    const std::string override_path = config_flag ? "" : provisioning_override_path();
    const std::string id = machine_id();
    if (path.empty())
        notes.push_back("no " + default_path + ": every key has its default");
    return load_device_config(path, override_path, id, warnings);
}

DeviceConfig load_service_config(std::vector<std::string>& warnings,
                                 std::vector<std::string>& notes, std::string& problem) {
    try {
        return load_program_config(std::nullopt, warnings, notes);
    } catch (const ConfigError& e) {
        problem = e.message;
    }
    std::error_code ec;
    const std::string default_path = default_config_path();
    const std::string id = machine_id();
    std::vector<std::string> ignored;
    // The provisioning file is the usual culprit: the device config alone, then
    // every default.
    if (std::filesystem::exists(default_path, ec)) {
        try {
            DeviceConfig c = load_device_config(default_path, "", id, ignored);
            notes.push_back("running with " + default_path + " alone");
            return c;
        } catch (const ConfigError&) {
        }
    }
    notes.push_back("running with every key's default");
    return load_device_config("", "", id, ignored);
}

DeviceConfig load_and_log_config(const std::optional<std::string>& config_flag, ConfigReader reader,
                                 std::string_view then, std::string& problem) {
    std::vector<std::string> warnings, notes;
    DeviceConfig config = reader == ConfigReader::Person
                              ? load_program_config(config_flag, warnings, notes)
                              : load_service_config(warnings, notes, problem);
    if (!problem.empty())
        log::error(problem + "; set aside: " + std::string(then));
    for (const auto& n : notes)
        log::info(n);
    for (const auto& w : warnings)
        log::warn(w);
    return config;
}

} // namespace milepost
