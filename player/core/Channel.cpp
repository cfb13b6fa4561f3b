#include "Channel.hpp"

#include "DeviceConfig.hpp"
#include "Result.hpp"
#include "TomlReader.hpp"

#include <algorithm>
#include <set>

namespace milepost {

std::string_view to_string(ItemType type) {
    switch (type) {
    case ItemType::Slide:
        return "slide";
    case ItemType::Video:
        return "video";
    case ItemType::Image:
        return "image";
    }
    return "?";
}

std::optional<ItemType> parse_item_type(std::string_view text) {
    for (ItemType t : {ItemType::Slide, ItemType::Video, ItemType::Image})
        if (text == to_string(t))
            return t;
    return std::nullopt;
}

std::optional<std::filesystem::path> resolve_inside(const std::filesystem::path& root,
                                                    std::string_view relative) {
    namespace fs = std::filesystem;
    fs::path rel(relative);
    if (relative.empty() || rel.is_absolute())
        return std::nullopt;
    for (const auto& part : rel.lexically_normal())
        if (part == "..")
            return std::nullopt;
    std::error_code ec;
    fs::path base = fs::weakly_canonical(root, ec);
    if (ec)
        return std::nullopt;
    // weakly_canonical follows the symlinks that exist, so a link pointing out is caught.
    fs::path full = fs::weakly_canonical(base / rel, ec);
    if (ec)
        return std::nullopt;
    auto [b, f] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
    if (b != base.end())
        return std::nullopt;
    return full;
}

std::vector<ObjectRef> item_objects(const Item& item) {
    std::vector<ObjectRef> out;
    if (!item.media.object.empty())
        out.push_back({item.media.object, item.media.size, item.file});
    for (const CaptionFile& c : item.captions)
        if (!c.object.empty())
            out.push_back({c.object, c.size, c.file});
    return out;
}

const CaptionFile* caption_in(const Item& item, std::string_view lang) {
    for (const CaptionFile& c : item.captions)
        if (c.lang == lang)
            return &c;
    return nullptr;
}

namespace {

void append_unknown(const TomlReader& r, std::vector<std::string>& warnings) {
    auto unknown = r.unknown_keys();
    warnings.insert(warnings.end(), unknown.begin(), unknown.end());
}

std::string required_string(TomlReader& r, std::string_view key) {
    auto v = r.string(key);
    if (!v || v->empty())
        throw ConfigError(r.prefix(key) + ": required");
    return *v;
}

Hotline read_hotline(TomlReader& r) {
    Hotline h;
    h.region = required_string(r, "region");
    if (h.region != "*" && !is_valid_region(h.region))
        r.fail("region", "\"*\" or an ISO 3166 code such as \"US\" or \"US-TX\"");
    if (auto v = r.string("lang")) {
        if (!is_valid_language(*v))
            r.fail("lang", "a lower-case language code such as \"en\"");
        h.lang = *v;
    }
    h.name = required_string(r, "name");
    h.call = required_string(r, "call");
    h.text = r.string("text").value_or("");
    h.text_keyword = r.string("text_keyword").value_or("");
    if (!h.text_keyword.empty() && h.text.empty())
        r.fail("text_keyword", "a text code (text = \"...\") to go with it");
    h.url = r.string("url").value_or("");
    if (!h.url.empty() && h.url.size() > 512)
        r.fail("url", "a URL of at most 512 characters");
    h.emergency = r.string("emergency").value_or("");
    return h;
}

std::chrono::weekday parse_day(TomlReader& r, const std::string& day) {
    static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    for (unsigned i = 0; i < 7; ++i)
        if (day == names[i])
            return std::chrono::weekday(i);
    throw ConfigError(r.prefix("days") + ": expected days such as \"mon\", \"tue\", got \"" + day +
                      "\"");
}

Schedule read_schedule(TomlReader& r) {
    Schedule s;
    if (auto days = r.strings("days"))
        for (const auto& d : *days)
            s.days.push_back(parse_day(r, d));
    for (auto [key, field] : {std::pair{"from", &s.from}, {"until", &s.until}}) {
        if (auto v = r.string(key)) {
            auto t = parse_time_of_day(*v);
            if (!t)
                r.fail(key, "a time of day such as \"06:00\"");
            *field = *t;
        }
    }
    for (auto [key, field] : {std::pair{"start_date", &s.start_date}, {"end_date", &s.end_date}}) {
        if (auto v = r.string(key)) {
            auto d = parse_date(*v);
            if (!d)
                r.fail(key, "a date such as \"2026-12-01\"");
            *field = *d;
        }
    }
    if (s.start_date && s.end_date && *s.end_date < *s.start_date)
        r.fail("end_date", "a date on or after start_date");
    if (auto regions = r.strings("regions")) {
        for (const auto& reg : *regions)
            if (!is_valid_region(reg))
                throw ConfigError(r.prefix("regions") +
                                  ": expected codes such as \"US-TX\", got \"" + reg + "\"");
        s.regions = *regions;
    }
    if (auto w = r.integer("weight")) {
        if (*w < 1 || *w > 100)
            r.fail("weight", "an integer from 1 to 100");
        s.weight = static_cast<int>(*w);
    }
    return s;
}

// An item's `captions = { en = "media/x.en.vtt", ... }`: a file per language.
std::vector<CaptionFile> read_captions(TomlReader& r, const toml::table& table,
                                       const std::filesystem::path& root, ItemType type) {
    if (type != ItemType::Video)
        r.fail("captions", "no captions: only videos have them");
    std::vector<CaptionFile> out;
    for (const auto& [key, node] : table) {
        const std::string lang(key.str());
        const std::string where = r.prefix("captions") + " " + lang;
        if (!is_valid_language(lang))
            throw ConfigError(where + ": expected a lower-case language code such as \"en\"");
        const auto* rel = node.as_string();
        if (!rel)
            throw ConfigError(where + ": expected a file name such as \"media/video." + lang +
                              ".vtt\", got " + describe(node));
        auto full = resolve_inside(root, rel->get());
        if (!full)
            throw ConfigError(where + ": \"" + rel->get() +
                              "\" leaves the channel folder; expected a path inside it");
        out.push_back({lang, *full, "", 0});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.lang < b.lang; });
    return out;
}

Item read_item(TomlReader& r, const std::filesystem::path& root, std::vector<std::string>& warnings,
               const std::string& file) {
    Item item;
    item.id = *r.string("id"); // checked by the caller
    auto type = parse_item_type(required_string(r, "type"));
    if (!type)
        r.fail("type", "\"slide\", \"video\" or \"image\"");
    item.type = *type;
    if (auto v = r.string("lang")) {
        if (!is_valid_language(*v))
            r.fail("lang", "a lower-case language code such as \"en\"");
        item.lang = *v;
    }
    if (auto d = r.number("duration")) {
        if (!(*d > 0) || *d > kMaxItemSeconds)
            r.fail("duration", "a positive number of seconds (at most 86400)");
        item.duration = *d;
    }
    if (item.type == ItemType::Slide) {
        item.title = required_string(r, "title");
        item.bullets = r.strings("bullets").value_or(std::vector<std::string>{});
        if (item.bullets.size() > 12)
            r.fail("bullets", "at most 12 bullets");
        for (const auto& b : item.bullets)
            if (b.empty())
                throw ConfigError(r.prefix("bullets") + ": expected non-empty strings");
    } else {
        auto rel = required_string(r, "file");
        auto full = resolve_inside(root, rel);
        if (!full)
            throw ConfigError(r.prefix("file") + ": \"" + rel +
                              "\" leaves the channel folder; expected a path inside it");
        item.file = *full;
        if (auto t = r.string("title"))
            item.title = *t;
    }
    if (const toml::table* captions = r.table("captions"))
        item.captions = read_captions(r, *captions, root, item.type);
    if (const toml::table* sched = r.table("schedule")) {
        TomlReader sr(file, r.prefix("schedule").substr(file.size() + 2), *sched);
        item.schedule = read_schedule(sr);
        append_unknown(sr, warnings);
    }
    return item;
}

Alert read_alert(TomlReader& r) {
    Alert a;
    a.id = *r.string("id"); // checked by the caller
    a.title = required_string(r, "title");
    a.body = r.string("body").value_or("");
    auto every = required_string(r, "every");
    auto d = parse_duration(every);
    if (!d || *d < std::chrono::seconds(30))
        r.fail("every", "a duration of at least 30s such as \"10m\"");
    a.every = *d;
    auto until = required_string(r, "until");
    auto t = parse_rfc3339(until);
    if (!t)
        r.fail("until", "an RFC 3339 time such as \"2026-12-02T18:00:00Z\"");
    a.until = *t;
    return a;
}

// Every [[hotline]]: at least one, and one per region and language.
void read_channel_hotlines(TomlReader& top, const std::string& file, Channel& channel,
                           std::vector<std::string>& warnings) {
    if (const toml::array* hotlines = top.tables("hotline")) {
        int n = 0;
        for (const toml::node& node : *hotlines) {
            TomlReader r(file, "[[hotline]] #" + std::to_string(++n), *node.as_table());
            channel.hotlines.push_back(read_hotline(r));
            append_unknown(r, warnings);
            const Hotline& h = channel.hotlines.back();
            for (size_t i = 0; i + 1 < channel.hotlines.size(); ++i)
                if (channel.hotlines[i].region == h.region && channel.hotlines[i].lang == h.lang)
                    throw ConfigError(r.prefix("region") + ": a hotline for \"" + h.region + "\"" +
                                      (h.lang.empty() ? "" : " in \"" + h.lang + "\"") +
                                      " is already defined");
        }
    }
    if (channel.hotlines.empty())
        throw ConfigError(file + ": [[hotline]]: expected at least one hotline");
}

// An [[item]]'s or [[alert]]'s id, checked before the rest is read so that
// messages can name it.
std::string read_channel_entry_id(TomlReader& r) {
    auto id = r.string("id");
    if (!id)
        throw ConfigError(r.prefix("id") + ": required");
    if (!is_valid_id(*id))
        r.fail("id", "1 to 128 characters of [a-z0-9._-]");
    return *id;
}

// Every [[item]]; `ids` collects their ids (alerts share them).
void read_channel_items(TomlReader& top, const std::string& file, Channel& channel,
                        std::set<std::string, std::less<>>& ids,
                        std::vector<std::string>& warnings) {
    const toml::array* items = top.tables("item");
    if (!items)
        return;
    int n = 0;
    for (const toml::node& node : *items) {
        const toml::table& t = *node.as_table();
        TomlReader r(file, "[[item]] #" + std::to_string(++n), t);
        const std::string id = read_channel_entry_id(r);
        if (!ids.insert(id).second)
            throw ConfigError(file + ": item \"" + id + "\": id: duplicate of an earlier item");
        TomlReader named(file, "item \"" + id + "\"", t);
        channel.items.push_back(read_item(named, channel.root, warnings, file));
        append_unknown(named, warnings);
    }
}

// Every [[alert]]; an id an item or an earlier alert has is refused.
void read_channel_alerts(TomlReader& top, const std::string& file, Channel& channel,
                         std::set<std::string, std::less<>>& ids,
                         std::vector<std::string>& warnings) {
    const toml::array* alerts = top.tables("alert");
    if (!alerts)
        return;
    int n = 0;
    for (const toml::node& node : *alerts) {
        const toml::table& t = *node.as_table();
        TomlReader r(file, "[[alert]] #" + std::to_string(++n), t);
        const std::string id = read_channel_entry_id(r);
        if (!ids.insert(id).second)
            throw ConfigError(file + ": alert \"" + id + "\": id: duplicate of an earlier id");
        TomlReader named(file, "alert \"" + id + "\"", t);
        channel.alerts.push_back(read_alert(named));
        append_unknown(named, warnings);
    }
}

} // namespace

Channel load_channel_source(const std::filesystem::path& path, std::vector<std::string>& warnings) {
    const std::string file = path.string();
    const toml::table root = parse_toml_file(file);
    TomlReader top(file, "", root);
    Channel channel;
    channel.root = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    channel.name = required_string(top, "channel");
    if (!is_valid_id(channel.name))
        top.fail("channel", "a name of [a-z0-9._-]");
    channel.title = top.string("title").value_or(channel.name);
    read_channel_hotlines(top, file, channel, warnings);
    std::set<std::string, std::less<>> ids;
    read_channel_items(top, file, channel, ids, warnings);
    read_channel_alerts(top, file, channel, ids, warnings);
    append_unknown(top, warnings);
    return channel;
}

bool is_builtin_channel(std::string_view name) {
    return name == "default" || builtin_channel_for(name) == name;
}

std::string_view builtin_channel_for(std::string_view configured) {
    for (std::string_view b : kBuiltinChannels)
        if (configured == b)
            return b;
    return kBuiltinChannels[0];
}

} // namespace milepost
